import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from functools import partial
from pathlib import Path

from fastapi import FastAPI

import content_review.models  # noqa: F401  (every table on the metadata)
from content_review.access import READ_SCOPE, WRITE_SCOPE
from content_review.config import Settings
from content_review.consumers import HANDLERS
from content_review.db import BUS, metadata
from content_review.images.router import router as images_router
from content_review.items.router import router as items_router
from content_review.lists.router import router as lists_router
from content_review.publishing.jobs import advance_due_items_forever
from content_review.publishing.router import router as publishing_router
from content_review.review.queue import router as review_queue_router
from content_review.review.router import router as review_router
from content_review.scanning.registry import shared_registry
from content_review.scanning.router import router as scan_router
from yunying_shared.kit import ApiScope, ServiceDefinition, build_app


@asynccontextmanager
async def warm_scanner(app: FastAPI) -> AsyncIterator[None]:
    # Building the automata takes a second or two: done at start-up, off the event loop, so
    # the first scan does not pay for it.
    await asyncio.to_thread(shared_registry().scanner)
    yield


DEFINITION = ServiceDefinition(
    name="content-review",
    title="Yunying Content Review",
    description="Drafts, compliance scans, two-stage human review and the publishing calendar.",
    metadata=metadata,
    tables=BUS,
    migrations=Path(__file__).resolve().parents[1] / "migrations",
    local_port=8103,
    settings=Settings,
    routers=(
        items_router,
        review_router,
        review_queue_router,
        publishing_router,
        lists_router,
        images_router,
        scan_router,
    ),
    prefixes=("/v1/content", "/v1/scan"),
    handlers=HANDLERS,
    background=(advance_due_items_forever,),
    lifespan=warm_scanner,
    scopes=(
        ApiScope(READ_SCOPE, "Read content items, the calendar and the lists; scan text"),
        ApiScope(WRITE_SCOPE, "Create and edit drafts, submit them, manage the lists"),
    ),
    openapi_tags=(
        {"name": "content items", "description": "Items and their revisions"},
        {"name": "content review", "description": "Scan, stage 1, stage 2, rejection, trail"},
        {"name": "publishing", "description": "Scheduling, the 7:3 ratio, cadence, calendar"},
        {"name": "workspace lists", "description": "Allow and deny lists used by every scan"},
        {"name": "images", "description": "Perceptual hashes of uploaded images"},
        {"name": "scan", "description": "Ad hoc scans while editing"},
    ),
)

# The uvicorn factory: `uvicorn --factory content_review.main:create_app`.
create_app = partial(build_app, DEFINITION)
