from pathlib import Path

from fastapi import FastAPI

from sentiment_alert.db import BUS, metadata
from yunying_shared.bus import Transport
from yunying_shared.service import ServiceDefinition, build_app
from yunying_shared.settings import ServiceSettings

DEFINITION = ServiceDefinition(
    name="sentiment-alert",
    title="Yunying Sentiment alert",
    description="Mentions, sentiment scores, spike detection, alerts and crisis cases.",
    metadata=metadata,
    tables=BUS,
    migrations=Path(__file__).resolve().parents[1] / "migrations",
)


def create_app(
    settings: ServiceSettings | None = None, *, transport: Transport | None = None
) -> FastAPI:
    return build_app(
        DEFINITION, settings or ServiceSettings.for_service("sentiment-alert"), transport=transport
    )
