"""Every contract test runs on both transports: the embedded one and real Kafka."""

import uuid

import pytest

from yunying_shared.bus.kafka import KafkaTransport
from yunying_shared.bus.local import LocalTransport
from yunying_shared.testing.databases import kafka_bootstrap


@pytest.fixture(params=["local", pytest.param("kafka", marks=pytest.mark.kafka)])
def transport_kind(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
async def transport(transport_kind, tmp_path):
    if transport_kind == "kafka":
        bus = KafkaTransport(
            kafka_bootstrap(),
            partitions=4,
            client_id="yunying-contract",
            session_timeout_ms=6_000,
            heartbeat_interval_ms=1_000,
        )
    else:
        bus = LocalTransport(tmp_path / "bus.sqlite3", partitions=4)
    await bus.start()
    yield bus
    await bus.stop()


@pytest.fixture
def topic():
    return f"contract.t{uuid.uuid4().hex[:10]}.v1"
