from functools import partial
from pathlib import Path

import segmentation.models  # noqa: F401  (every table on the metadata)
from segmentation.config import SegmentationConfig
from segmentation.consumers import HANDLERS
from segmentation.db import BUS, metadata
from segmentation.events.router import router as events_router
from segmentation.population.router import router as population_router
from segmentation.profiles.router import router as profiles_router
from segmentation.rfm.router import router as rfm_router
from segmentation.rfm.sweep import run_sweeps
from segmentation.segments.router import router as segments_router
from segmentation.segments.sweep import sweep_segments_forever
from segmentation.settings.router import router as settings_router
from segmentation.tags.router import router as tags_router
from yunying_shared.kit import ApiScope, ServiceDefinition, build_app

DEFINITION = ServiceDefinition(
    name="segmentation",
    title="Yunying Segmentation",
    description="Users, lifecycle stages, RFM scores, tags and live segments.",
    metadata=metadata,
    tables=BUS,
    migrations=Path(__file__).resolve().parents[1] / "migrations",
    local_port=8101,
    settings=SegmentationConfig,
    routers=(
        events_router,
        profiles_router,
        tags_router,
        rfm_router,
        settings_router,
        segments_router,
        population_router,
    ),
    prefixes=("/v1/events", "/v1/users", "/v1/segments", "/v1/tags", "/v1/population"),
    handlers=HANDLERS,
    background=(run_sweeps, sweep_segments_forever),
    scopes=(
        ApiScope("events:write", "Send user events (CRM systems)"),
        ApiScope("profiles:read", "Read user profiles, tags and RFM scores"),
        ApiScope("segments:read", "Read segments and their members"),
        ApiScope("segments:write", "Create, change and delete segments"),
    ),
)

# The uvicorn factory: `uvicorn --factory segmentation.main:create_app`.
create_app = partial(build_app, DEFINITION)
