import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

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
