from pathlib import Path

from fastapi import FastAPI

from campaigns.db import BUS, metadata
from yunying_shared.bus import Transport
from yunying_shared.service import ServiceDefinition, build_app
from yunying_shared.settings import ServiceSettings

DEFINITION = ServiceDefinition(
    name="campaigns",
    title="Yunying Campaigns",
    description="Campaigns, journeys, coupons, referrals and A/B experiments.",
    metadata=metadata,
    tables=BUS,
    migrations=Path(__file__).resolve().parents[1] / "migrations",
)


def create_app(
    settings: ServiceSettings | None = None, *, transport: Transport | None = None
) -> FastAPI:
    return build_app(
        DEFINITION, settings or ServiceSettings.for_service("campaigns"), transport=transport
    )
