"""Importing a CRM's history on PostgreSQL (the distributed mode's database): BENCH_HISTORY_EVENTS
historical events (default 1,000,000) of BENCH_HISTORY_USERS users (default 200,000) over two
past years, through the documented import path (`yunying segmentation-import`'s run_import:
JSON lines, committed chunks, then one re-score and one derivation of every imported user's stage
history by event time, moves published to the outbox).

Prints and records: events/s through the chunks, the finishing step, the time until the
dashboards show the past (file start to a finished import, then the stage distribution and churn
for a past month answered from the derived history), the number of stage moves published, and
CPU per event of the importer, its worker process and the database's PostgreSQL backends.

Env: YUNYING_TEST_PG_URL (admin URL; a fresh database is created and dropped),
BENCH_HISTORY_EVENTS, BENCH_HISTORY_USERS, BENCH_HISTORY_CHUNK (default 5000), BENCH_RESULTS (the
JSON file; default bench/results/history_import.json).
"""

from __future__ import annotations

import asyncio
import io
import json
import os
import platform
import resource
import time
import uuid
from datetime import UTC, date, datetime
from pathlib import Path
from tempfile import TemporaryDirectory
from typing import Any

import numpy as np
from sqlalchemy import make_url, text

from segmentation.events.import_cli import POOL_SIZE, run_import
from segmentation.main import DEFINITION
from segmentation.population.service import churn_rate
from segmentation.population.stages import stage_distribution
from segmentation.population.window import DateRange
from yunying_shared.db import Database
from yunying_shared.db.migrate import upgrade
from yunying_shared.testing.databases import fresh_postgres_database

EVENTS = int(os.environ.get("BENCH_HISTORY_EVENTS", "1000000"))
USERS = int(os.environ.get("BENCH_HISTORY_USERS", "200000"))
CHUNK = int(os.environ.get("BENCH_HISTORY_CHUNK", "5000"))
TICK = os.sysconf("SC_CLK_TCK")
RESULTS = Path(
    os.environ.get("BENCH_RESULTS", Path(__file__).parent / "results" / "history_import.json")
)
START = datetime(2024, 1, 1, tzinfo=UTC).timestamp()
SPAN = 2 * 365 * 86_400


def write_history(path: Path) -> None:
    """Skewed users (a few buy often), 40% purchases, the rest logins and views, times uniform
    over two years, a few refunds."""
    rng = np.random.default_rng(42)
    weights = rng.pareto(1.5, USERS) + 1
    users = rng.choice(USERS, EVENTS, p=weights / weights.sum())
    kinds = rng.choice(
        np.array(["purchase", "login", "page_view", "refund"]), EVENTS, p=[0.4, 0.35, 0.23, 0.02]
    )
    times = START + rng.uniform(0, SPAN, EVENTS)
    amounts = rng.gamma(2.0, 80.0, EVENTS).round(2)
    with path.open("w", encoding="utf-8") as out:
        for i in range(EVENTS):
            kind = str(kinds[i])
            item: dict[str, Any] = {
                "event_id": f"h{i}",
                "user_id": f"crm-{users[i]}",
                "type": kind,
                "occurred_at": datetime.fromtimestamp(float(times[i]), UTC).isoformat(),
            }
            if kind in ("purchase", "refund"):
                item["amount"] = float(amounts[i] if kind == "purchase" else amounts[i] / 4)
                item["currency"] = "CNY"
            out.write(json.dumps(item) + "\n")


async def backend_cpu_seconds(database: Database, name: str) -> float:
    """CPU (user + system) of this database's PostgreSQL backends so far, from /proc: the pool's
    connections live through the whole import, so this is the server's work for it."""
    async with database.session() as session:
        pids = (
            await session.execute(
                text("SELECT pid FROM pg_stat_activity WHERE datname = :name"), {"name": name}
            )
        ).scalars()
        pid_list = list(pids)
    return sum(map(_process_ticks, pid_list)) / TICK


