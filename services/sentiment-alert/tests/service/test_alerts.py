"""Spike alerts over stored buckets: one alert per spike that escalates, a crisis case at
orange, the flood guard, and closing after the quiet period."""

from datetime import timedelta

from sqlalchemy import select

from sentiment_alert.alerts.models import SpikeAlert
from sentiment_alert.alerts.service import evaluate
from sentiment_alert.crises.models import CrisisCaseRecord
from sentiment_alert.db import BUS
from sentiment_alert.mentions.service import ingest
from sentiment_alert.monitoring.schemas import RuleIn
from sentiment_alert.monitoring.service import create_rule
from sentiment_alert.notifications.models import NotificationDelivery
from sentiment_alert.notifications.schemas import ChannelIn
from sentiment_alert.notifications.service import create_channel
from yunying_shared.events.catalogue import CRISIS_OPENED

from .history import NEUTRAL, burst, ingest_all, steady_week


async def _prepare(session, workspace_id, now):
    await create_rule(
        session, workspace_id=workspace_id, data=RuleIn(kind="brand", keyword="花西子")
    )
    await create_channel(
        session,
        workspace_id=workspace_id,
        data=ChannelIn(kind="slack", name="ops", url="https://hooks.slack.example/T/1"),
        now=now,
    )
    await ingest_all(session, ingest, workspace_id, steady_week(now), now - timedelta(hours=1))


async def _alerts(session, workspace_id):
    return (
        await session.scalars(select(SpikeAlert).where(SpikeAlert.workspace_id == workspace_id))
    ).all()


async def _crisis_events(session):
    rows = await session.execute(
        select(BUS.outbox.c.headers).where(BUS.outbox.c.topic == "sentiment.crisis.v1")
    )
    return [headers["ce_type"] for (headers,) in rows]


async def test_a_steady_week_raises_nothing(session, workspace_id, now):
    await _prepare(session, workspace_id, now)
    assert await evaluate(session, workspace_id=workspace_id, keywords=["花西子"], now=now) == []
    assert await _alerts(session, workspace_id) == []


async def test_a_negative_burst_raises_one_alert_that_escalates_and_opens_a_crisis(
    session, workspace_id, now
):
    await _prepare(session, workspace_id, now)
    # First a rise in plain volume (16 an hour against 2): blue.
    rise = burst(now, 16, prefix="a", text=NEUTRAL)
    await ingest(session, workspace_id=workspace_id, items=rise, now=now)
    [alert] = await _alerts(session, workspace_id)
    assert alert.state == "open" and alert.level == "blue"
    assert alert.signals == ["volume"]
    assert alert.crisis_id is None
    first_level = alert.level

    # More of the same spike in the same hour: the same alert escalates, no second one.
    await ingest(session, workspace_id=workspace_id, items=burst(now, 40, prefix="b"), now=now)
    [alert] = await _alerts(session, workspace_id)
    assert alert.level == "red"
    assert [e["level"] for e in alert.escalations] == ["red"]
    assert first_level != "red"
    assert alert.sentiment_mix["neg"] == 40 and sum(alert.sentiment_mix.values()) == 56
    assert alert.platforms == {"xiaohongshu": 36, "douyin": 20}
    assert {t["term"] for t in alert.top_terms} == set()  # only the brand rule exists
    assert alert.top_mentions[0]["engagement"] == 39
    assert alert.signals == ["negative_share", "volume"]

    case = await session.get(CrisisCaseRecord, alert.crisis_id)
    assert case.state == "warning" and case.level == "red" and case.keyword == "花西子"
    assert case.statement_due_at - case.opened_at == timedelta(hours=24)
    assert await _crisis_events(session) == [CRISIS_OPENED.type]
    deliveries = (
        await session.scalars(
            select(NotificationDelivery.subject).where(
                NotificationDelivery.workspace_id == workspace_id
            )
        )
    ).all()
    assert len(deliveries) == 2  # opened, escalated

    # Re-evaluating changes nothing; the background job finds the same alert.
    assert await evaluate(session, workspace_id=workspace_id, keywords=["花西子"], now=now) == []
    assert len(await _alerts(session, workspace_id)) == 1


async def test_one_author_flooding_raises_nothing(session, workspace_id, now):
    await _prepare(session, workspace_id, now)
    flood = burst(now, 300, prefix="flood")
    for item in flood:
        item["author"] = "one-angry-author"
    await ingest(session, workspace_id=workspace_id, items=flood, now=now)
    assert await _alerts(session, workspace_id) == []


async def test_the_alert_closes_after_the_quiet_period(session, workspace_id, now):
    await _prepare(session, workspace_id, now)
    await ingest(session, workspace_id=workspace_id, items=burst(now, 60, prefix="c"), now=now)
    [alert] = await _alerts(session, workspace_id)
    assert alert.state == "open"
    later = now + timedelta(hours=10)
    assert await evaluate(session, workspace_id=workspace_id, keywords=["花西子"], now=later) == []
    closed = await evaluate(
        session, workspace_id=workspace_id, keywords=["花西子"], now=now + timedelta(hours=25)
    )
    assert [a.id for a in closed] == [alert.id]
    assert alert.state == "closed" and alert.closed_at is not None
