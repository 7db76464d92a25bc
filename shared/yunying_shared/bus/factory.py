from __future__ import annotations

from yunying_shared.bus.transport import Transport
from yunying_shared.settings import BusKind, ServiceSettings


def transport_from_settings(settings: ServiceSettings) -> Transport:
    if settings.bus is BusKind.KAFKA:
        from yunying_shared.bus.kafka import KafkaTransport

        return KafkaTransport(
            settings.kafka_bootstrap,
            partitions=settings.kafka_partitions,
            client_id=f"yunying-{settings.service_name}",
            session_timeout_ms=settings.kafka_session_timeout_ms,
            heartbeat_interval_ms=settings.kafka_heartbeat_interval_ms,
        )
    from yunying_shared.bus.local import LocalTransport

    return LocalTransport(settings.state_dir / "bus.sqlite3", partitions=settings.kafka_partitions)
