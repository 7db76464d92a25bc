from yunying_shared.bus.consumer import ConsumerRunner, Handler, PermanentFailure, dlq_topic
from yunying_shared.bus.outbox import publish, publish_encoded
from yunying_shared.bus.relay import Relay
from yunying_shared.bus.tables import BusTables, define_bus_tables
from yunying_shared.bus.transport import Message, Received, TopicPartition, Transport

__all__ = [
    "BusTables",
    "ConsumerRunner",
    "Handler",
    "Message",
    "PermanentFailure",
    "Received",
    "Relay",
    "TopicPartition",
    "Transport",
    "define_bus_tables",
    "dlq_topic",
    "publish",
    "publish_encoded",
]
