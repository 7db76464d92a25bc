from pathlib import Path

from fastapi import FastAPI

import segmentation.models  # noqa: F401  (every table on the metadata)
from segmentation.consumers import BATCH_HANDLERS, HANDLERS
from segmentation.db import BUS, metadata
from segmentation.events.router import router as events_router
from segmentation.lifecycle.sweep import run_sweeps
from segmentation.population.router import router as population_router
from segmentation.profiles.router import router as profiles_router
from segmentation.rfm.router import router as rfm_router
from segmentation.segments.router import router as segments_router
from segmentation.segments.sweep import sweep_segments_forever
from segmentation.settings.router import router as settings_router
from segmentation.tags.router import router as tags_router
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
    routers=(
        events_router,
        profiles_router,
        tags_router,
        rfm_router,
        settings_router,
        segments_router,
        population_router,
    ),
    handlers=HANDLERS,
    batch_handlers=BATCH_HANDLERS,
    background=(run_sweeps, sweep_segments_forever),
)


def create_app(
    settings: ServiceSettings | None = None, *, transport: Transport | None = None
) -> FastAPI:
    return build_app(
        DEFINITION, settings or ServiceSettings.for_service("segmentation"), transport=transport
    )
