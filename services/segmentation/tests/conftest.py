import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any
from uuid import UUID

import numpy as np
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from segmentation.lifecycle.models import StageChange
from segmentation.main import DEFINITION

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)


@pytest.fixture
def service_definition():
    return DEFINITION


@pytest.fixture
def workspace_id() -> uuid.UUID:
    return uuid.uuid4()


@pytest.fixture
def now() -> datetime:
    return NOW


@pytest.fixture
def crm_event() -> Callable[..., dict[str, Any]]:
    """A CRM event item; `days_ago` places it relative to NOW."""

    def make(
        user_id: str = "u1", type: str = "login", *, days_ago: float = 0, **fields: Any
    ) -> dict[str, Any]:
        return {
            "event_id": fields.pop("event_id", uuid.uuid4().hex),
            "user_id": user_id,
            "type": type,
            "occurred_at": (NOW - timedelta(days=days_ago)).isoformat(),
            **fields,
        }

    return make


@pytest.fixture
def scattered_buyers() -> Callable[..., list[dict[str, Any]]]:
    """Profile rows for re-score tests, not yet scored: every `never_bought_every`-th user never
    bought, the others last bought an exponentially spread number of days before `now`. The same
    arguments give the same rows; `extra` columns are added to every row."""

    def rows(
        workspace_id: UUID,
        now: datetime,
        *,
        users: int,
        seed: int,
        never_bought_every: int,
        mean_days_since: float = 90,
        user_id: str = "user-{}",
        **extra: Callable[[int], Any],
    ) -> list[dict[str, Any]]:
        rng = np.random.default_rng(seed)
        made = []
        for i in range(users):
            bought = i % never_bought_every != 0
            last = now - timedelta(days=float(rng.exponential(mean_days_since))) if bought else None
            orders = int(rng.geometric(0.4)) if bought else 0
            made.append(
                {
                    "workspace_id": workspace_id,
                    "user_id": user_id.format(i),
                    "identities": {},
                    "extra": {},
                    "complaint_reasons": [],
                    "first_seen_at": now - timedelta(days=400),
                    "last_active_at": last or now - timedelta(days=float(i % 90)),
                    "first_purchase_at": last - timedelta(days=i % 50) if last else None,
                    "last_purchase_at": last,
                    "order_count": orders,
                    "refund_count": 0,
                    "monetary_total": Decimal(orders * (10 + i % 300)),
                    "source": "organic",
                    "stage": "potential",
                    "created_at": now,
                    "updated_at": now,
                    **{column: value(i) for column, value in extra.items()},
                }
            )
        return made

    return rows


StageRows = Callable[[AsyncSession, UUID], Awaitable[list[tuple[Any, ...]]]]


@pytest.fixture
def stage_rows() -> StageRows:
    """A workspace's stage history as stored, in the order written: what tests compare when two
    ways of writing it (replayed or shortcut, split or whole, SQL or Python) must agree."""

    async def rows(session: AsyncSession, workspace_id: UUID) -> list[tuple[Any, ...]]:
        found = await session.execute(
            select(
                StageChange.user_id,
                StageChange.kind,
                StageChange.from_value,
                StageChange.to_value,
                StageChange.reason,
                StageChange.changed_at,
            )
            .where(StageChange.workspace_id == workspace_id)
            .order_by(StageChange.id)
        )
        return [tuple(row) for row in found]

    return rows
