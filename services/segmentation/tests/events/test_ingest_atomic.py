from sqlalchemy import func, select

from segmentation.db import BUS
from segmentation.events.models import UserEvent
from segmentation.events.service import ingest
from segmentation.profiles.models import Profile
from segmentation.segments.models import SegmentMembership
from segmentation.segments.rules import parse_rule
from segmentation.segments.schemas import SegmentIn
from segmentation.segments.service import create_segment


async def test_a_rolled_back_batch_leaves_nothing(database, workspace_id, now, crm_event):
    """The bulk statements go straight to the driver (arrays on PostgreSQL): they must run in
    the caller's transaction even when they are its first statements, so a batch whose
    transaction fails stores no event (a CRM retry would otherwise be taken for a duplicate)."""
    async with database.session() as session, session.begin():
        await create_segment(
            session,
            workspace_id=workspace_id,
            now=now,
            actor="t",
            data=SegmentIn(
                name="viewers",
                rule=parse_rule(
                    {
                        "type": "event",
                        "event_type": "page_view",
                        "within_days": 7,
                        "operator": "gte",
                        "value": 1,
                    }
                ),
            ),
        )
    async with database.session() as session:
        outbox_before = await session.scalar(select(func.count()).select_from(BUS.outbox))
    async with database.session() as session:
        result = await ingest(
            session,
            workspace_id=workspace_id,
            now=now,
            items=[crm_event("u1", "page_view"), crm_event("u2", "login")],
        )
        assert result.accepted == 2
        await session.rollback()
    async with database.session() as session:
        for table in (UserEvent, Profile, SegmentMembership):
            assert await session.scalar(select(func.count()).select_from(table)) == 0
        assert await session.scalar(select(func.count()).select_from(BUS.outbox)) == outbox_before
