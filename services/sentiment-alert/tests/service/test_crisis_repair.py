"""Crisis cases over time: statement reminders and the overdue flag, escalation from the alert,
repair tracking (negative share back to baseline, positive content published) and the
suggested close."""

from datetime import timedelta

from sqlalchemy import select

from sentiment_alert.clock import hour_of
from sentiment_alert.crises.repair import overdue, repair_status, send_reminders
from sentiment_alert.crises.service import (
    open_case,
    publish_statement,
    record_published_content,
)
from sentiment_alert.mentions.service import ingest
from sentiment_alert.monitoring.schemas import RuleIn
from sentiment_alert.monitoring.service import create_rule
from sentiment_alert.notifications.models import NotificationDelivery
from sentiment_alert.notifications.schemas import ChannelIn
from sentiment_alert.notifications.service import create_channel
from sentiment_alert.spikes import AlertLevel

STATEMENT = (
    "经核实，该批次散粉确实存在质量问题，我们郑重道歉。即日起下架召回，7日内全额退款，"
    "客服热线400-123-4567。"
)


async def test_reminders_before_the_deadline_and_the_overdue_flag(session, workspace_id, now):
    await create_channel(
        session,
        workspace_id=workspace_id,
        data=ChannelIn(kind="wecom", name="群", url="https://qyapi.weixin.qq.com/x?key=1"),
        now=now,
    )
    case = await open_case(
        session, workspace_id=workspace_id, title="过敏投诉", level=AlertLevel.ORANGE, now=now
    )
    assert await send_reminders(session, now=now + timedelta(hours=1)) == 0
    assert await send_reminders(session, now=now + timedelta(hours=12, minutes=1)) == 1
    assert await send_reminders(session, now=now + timedelta(hours=13)) == 0  # once each
    assert not overdue(case, now + timedelta(hours=23))
    assert await send_reminders(session, now=now + timedelta(hours=25)) == 2  # 2h and overdue
    assert case.reminders_sent == ["12h", "2h", "overdue"]
    assert overdue(case, now + timedelta(hours=25))
    subjects = (
        await session.scalars(
            select(NotificationDelivery.subject).where(
                NotificationDelivery.workspace_id == workspace_id
            )
        )
    ).all()
    assert [s.rsplit(":", 1)[1] for s in subjects] == ["12h", "2h", "overdue"]

    # Publishing (late) clears the flag; no more reminders.
    await publish_statement(
        session,
        workspace_id=workspace_id,
        case_id=case.id,
        text=STATEMENT,
        actor="pr",
        now=now + timedelta(hours=26),
    )
    assert not overdue(case, now + timedelta(hours=30))
    assert await send_reminders(session, now=now + timedelta(hours=30)) == 0
    assert "(late)" in case.timeline[-1]["detail"]


async def test_repair_is_suggested_once_negative_share_is_back_and_content_is_out(
    session, workspace_id, now, mention
):
    await create_rule(
        session, workspace_id=workspace_id, data=RuleIn(kind="brand", keyword="花西子")
    )
    # Baseline before the case: 1 negative in 10 per hour, three days.
    history = []
    for hours_ago in range(1, 72):
        history += [mention("花西子今天上新了", hours_ago=hours_ago + 48) for _ in range(9)]
        history.append(mention("花西子太差了，差评", hours_ago=hours_ago + 48))
    await ingest(session, workspace_id=workspace_id, items=history, now=now, evaluate_alerts=False)
    opened_at = now - timedelta(hours=47)
    case = await open_case(
        session,
        workspace_id=workspace_id,
        title="花西子过敏",
        level=AlertLevel.RED,
        keyword="花西子",
        now=opened_at,
    )
    crisis_hours = [mention("花西子过敏了，太差了，投诉", hours_ago=h) for h in range(30, 46)]
    await ingest(
        session, workspace_id=workspace_id, items=crisis_hours, now=now, evaluate_alerts=False
    )
    status = await repair_status(session, case, now - timedelta(hours=30))
    assert status.baseline_negative_share == 0.1
    assert status.recent_negative_share > 0.25 and not status.negative_back_to_baseline

    await publish_statement(
        session,
        workspace_id=workspace_id,
        case_id=case.id,
        text=STATEMENT,
        actor="pr",
        now=now - timedelta(hours=29),
    )
    calm = [mention("花西子新品还不错", hours_ago=h) for h in range(0, 20)]
    await ingest(session, workspace_id=workspace_id, items=calm, now=now, evaluate_alerts=False)
    status = await repair_status(session, case, now)
    assert status.negative_back_to_baseline and not status.suggested_close

    # A piece published before the case opened does not count; one after does, once.
    before = opened_at - timedelta(hours=1)
    assert (
        await record_published_content(
            session,
            workspace_id=workspace_id,
            content_id="c0",
            title="旧文",
            kind="value",
            at=before,
        )
        == 0
    )
    for _ in range(2):
        await record_published_content(
            session,
            workspace_id=workspace_id,
            content_id="c1",
            title="成分科普",
            kind="value",
            at=now - timedelta(hours=2),
        )
    status = await repair_status(session, case, now)
    assert status.positive_content_published == 1
    assert status.suggested_close
    assert hour_of(case.opened_at) == hour_of(opened_at)
