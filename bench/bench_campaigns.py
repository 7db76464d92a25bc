"""Campaigns: journey evaluation throughput, and the cost of consuming accepted CRM events.

1. Journey evaluation, distributed mode: BENCH_TRIGGERS (default 20,000)
   `user.lifecycle_stage_changed` events for distinct users are produced to Kafka, on a topic of
   this run's own (the shared `segmentation.user.v1` carries other suites' traffic), and consumed
   by `ConsumerRunner`s with the service's own handlers and its settings' batch sizes (1,000
   per fetch, 500 per transaction): the batch handler groups each run per workspace and calls
   the journey engine once. Half the events are churned → active and match a running campaign's
   journey whose steps issue a coupon and queue a message; the other half match nothing.
   Figure: events per second from the consumers' start to the moment every event's inbox row
   and effects are committed (coupons, coupon.issued outbox rows, sends, enrolments), checked by
   counting them; CPU-µs per event of the consumers and of the bench database's PostgreSQL
   backends (/proc), with the load average. BENCH_REPLICAS (default 1) runs that many consumers
   of one group: 1 in this process (its own polling subtracted), more as child processes, as
   replicas of the service would run; these join the group on the empty topic first
   (BENCH_SETTLE_SECONDS, default 8, for the rebalance), and the clock then also covers
   producing the events, which they consume as they arrive.
2. Accepted CRM events (`user_event.accepted` on `segmentation.event.v1`), what campaigns
   spends per event while segmentation ingests: BENCH_ACCEPTED (default 20,000) events, half
   purchases, half shares (the kinds of `bench_ingestion`'s mix that segmentation republishes),
   consumed the same way; CPU-µs per event of the consumer and of PostgreSQL.
Coupon redemption is measured by `bench_redemption.py` (a campaigns server of its own).
"""

from __future__ import annotations

import asyncio
import json
import os
import platform
import signal
import sys
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import func, make_url, select, text

from campaigns.campaigns.schemas import CampaignIn
from campaigns.campaigns.service import create_campaign, transition
from campaigns.coupons.models import Coupon
from campaigns.coupons.schemas import TemplateIn
from campaigns.coupons.service import create_template
from campaigns.journeys.models import Enrollment
from campaigns.journeys.schemas import JourneyIn
from campaigns.journeys.service import create_journey
from campaigns.main import DEFINITION
from campaigns.sending.models import Send
from yunying_shared.bus import ConsumerRunner, Message
from yunying_shared.bus.kafka import KafkaTransport
from yunying_shared.db import Database
from yunying_shared.db.migrate import upgrade
from yunying_shared.events import make_event
from yunying_shared.events.catalogue import USER_EVENT_ACCEPTED, USER_LIFECYCLE_STAGE_CHANGED
from yunying_shared.events.payloads.segmentation import (
    UserEventAccepted,
    UserLifecycleStageChanged,
)
from yunying_shared.testing.databases import fresh_postgres_database

REPO = Path(__file__).resolve().parents[1]
RESULTS = Path(os.environ.get("BENCH_RESULTS", REPO / "bench/results/campaigns.json"))
TRIGGERS = int(os.environ.get("BENCH_TRIGGERS", "20000"))
ACCEPTED = int(os.environ.get("BENCH_ACCEPTED", "20000"))
REPLICAS = int(os.environ.get("BENCH_REPLICAS", "1"))
# Seconds the replicas get to settle into one group before the clock starts.
SETTLE = float(os.environ.get("BENCH_SETTLE_SECONDS", "8"))
KAFKA = os.environ.get("YUNYING_TEST_KAFKA_BOOTSTRAP", "127.0.0.1:19092")
SETTINGS = DEFINITION.settings()
TICK = os.sysconf("SC_CLK_TCK")


async def _running_campaign(database: Database, workspace_id: uuid.UUID) -> uuid.UUID:
    now = datetime.now(UTC)
    async with database.session() as session, session.begin():
        template = await create_template(
            session,
            workspace_id=workspace_id,
            data=TemplateIn(name="回流券", kind="amount_off", amount_off=Decimal("20")),
        )
        campaign = await create_campaign(
            session,
            workspace_id=workspace_id,
            data=CampaignIn(
                name="回流",
                type="churn_recall",
                starts_at=now + timedelta(minutes=1),
                ends_at=now + timedelta(days=7),
                coupon_template_id=template.id,
            ),
        )
        for state in ("scheduled", "running"):
            await transition(
                session, workspace_id=workspace_id, campaign_id=campaign.id, to_state=state
            )
        await create_journey(
            session,
            workspace_id=workspace_id,
            data=JourneyIn.model_validate(
                {
                    "campaign_id": campaign.id,
                    "name": "welcome back",
                    "trigger": {
                        "event": "lifecycle_stage_changed",
                        "from_stage": "churned",
                        "to_stage": "active",
                    },
                    "steps": [
                        {"type": "issue_coupon"},
                        {"type": "send_message", "channel": "sms", "body": "欢迎回来"},
                    ],
                    "reentry_days": 30,
                }
            ),
        )
        return template.id


