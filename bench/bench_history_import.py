"""Importing a CRM's history on PostgreSQL (the distributed mode's database): BENCH_HISTORY_EVENTS
historical events (default 1,000,000) of BENCH_HISTORY_USERS users (default 200,000) over two
past years, through the documented import path (`yunying segmentation-import`'s run_import:
JSON lines, committed chunks, then one re-score and one derivation of every imported user's stage
history by event time, moves published to the outbox).

Prints and records: events/s through the chunks, the finishing step, the time until the
dashboards show the past (file start to a finished import, then the stage distribution and churn
for a past month answered from the derived history), and the number of stage moves published.

Env: YUNYING_TEST_PG_URL (admin URL; a fresh database is created and dropped),
BENCH_HISTORY_EVENTS, BENCH_HISTORY_USERS, BENCH_HISTORY_CHUNK (default 5000).
"""

from __future__ import annotations

import asyncio
import io
import json
import os
import platform
import time
import uuid
from datetime import UTC, date, datetime
from pathlib import Path
from tempfile import TemporaryDirectory

import numpy as np

from segmentation.events.import_cli import run_import
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
RESULTS = Path(__file__).parent / "results" / "history_import.json"
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
            item = {
                "event_id": f"h{i}",
                "user_id": f"crm-{users[i]}",
                "type": kind,
                "occurred_at": datetime.fromtimestamp(float(times[i]), UTC).isoformat(),
            }
            if kind in ("purchase", "refund"):
                item["amount"] = float(amounts[i] if kind == "purchase" else amounts[i] / 4)
                item["currency"] = "CNY"
            out.write(json.dumps(item) + "\n")


async def main() -> None:
    load = os.getloadavg()
    with TemporaryDirectory() as folder:
        path = Path(folder) / "history.jsonl"
        began = time.perf_counter()
        write_history(path)
        print(f"wrote {EVENTS:,} events of {USERS:,} users in {time.perf_counter() - began:.1f} s")
        async with fresh_postgres_database("bench_hist") as url:
            database = Database(url, pool_size=2)
            await upgrade(database, DEFINITION.migrations)
            workspace_id = uuid.uuid4()
            progress = io.StringIO()
            try:
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
    figures = {
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
        "stages_2025_03_31": distribution.days[-1].counts,
        "churn_2025_03": churn.model_dump(mode="json"),
        "load_average_before": [round(x, 2) for x in load],
        "load_average_after": [round(x, 2) for x in os.getloadavg()],
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
    }
    print(json.dumps(figures, indent=2, ensure_ascii=False))
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(figures, indent=2, ensure_ascii=False) + "\n", "utf-8")


if __name__ == "__main__":
    asyncio.run(main())
