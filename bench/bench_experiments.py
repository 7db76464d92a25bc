"""Experiment statistics at scale: 10 variants (one control) x 1,000,000 exposed users each.

Three figures, each the median of BENCH_REPEATS (default 5) runs:
1. read-out: the whole decision (Wilson intervals, z-tests, lift intervals, mSPRT p-values
   and confidence sequences, closed-form chance to beat control, SRM, Holm) from per-arm counts.
   The chance-to-beat sum has one term per conversion of the smaller arm, so conversion rates
   matter: arms convert at 5% +- up to 0.3 points (about 50,000 terms each).
2. assignment: sha256 bucketing of 1,000,000 user ids (one arm each), per second.
3. results from the database: `GET .../results` as the service computes it (two GROUP BY
   queries over experiment_exposures and experiment_conversions, then the read-out) on
   PostgreSQL with BENCH_DB_USERS (default 1,000,000) exposures spread over the 10 arms.
   Skipped when PostgreSQL is not reachable.
"""

from __future__ import annotations

import asyncio
import json
import os
import platform
import statistics
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from campaigns.experiments.assignment import allocation, assign
from campaigns.experiments.models import Experiment, ExperimentConversion, ExperimentExposure
from campaigns.experiments.results import Design, read_out
from campaigns.experiments.service import results
from campaigns.main import DEFINITION
from yunying_shared.db import Database, sql_dialect
from yunying_shared.db.migrate import upgrade
from yunying_shared.testing.databases import fresh_postgres_database

REPO = Path(__file__).resolve().parents[1]
RESULTS = REPO / "bench/results/experiments.json"
ARMS = 10
USERS_PER_ARM = 1_000_000
REPEATS = int(os.environ.get("BENCH_REPEATS", "5"))
DB_USERS = int(os.environ.get("BENCH_DB_USERS", "1000000"))
KEYS = ["control", *(f"v{i}" for i in range(1, ARMS))]


def _design(experiment_id: uuid.UUID) -> Design:
    return Design(
        experiment_id=experiment_id,
        status="running",
        plan=allocation([(key, 1.0) for key in KEYS], holdout_percent=0),
        control="control",
        alpha=0.05,
        sequential=True,
        tuning_exposures=5000,
        planned_exposures_per_arm=None,
        min_chance_to_beat=0.95,
    )


def _median_seconds(run: Callable[[], object], repeats: int) -> float:
    timings = []
    for _ in range(repeats):
        started = time.perf_counter()
        run()
        timings.append(time.perf_counter() - started)
    return statistics.median(timings)


def bench_read_out() -> dict[str, float]:
    rng = np.random.default_rng(618)
    rates = 0.05 + rng.uniform(-0.003, 0.003, ARMS)
    exposures = dict.fromkeys(KEYS, USERS_PER_ARM)
    conversions = {
        key: int(rng.binomial(USERS_PER_ARM, rate)) for key, rate in zip(KEYS, rates, strict=True)
    }
    design = _design(uuid.uuid4())
    seconds = _median_seconds(lambda: read_out(design, exposures, conversions), REPEATS)
    return {"arms": ARMS, "users_per_arm": USERS_PER_ARM, "read_out_ms": round(seconds * 1e3, 2)}


def bench_assignment() -> dict[str, float]:
    plan = allocation([(key, 1.0) for key in KEYS], holdout_percent=10)
    experiment_id = uuid.uuid4()
    users = [f"user-{i}" for i in range(1_000_000)]
    seconds = _median_seconds(
        lambda: [assign(experiment_id, user, plan) for user in users], max(1, REPEATS // 2)
    )
    return {
        "users": len(users),
        "seconds": round(seconds, 3),
        "per_second": round(len(users) / seconds),
    }


async def _load(database: Database, workspace_id: uuid.UUID) -> uuid.UUID:
    now = datetime.now(UTC)
    experiment = Experiment(
        workspace_id=workspace_id,
        name="bench",
        element="title",
        status="running",
        variants=[{"key": key, "weight": 1.0, "control": key == "control"} for key in KEYS],
        holdout_percent=0.0,
        alpha=0.05,
        sequential=True,
        tuning_exposures=5000,
        min_chance_to_beat=0.95,
        conversion_kind="purchase",
        created_at=now,
        started_at=now,
    )
    rng = np.random.default_rng(11)
    async with database.session() as session:
        session.add(experiment)
        await session.flush()
        arms = [KEYS[i % ARMS] for i in range(DB_USERS)]
        converted = rng.random(DB_USERS) < 0.05
        exposure_rows = [
            (workspace_id, experiment.id, f"u{i}", arms[i], "app", now) for i in range(DB_USERS)
        ]
        conversion_rows = [
            (workspace_id, experiment.id, f"u{i}", arms[i], f"o{i}", now)
            for i in range(DB_USERS)
            if converted[i]
        ]
        dialect = sql_dialect(session)
        await dialect.insert_rows(
            session,
            ExperimentExposure.__table__,
            ["workspace_id", "experiment_id", "user_id", "arm", "platform", "exposed_at"],
            exposure_rows,
        )
        await dialect.insert_rows(
            session,
            ExperimentConversion.__table__,
            ["workspace_id", "experiment_id", "user_id", "arm", "event_id", "converted_at"],
            conversion_rows,
        )
        await session.commit()
    loaded: uuid.UUID = experiment.id
    return loaded


async def bench_database() -> dict[str, float] | None:
    try:
        context = fresh_postgres_database("bench_experiments")
        url = await context.__aenter__()
    except Exception as exc:  # no PostgreSQL here: the pure figures still stand
        print(f"PostgreSQL not reachable, database figure skipped: {exc!r}")
        return None
    try:
        database = Database(url, pool_size=2)
        await upgrade(database, DEFINITION.migrations)
        workspace_id = uuid.uuid4()
        experiment_id = await _load(database, workspace_id)
        async with database.engine.connect() as connection:
            await connection.exec_driver_sql("ANALYZE experiment_exposures")
            await connection.exec_driver_sql("ANALYZE experiment_conversions")
        timings = []
        for _ in range(REPEATS):
            async with database.session() as session:
                started = time.perf_counter()
                read = await results(
                    session, workspace_id=workspace_id, experiment_id=experiment_id
                )
                timings.append(time.perf_counter() - started)
        assert sum(a.exposures for a in read.arms) == DB_USERS
        await database.dispose()
        return {"exposures": DB_USERS, "results_ms": round(statistics.median(timings) * 1e3, 1)}
    finally:
        await context.__aexit__(None, None, None)


def main() -> None:
    load_before = os.getloadavg()
    result = {
        "read_out": bench_read_out(),
        "assignment": bench_assignment(),
        "results_from_postgresql": asyncio.run(bench_database()),
        "repeats": REPEATS,
        "load_average_before": [round(v, 2) for v in load_before],
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
        "measured_at": datetime.now(UTC).isoformat(),
    }
    print(json.dumps(result, indent=2))
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2) + "\n")
    print(f"wrote {RESULTS}")


if __name__ == "__main__":
    main()
