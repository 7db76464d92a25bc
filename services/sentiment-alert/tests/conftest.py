import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from sentiment_alert.main import DEFINITION

# A Wednesday, 12:20 UTC: the current hour's bucket is partly filled.
NOW = datetime(2026, 6, 3, 12, 20, tzinfo=UTC)


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
def mention() -> Callable[..., dict[str, Any]]:
    """A mention item; `hours_ago` places it relative to NOW."""

    def make(text: str = "今天天气不错", *, hours_ago: float = 0, **fields: Any) -> dict[str, Any]:
        return {
            "platform": fields.pop("platform", "weibo"),
            "platform_id": fields.pop("platform_id", uuid.uuid4().hex),
            "author": fields.pop("author", "user-" + uuid.uuid4().hex[:8]),
            "text": text,
            "posted_at": (NOW - timedelta(hours=hours_ago)).isoformat(),
            **fields,
        }

    return make
