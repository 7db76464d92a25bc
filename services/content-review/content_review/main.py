from pathlib import Path

from content_review.config import Settings
from content_review.db import BUS, metadata
from yunying_shared.kit import ServiceDefinition

DEFINITION = ServiceDefinition(
    name="content-review",
    title="Yunying Content Review",
    description="Drafts, compliance scans, two-stage human review and the publishing calendar.",
    metadata=metadata,
    tables=BUS,
    migrations=Path(__file__).resolve().parents[1] / "migrations",
    local_port=8103,
    settings=Settings,
    # routers=(...), prefixes=("/v1/...",), handlers=(on(SPEC, handler), ...),
    # background=(...), lifespan=..., scopes=(ApiScope(...), ...), openapi_tags=(...)
)

# The uvicorn factory: `uvicorn --factory content_review.main:create_app`.
create_app = DEFINITION.create_app
