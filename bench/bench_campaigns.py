"""Campaigns: journey evaluation throughput and coupon redemption latency, on PostgreSQL.

1. Journey evaluation, distributed mode: BENCH_TRIGGERS (default 20,000)
   `user.lifecycle_stage_changed` events for distinct users are produced to Kafka, on a topic of
   this run's own (the shared `segmentation.user.v1` carries other suites' traffic), and consumed
   by a `ConsumerRunner` with the service's own handlers and its settings' batch sizes (1,000
   per fetch, 500 per transaction): the batch handler groups each run per workspace and calls
   the journey engine once. Half the events are churned → active and match a running campaign's
   journey whose steps issue a coupon and queue a message; the other half match nothing.
   Figure: events per second from the runner's start to the moment every event's inbox row and
   effects are committed (coupons,
   coupon.issued outbox rows, sends, enrolments), checked by counting them; and CPU-µs per
   event of this process (the consumer; its own polling subtracted), with the load average.
Coupon redemption is measured by `bench_redemption.py` (a campaigns server of its own).
"""

from __future__ import annotations

import asyncio
import json
import os
import platform
import time
import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

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
from yunying_shared.events.catalogue import USER_LIFECYCLE_STAGE_CHANGED
from yunying_shared.events.payloads.segmentation import UserLifecycleStageChanged
from yunying_shared.testing.databases import fresh_postgres_database

REPO = Path(__file__).resolve().parents[1]
RESULTS = Path(os.environ.get("BENCH_RESULTS", REPO / "bench/results/campaigns.json"))
TRIGGERS = int(os.environ.get("BENCH_TRIGGERS", "20000"))
KAFKA = os.environ.get("YUNYING_TEST_KAFKA_BOOTSTRAP", "127.0.0.1:19092")
SETTINGS = DEFINITION.settings()


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


async def bench_journeys(url: str) -> dict[str, Any]:
    database = Database(url, pool_size=5)
    await upgrade(database, DEFINITION.migrations)
    workspace_id = uuid.uuid4()
    await _running_campaign(database, workspace_id)
    topic = f"bench.campaigns{uuid.uuid4().hex[:8]}.v1"
    transport = KafkaTransport(KAFKA, partitions=4, client_id="bench-campaigns")
    await transport.start()
    await transport.ensure_topics([topic])
    now = datetime.now(UTC)
    messages = []
    for i in range(TRIGGERS):
        matching = i % 2 == 0
        payload = UserLifecycleStageChanged(
            user_id=f"u{i}",
            from_stage="churned" if matching else "new",
            to_stage="active",
            reason="bench",
            changed_at=now,
        )
        event = make_event(
            USER_LIFECYCLE_STAGE_CHANGED, payload, source="/bench", workspace=workspace_id
        )
        messages.append(Message(topic, payload.user_id.encode(), event.to_bytes()))
    for start in range(0, len(messages), 5000):
        await transport.publish(messages[start : start + 5000])

    runner = ConsumerRunner(
        service="campaigns",
        database=database,
        tables=DEFINITION.tables,
        transport=transport,
        handlers=DEFINITION.event_handlers(),
        batch_handlers=DEFINITION.batch_handlers(),
        idempotent_types=DEFINITION.idempotent_types(),
        topics=[topic],
        group=f"bench.campaigns.{uuid.uuid4().hex[:8]}",
        # The service's own sizes, as its app passes them (not the runner's platform defaults).
        fetch_max_records=SETTINGS.consumer_fetch_max_records,
        transaction_max_events=SETTINGS.consumer_transaction_max_events,
    )
    started, cpu = time.perf_counter(), time.process_time()
    await runner.start()
    inbox = DEFINITION.tables.inbox
    polling = 0.0  # the CPU this loop's own counting takes, not the consumer's: subtracted
    # Polling the database is the point: done means committed, as another reader sees it.
    while True:
        before = time.process_time()
        handled = await _count(database, inbox)
        polling += time.process_time() - before
        if handled >= TRIGGERS:
            break
        await asyncio.sleep(0.1)
    elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu - polling
    await runner.stop()
    await transport.stop()
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
        "seconds": round(elapsed, 3),
        "events_per_second": round(TRIGGERS / elapsed),
        # This process's CPU (runner, handlers, drivers) less the polling; PostgreSQL's and
        # Kafka's not included.
        "events_per_cpu_second": round(TRIGGERS / cpu),
        "cpu_us_per_event": round(cpu / TRIGGERS * 1e6),
        "load_average": [round(n, 2) for n in os.getloadavg()],
        "effects": effects,
    }


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
                f"committed (target 5,000); {journeys['cpu_us_per_event']} CPU-µs per event in "
                f"the consuming process; load average {journeys['load_average'][0]}",
                flush=True,
            )
    return result


if __name__ == "__main__":
    figures = asyncio.run(main())
    print(json.dumps(figures, indent=2, ensure_ascii=False))
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(figures, indent=2, ensure_ascii=False) + "\n")
    print(f"wrote {RESULTS}")
