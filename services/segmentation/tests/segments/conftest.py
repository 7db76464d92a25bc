"""Seeding profiles, tags and raw events straight into the tables, so segment tests do not
depend on how ingestion derives them; and reading what the outbox holds."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from segmentation.db import BUS
from segmentation.events.models import UserEvent
from segmentation.profiles.models import Profile
from segmentation.tags.models import UserTag
from yunying_shared.testing.outbox import outbox_events


class Seeder:
    def __init__(self, session: Any, workspace_id: uuid.UUID, now: datetime) -> None:
        self.session, self.workspace_id, self.now = session, workspace_id, now

    async def profile(self, user_id: str, **fields: Any) -> Profile:
        values: dict[str, Any] = {
            "identities": {},
            "extra": {},
            "complaint_reasons": [],
            "order_count": 0,
            "refund_count": 0,
            "monetary_total": Decimal(0),
            "source": "organic",
            "stage": "potential",
            "created_at": self.now,
            "updated_at": self.now,
            "first_seen_at": self.now - timedelta(days=100),
        }
        values.update(fields)
        profile = Profile(workspace_id=self.workspace_id, user_id=user_id, **values)
        self.session.add(profile)
        await self.session.flush()
        return profile

    async def tag(
        self,
        user_id: str,
        tag: str,
        *,
        expires_in_days: float | None = None,
        confidence: float = 1.0,
    ) -> None:
        expires = None if expires_in_days is None else self.now + timedelta(days=expires_in_days)
        self.session.add(
            UserTag(
                workspace_id=self.workspace_id,
                user_id=user_id,
                tag=tag,
                kind="need",
                source="manual",
                confidence=confidence,
                expires_at=expires,
                created_at=self.now,
                updated_at=self.now,
            )
        )
        await self.session.flush()

    async def event(
        self, user_id: str, type: str, *, days_ago: float, amount: float | None = None
    ) -> None:
        self.session.add(
            UserEvent(
                workspace_id=self.workspace_id,
                event_id=uuid.uuid4().hex,
                user_id=user_id,
                type=type,
                occurred_at=self.now - timedelta(days=days_ago),
                received_at=self.now,
                amount=None if amount is None else Decimal(str(amount)),
                properties={},
            )
        )
        await self.session.flush()


@pytest.fixture
def seed(session, workspace_id, now) -> Seeder:
    return Seeder(session, workspace_id, now)


@pytest.fixture
def outbox(session):
    """Events written to the outbox so far: [(type, data)], optionally of one type."""

    async def read(event_type: str | None = None) -> list[tuple[str, dict[str, Any]]]:
        events = [e.envelope() for e in await outbox_events(session, BUS)]
        return [
            (e["type"], e["data"]) for e in events if event_type is None or e["type"] == event_type
        ]

    return read