def _process_ticks(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
    except OSError:  # PostgreSQL in another PID namespace: not measurable here
        return 0
    return int(fields[11]) + int(fields[12])


def backend_ticks_by_title(name: str) -> int:
    """CPU ticks so far of the PostgreSQL backends whose process title names this database
    (read from /proc without a query, so it can be taken between the import's two phases)."""
    total = 0
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/cmdline", "rb") as cmdline:
                title = cmdline.read()
        except OSError:
            continue
        if title.startswith(b"postgres:") and f" {name} ".encode() in title:
            total += _process_ticks(int(entry))
    return total


class PhaseMark(io.StringIO):
    """The import's progress; when the finishing step starts (its first line), the CPU spent
    so far by this process, the finished worker and the database's backends is noted."""

    def __init__(self, database_name: str) -> None:
        super().__init__()
        self.database_name = database_name
        self.at_finish: tuple[float, float, float] | None = None

    def write(self, text: str) -> int:
        if text.startswith("re-scoring") and self.at_finish is None:
            own, children = own_cpu_seconds()
            backends = backend_ticks_by_title(self.database_name) / TICK
            self.at_finish = (own, children, backends)
        return super().write(text)


def own_cpu_seconds() -> tuple[float, float]:
    """This process's CPU, and that of its finished children (the import's worker process)."""
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return time.process_time(), children.ru_utime + children.ru_stime


async def main() -> None:
    load = os.getloadavg()
    with TemporaryDirectory() as folder:
        path = Path(folder) / "history.jsonl"
        began = time.perf_counter()
        write_history(path)
        print(f"wrote {EVENTS:,} events of {USERS:,} users in {time.perf_counter() - began:.1f} s")
        async with fresh_postgres_database("bench_hist") as url:
            database = Database(url, pool_size=POOL_SIZE)  # as the command
            await upgrade(database, DEFINITION.migrations)
            workspace_id = uuid.uuid4()
            database_name = make_url(url).database or ""
            progress = PhaseMark(database_name)
            try:
                backends_before = backend_ticks_by_title(database_name) / TICK
                cpu_before, children_before = own_cpu_seconds()
                started = time.perf_counter()
                run, _ = await run_import(
                    database,
                    path=path,
                    workspace_id=workspace_id,
                    name="bench",
                    kind="jsonl",
                    chunk=CHUNK,
                    rejects=None,
                    progress=progress,
                )
                finished = time.perf_counter()
                cpu_after, children_after = own_cpu_seconds()
                postgres_cpu = await backend_cpu_seconds(database, database_name)
                postgres_by_title = backend_ticks_by_title(database_name) / TICK
                lines = progress.getvalue().splitlines()
                derived_line = next(line for line in lines if line.startswith("derived:"))
                finishing = float(derived_line.rsplit("(", 1)[1].split(" s")[0])
                chunks_seconds = finished - started - finishing
                async with database.session() as session:
                    month = DateRange(date(2025, 3, 1), date(2025, 3, 31))
                    distribution = await stage_distribution(
                        session, workspace_id=workspace_id, window=month
                    )
                    churn = await churn_rate(session, workspace_id=workspace_id, window=month)
                shown = time.perf_counter()
            finally:
                await database.dispose()
    figures: dict[str, Any] = {
        "events": EVENTS,
        "users": USERS,
        "chunk": CHUNK,
        "accepted": run.accepted,
        "rejected": run.rejected,
        "import_chunks_seconds": round(chunks_seconds, 1),
        "events_per_second_chunks": round(EVENTS / chunks_seconds),
        "finish_seconds": round(finishing, 1),
        "events_per_second_overall": round(EVENTS / (finished - started)),
        "seconds_until_dashboards_show_the_past": round(shown - started, 1),
        "finish_line": derived_line,
        "cpu_seconds_importer": round(cpu_after - cpu_before, 1),
        "cpu_seconds_worker": round(children_after - children_before, 1),
        "cpu_seconds_postgres_backends": round(postgres_cpu, 1),
        "cpu_us_per_event_importer_worker_postgres": [
            round((cpu_after - cpu_before) * 1e6 / EVENTS, 1),
            round((children_after - children_before) * 1e6 / EVENTS, 1),
            round(postgres_cpu * 1e6 / EVENTS, 1),
        ],
        "stages_2025_03_31": distribution.days[-1].counts,
        "churn_2025_03": churn.model_dump(mode="json"),
        "load_average_before": [round(x, 2) for x in load],
        "load_average_after": [round(x, 2) for x in os.getloadavg()],
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
    }
    figures["events_per_second_finish"] = round(EVENTS / finishing)
    if progress.at_finish is not None:  # CPU per event of each phase, from the process titles
        own, children, backends = progress.at_finish
        chunk_cpu = (own - cpu_before, children - children_before, backends - backends_before)
        finish_cpu = (cpu_after - own, children_after - children, postgres_by_title - backends)
        figures["cpu_us_per_event_chunks_importer_worker_postgres"] = [
            round(value * 1e6 / EVENTS, 1) for value in chunk_cpu
        ]
        figures["cpu_us_per_event_finish_importer_worker_postgres"] = [
            round(value * 1e6 / EVENTS, 1) for value in finish_cpu
        ]
    print(json.dumps(figures, indent=2, ensure_ascii=False))
    print(
        "SUMMARY history import "
        f"({EVENTS:,} events, {USERS:,} users, chunks of {CHUNK:,}; target >= 20,000 events/s)\n"
        f"  chunks (validate, COPY, insert, profiles): {chunks_seconds:.1f} s = "
        f"{figures['events_per_second_chunks']:,} events/s\n"
        f"  finishing step (re-score, histories, moves stored and published): {finishing:.1f} s"
        f" = {figures['events_per_second_finish']:,} events/s ({derived_line})\n"
        f"  overall: {finished - started:.1f} s = "
        f"{figures['events_per_second_overall']:,} events/s\n"
        f"  until the dashboards show the past: "
        f"{figures['seconds_until_dashboards_show_the_past']} s\n"
        f"  CPU us/event (importer, worker, PostgreSQL): "
        f"{figures['cpu_us_per_event_importer_worker_postgres']}; chunks "
        f"{figures.get('cpu_us_per_event_chunks_importer_worker_postgres')}, finishing "
        f"{figures.get('cpu_us_per_event_finish_importer_worker_postgres')}\n"
        f"  load average {figures['load_average_before'][0]} -> {figures['load_average_after'][0]}"
    )
    print(
        f"TARGET >= 20,000 events/s: chunks {figures['events_per_second_chunks']:,} events/s, "
        f"overall {figures['events_per_second_overall']:,} events/s, dashboards after "
        f"{figures['seconds_until_dashboards_show_the_past']} s; CPU us/event importer "
        f"{figures['cpu_us_per_event_importer_worker_postgres']} (importer, worker, PostgreSQL); "
        f"load {figures['load_average_before'][0]} -> {figures['load_average_after'][0]}"
    )
    write_results(figures)


def write_results(figures: dict[str, Any]) -> None:
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(figures, indent=2, ensure_ascii=False) + "\n", "utf-8")


if __name__ == "__main__":
    asyncio.run(main())
