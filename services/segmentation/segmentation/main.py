from pathlib import Path

from fastapi import FastAPI

from segmentation.db import BUS, metadata
from yunying_shared.bus import Transport
from yunying_shared.service import ServiceDefinition, build_app
from yunying_shared.settings import ServiceSettings

DEFINITION = ServiceDefinition(
    name="segmentation",
    title="Yunying Segmentation",
    description="Users, lifecycle stages, RFM scores, tags and live segments.",
    metadata=metadata,
    tables=BUS,
    migrations=Path(__file__).resolve().parents[1] / "migrations",
)


def create_app(
    settings: ServiceSettings | None = None, *, transport: Transport | None = None
) -> FastAPI:
    return build_app(DEFINITION, settings or ServiceSettings.for_service("segmentation"), transport=transport)
