import uuid
from datetime import UTC, datetime

import pytest

from campaigns.main import DEFINITION

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
