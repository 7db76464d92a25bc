"""The periodic jobs over committed data: evaluation of every active keyword (a quiet day
closes the alert without any new batch) and crisis reminders."""

from datetime import timedelta

from sqlalchemy import select

from sentiment_alert.alerts.models import SpikeAlert
from sentiment_alert.crises.models import CrisisCaseRecord
from sentiment_alert.jobs import evaluate_all, remind
from sentiment_alert.mentions.service import ingest
from sentiment_alert.monitoring.schemas import RuleIn
from sentiment_alert.monitoring.service import create_rule

from .history import burst, ingest_all, steady_week


async def test_the_jobs_close_quiet_alerts_and_remind_of_statements(database, workspace_id, now):
    async with database.session() as session, session.begin():
        await create_rule(
            session, workspace_id=workspace_id, data=RuleIn(kind="brand", keyword="花西子")
        )
        await ingest_all(session, ingest, workspace_id, steady_week(now), now - timedelta(hours=1))
        await ingest(session, workspace_id=workspace_id, items=burst(now, 60, prefix="x"), now=now)
    assert await evaluate_all(database, now=now) == 0  # the batch evaluated it already
    assert await remind(database, now=now + timedelta(hours=13)) == 1
    assert await evaluate_all(database, now=now + timedelta(hours=25)) == 1
    async with database.session() as session:
        alert = await session.scalar(
            select(SpikeAlert).where(SpikeAlert.workspace_id == workspace_id)
        )
        case = await session.get(CrisisCaseRecord, alert.crisis_id)
    assert alert.state == "closed"
    assert case.reminders_sent == ["12h"]