async def _count(database: Database, model: Any) -> int:
    async with database.session() as session:
        return int(await session.scalar(select(func.count()).select_from(model)) or 0)


def _ticks(pid: int) -> int:
    """User + system CPU ticks of a process so far (0 once it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0
    return int(fields[11]) + int(fields[12])


async def _backend_ticks(database: Database, name: str) -> dict[int, int]:
    """CPU ticks so far of each PostgreSQL backend connected to the bench database."""
    async with database.session() as session:
        pids = (
            await session.execute(
                text("SELECT pid FROM pg_stat_activity WHERE datname = :name"), {"name": name}
            )
        ).scalars()
        return {pid: _ticks(pid) for pid in pids}


def _runner(database: Database, transport: KafkaTransport, topic: str, group: str) -> Any:
    return ConsumerRunner(
        service="campaigns",
        database=database,
        tables=DEFINITION.tables,
        transport=transport,
        handlers=DEFINITION.event_handlers(),
        batch_handlers=DEFINITION.batch_handlers(),
        idempotent_types=DEFINITION.idempotent_types(),
        topics=[topic],
        group=group,
        # The service's own sizes, as its app passes them (not the runner's platform defaults).
        fetch_max_records=SETTINGS.consumer_fetch_max_records,
        transaction_max_events=SETTINGS.consumer_transaction_max_events,
        lanes=SETTINGS.consumer_lanes,
    )


@dataclass
class Consumed:
    seconds: float
    consumer_cpu: float  # the consumers' CPU seconds (this process's polling excluded)
    postgres_cpu: float  # the bench database's backends' CPU seconds


async def _produce(
    transport: KafkaTransport, topic: str, messages: Sequence[tuple[bytes, bytes]]
) -> None:
    for start in range(0, len(messages), 5000):
        await transport.publish(
            [Message(topic, key, value) for key, value in messages[start : start + 5000]]
        )


async def _start_replicas(url: str, topic: str, group: str) -> list[asyncio.subprocess.Process]:
    """REPLICAS child processes, each consuming in the group, once all have joined it."""
    children = [
        await asyncio.create_subprocess_exec(
            sys.executable,
            __file__,
            "--replica",
            url,
            topic,
            group,
            stdout=asyncio.subprocess.PIPE,
        )
        for _ in range(REPLICAS)
    ]
    for child in children:  # imports, connections, the runner started
        assert child.stdout is not None
        while (await child.stdout.readline()).strip() != b"ready":
            pass
    await asyncio.sleep(SETTLE)  # the group's rebalance to every member
    return children


async def _consume(
    database: Database, url: str, messages: Sequence[tuple[bytes, bytes]], *, replicas: int
) -> Consumed:
    """One consumer: the messages are produced to a topic of their own first, then consumed
    until the inbox holds them all. Several (child processes): they join the group on the
    empty topic, then the clock starts and the messages are produced while they consume."""
    topic = f"bench.campaigns{uuid.uuid4().hex[:8]}.v1"
    group = f"bench.campaigns.{uuid.uuid4().hex[:8]}"
    transport = KafkaTransport(KAFKA, partitions=4, client_id="bench-campaigns")
    await transport.start()
    await transport.ensure_topics([topic])
    name = make_url(url).database or ""
    children: list[asyncio.subprocess.Process] = []
    runner = None
    if replicas == 1:
        await _produce(transport, topic, messages)
        runner = _runner(database, transport, topic, group)
    else:
        children = await _start_replicas(url, topic, group)
    backends_before = await _backend_ticks(database, name)
    children_before = {child.pid: _ticks(child.pid) for child in children}
    started, cpu = time.perf_counter(), time.process_time()
    if runner is not None:
        await runner.start()
    else:
        await _produce(transport, topic, messages)
    inbox = DEFINITION.tables.inbox
    polling = 0.0  # the CPU this loop's own counting takes, not the consumers': subtracted
    # Polling the database is the point: done means committed, as another reader sees it.
    while True:
        before = time.process_time()
        handled = await _count(database, inbox)
        polling += time.process_time() - before
        if handled >= len(messages):
            break
        await asyncio.sleep(0.1)
    elapsed = time.perf_counter() - started
    own_cpu = time.process_time() - cpu - polling
    children_cpu = sum(_ticks(pid) - ticks for pid, ticks in children_before.items()) / TICK
    backends_after = await _backend_ticks(database, name)
    postgres = sum(t - backends_before.get(pid, 0) for pid, t in backends_after.items()) / TICK
    if runner is not None:
        await runner.stop()
    for child in children:
        child.send_signal(signal.SIGTERM)
        await child.wait()
    await transport.stop()
    return Consumed(elapsed, own_cpu if runner is not None else children_cpu, max(postgres, 0.0))


def _figures(events: int, consumed: Consumed) -> dict[str, Any]:
    return {
        "seconds": round(consumed.seconds, 3),
        "events_per_second": round(events / consumed.seconds),
        "events_per_cpu_second": round(events / consumed.consumer_cpu),
        "cpu_us_per_event": round(consumed.consumer_cpu / events * 1e6),
        "postgres_cpu_us_per_event": round(consumed.postgres_cpu / events * 1e6),
        "load_average": [round(n, 2) for n in os.getloadavg()],
    }


async def _workspace_with_running_campaign(url: str) -> tuple[Database, uuid.UUID]:
    """The bench database, migrated, with a new workspace running one campaign."""
    database = Database(url, pool_size=5)
    await upgrade(database, DEFINITION.migrations)
    workspace_id = uuid.uuid4()
    await _running_campaign(database, workspace_id)
    return database, workspace_id


async def bench_journeys(url: str) -> dict[str, Any]:
    database, workspace_id = await _workspace_with_running_campaign(url)
    now = datetime.now(UTC)
    messages = []
    for i in range(TRIGGERS):
        payload = UserLifecycleStageChanged(
            user_id=f"u{i}",
            from_stage="churned" if i % 2 == 0 else "new",
            to_stage="active",
            reason="bench",
            changed_at=now,
        )
        event = make_event(
            USER_LIFECYCLE_STAGE_CHANGED, payload, source="/bench", workspace=workspace_id
        )
        messages.append((payload.user_id.encode(), event.to_bytes()))
    consumed = await _consume(database, url, messages, replicas=REPLICAS)
    effects = {
        "enrolments": await _count(database, Enrollment),
        "coupons": await _count(database, Coupon),
        "sends": await _count(database, Send),
        "outbox": await _count(database, DEFINITION.tables.outbox),
    }
    await database.dispose()
    matching = (TRIGGERS + 1) // 2
    assert effects["coupons"] == matching == effects["sends"] == effects["enrolments"], effects
    return {
        "trigger_events": TRIGGERS,
        "matching": matching,
        "replicas": REPLICAS,
        # The consumers' CPU (runner, handlers, drivers) less this process's polling; the bench
        # database's PostgreSQL backends apart; Kafka's not included.
        **_figures(TRIGGERS, consumed),
        "effects": effects,
    }


async def bench_accepted(url: str) -> dict[str, Any]:
    database, workspace_id = await _workspace_with_running_campaign(url)
    now = datetime.now(UTC)
    messages = []
    for i in range(ACCEPTED):
        purchase = i % 2 == 0
        payload = UserEventAccepted(
            event_id=f"e{i}",
            user_id=f"u{i % 5000}",
            kind="purchase" if purchase else "share",
            occurred_at=now,
            amount="59.90" if purchase else None,
            currency="CNY" if purchase else None,
            order_id=f"o{i}" if purchase else None,
            properties={"platform": "douyin"},
        )
        event = make_event(USER_EVENT_ACCEPTED, payload, source="/bench", workspace=workspace_id)
        messages.append((payload.user_id.encode(), event.to_bytes()))
    consumed = await _consume(database, url, messages, replicas=1)
    await database.dispose()
    return {"accepted_events": ACCEPTED, **_figures(ACCEPTED, consumed)}


async def replica(url: str, topic: str, group: str) -> None:
    """One consumer of the group until SIGTERM: a replica of the service's consumer."""
    database = Database(url, pool_size=5)
    transport = KafkaTransport(KAFKA, partitions=4, client_id="bench-campaigns")
    await transport.start()
    runner = _runner(database, transport, topic, group)
    await runner.start()
    print("ready", flush=True)
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    await stop.wait()
    await runner.stop()
    await transport.stop()
    await database.dispose()


