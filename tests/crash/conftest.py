"""The crash rig: a fresh PostgreSQL database, a unique topic, worker processes to kill, and the
final count of lost events, duplicated effects and per-key inversions."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import (
    JSON,
    Column,
    DateTime,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Uuid,
    func,
    insert,
    select,
)

from yunying_shared.bus.kafka import KafkaTransport
from yunying_shared.bus.packed import pack
from yunying_shared.db import Database
from yunying_shared.events import Envelope
from yunying_shared.testing.bus import wait_until
from yunying_shared.testing.databases import fresh_postgres_database, kafka_bootstrap

WORKER = Path(__file__).with_name("worker.py")
STEP = "yunying.crashtest.step.v1"
KAFKA_SH = Path(__file__).resolve().parents[2] / "deploy" / "kafka" / "kafka.sh"

# The worker's tables, as far as the test reads and writes them.
_metadata = MetaData()
outbox = Table(
    "outbox",
    _metadata,
    Column("seq", Integer, primary_key=True),
    Column("event_id", Uuid),
    Column("topic", String),
    Column("key", String),
    Column("value", LargeBinary),
    Column("headers", JSON),
    Column("created_at", DateTime(timezone=True)),
    Column("published_at", DateTime(timezone=True)),
    Column("packed", Integer),
)
effects = Table(
    "effects",
    _metadata,
    Column("id", Integer, primary_key=True),
    Column("key", String),
    Column("seq", Integer),
    Column("event_id", Uuid),
)


@dataclass
class Tally:
    expected: int
    applied_rows: int
    lost: list[tuple[str, int]]
    duplicated: int
    inversions: int

    def __str__(self) -> str:
        return (
            f"expected={self.expected} rows={self.applied_rows} lost={len(self.lost)} "
            f"duplicated={self.duplicated} inversions={self.inversions}"
        )


@dataclass
class CrashRig:
    url: str
    bootstrap: str
    topic: str
    group: str
    logs: Path
    database: Database
    expected: set[tuple[str, int]] = field(default_factory=set)
    processes: list[subprocess.Popen[bytes]] = field(default_factory=list)
    _next_seq: dict[str, int] = field(default_factory=lambda: defaultdict(int))

    def spawn(self, role: str, **env: str) -> subprocess.Popen[bytes]:
        log = (self.logs / f"{role}-{len(self.processes)}.log").open("ab")
        process = subprocess.Popen(
            [
                sys.executable,
                str(WORKER),
                role,
                "--db",
                self.url,
                "--bootstrap",
                self.bootstrap,
                "--topic",
                self.topic,
                "--group",
                self.group,
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
            env={**os.environ, **env},
        )
        self.processes.append(process)
        return process

    def kill(self, process: subprocess.Popen[bytes]) -> None:
        process.send_signal(signal.SIGKILL)
        process.wait()

    def stop_all(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                process.terminate()
        for process in self.processes:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()

    async def write(
        self,
        keys: int,
        count: int,
        *,
        per_transaction: int = 100,
        fail_times: dict[int, int] | None = None,
        packed: bool = False,
    ) -> None:
        """`count` events round-robin over `keys` keys, each with its key's next sequence;
        `packed`: each transaction's events as one packed outbox row (the bulk paths' form)."""
        for start in range(0, count, per_transaction):
            rows = []
            for i in range(start, min(start + per_transaction, count)):
                key = f"key-{i % keys}"
                seq = self._next_seq[key]
                self._next_seq[key] += 1
                data = {"key": key, "seq": seq}
                if fail_times and i in fail_times:
                    data["fail_times"] = fail_times[i]
                envelope = Envelope(source="/crash", type=STEP, subject=key, data=data)
                rows.append(self._row(key, envelope.id, envelope.to_bytes()))
                self.expected.add((key, seq))
            if packed:
                rows = [self._packed_row(rows)]
            async with self.database.session() as session, session.begin():
                await session.execute(insert(outbox), rows)

    async def write_poison(self, key: str, value: bytes) -> None:
        async with self.database.session() as session, session.begin():
            await session.execute(insert(outbox), [self._row(key, uuid.uuid4(), value)])

    def _row(self, key: str, event_id: uuid.UUID, value: bytes) -> dict[str, object]:
        return {
            "event_id": event_id,
            "topic": self.topic,
            "key": key,
            "value": value,
            "headers": {"ce_type": STEP},
            "created_at": datetime.now(UTC),
        }

    def _packed_row(self, rows: list[dict[str, object]]) -> dict[str, object]:
        frames = [(str(r["key"]), json.dumps(r["headers"]), bytes(r["value"])) for r in rows]
        return {**rows[0], "key": None, "value": pack(frames), "headers": {}, "packed": len(rows)}

    async def applied(self) -> int:
        async with self.database.session() as session:
            return int(
                await session.scalar(
                    select(
                        func.count(func.distinct(func.concat(effects.c.key, ":", effects.c.seq)))
                    )
                )
                or 0
            )

    async def pending(self) -> int:
        async with self.database.session() as session:
            return int(
                await session.scalar(select(func.count()).where(outbox.c.published_at.is_(None)))
                or 0
            )

    async def wait_all_applied(self, timeout: float = 90) -> bool:
        async def done() -> bool:
            return await self.applied() >= len(self.expected)

        return await wait_until(done, timeout=timeout, interval=0.5)

    async def tally(self) -> Tally:
        async with self.database.session() as session:
            rows = (
                await session.execute(select(effects.c.key, effects.c.seq).order_by(effects.c.id))
            ).all()
        seen: set[tuple[str, int]] = set()
        duplicated = inversions = 0
        last: dict[str, int] = {}
        for key, seq in rows:
            if (key, seq) in seen:
                duplicated += 1
            seen.add((key, seq))
            if key in last and seq < last[key]:
                inversions += 1
            last[key] = max(seq, last.get(key, -1))
        return Tally(
            expected=len(self.expected),
            applied_rows=len(rows),
            lost=sorted(self.expected - seen),
            duplicated=duplicated,
            inversions=inversions,
        )

    @staticmethod
    def assert_exactly_once(tally: Tally) -> None:
        assert tally.expected > 0
        assert tally.lost == [], f"lost events: {tally}"
        assert tally.duplicated == 0, f"duplicated effects: {tally}"
        assert tally.inversions == 0, f"per-key inversions: {tally}"
        assert tally.applied_rows == tally.expected, str(tally)

    @staticmethod
    def kafka(command: str) -> None:
        subprocess.run(["bash", str(KAFKA_SH), command], check=True, timeout=120)

    async def dead_letters(self) -> list:
        transport = KafkaTransport(self.bootstrap, partitions=4, client_id="crash-check")
        try:
            return await transport.read_all(f"{self.topic}.dlq")
        finally:
            await transport.stop()

    async def published(self) -> list:
        transport = KafkaTransport(self.bootstrap, partitions=4, client_id="crash-check")
        try:
            return await transport.read_all(self.topic)
        finally:
            await transport.stop()


@pytest.fixture
async def rig(tmp_path):
    bootstrap = kafka_bootstrap()
    async with fresh_postgres_database("crash") as url:
        suffix = uuid.uuid4().hex[:10]
        database = Database(url, pool_size=3)
        setup = await asyncio.create_subprocess_exec(
            sys.executable,
            str(WORKER),
            "setup",
            "--db",
            url,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
        )
        output, _ = await setup.communicate()
        assert setup.returncode == 0, output.decode()[-3000:]
        rig = CrashRig(
            url=url,
            bootstrap=bootstrap,
            topic=f"crash.t{suffix}.v1",
            group=f"crash-{suffix}",
            logs=tmp_path,
            database=database,
        )
        try:
            yield rig
        finally:
            rig.stop_all()
            await database.dispose()