async def main() -> dict[str, Any]:
    result: dict[str, Any] = {
        "benchmark": "campaigns",
        "at": datetime.now(UTC).isoformat(),
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
    }
    if os.environ.get("BENCH_SKIP_JOURNEYS") != "1":
        async with fresh_postgres_database("bench") as url:
            result["journeys"] = journeys = await bench_journeys(url)
            print(json.dumps(journeys, indent=2), flush=True)
            print(
                f"journeys: {journeys['events_per_second']:,} trigger events/s with effects "
                f"committed (target 5,000), {REPLICAS} consumer(s); CPU-µs per event: "
                f"{journeys['cpu_us_per_event']} consuming, "
                f"{journeys['postgres_cpu_us_per_event']} PostgreSQL; "
                f"load average {journeys['load_average'][0]}",
                flush=True,
            )
    if os.environ.get("BENCH_SKIP_ACCEPTED") != "1":
        async with fresh_postgres_database("bench") as url:
            result["accepted"] = accepted = await bench_accepted(url)
            print(json.dumps(accepted, indent=2), flush=True)
            print(
                f"accepted CRM events: CPU-µs per event: {accepted['cpu_us_per_event']} "
                f"consuming, {accepted['postgres_cpu_us_per_event']} PostgreSQL "
                f"({accepted['events_per_second']:,} events/s); "
                f"load average {accepted['load_average'][0]}",
                flush=True,
            )
    return result


if __name__ == "__main__":
    if sys.argv[1:2] == ["--replica"]:
        asyncio.run(replica(*sys.argv[2:5]))
        sys.exit(0)
    figures = asyncio.run(main())
    print(json.dumps(figures, indent=2, ensure_ascii=False))
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(figures, indent=2, ensure_ascii=False) + "\n")
    print(f"wrote {RESULTS}")
