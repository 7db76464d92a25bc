from pathlib import Path

from campaigns.config import Settings
from campaigns.db import BUS, metadata
from yunying_shared.kit import ServiceDefinition

DEFINITION = ServiceDefinition(
    name="campaigns",
    title="Yunying Campaigns",
    description="Campaigns, journeys, coupons, referrals and A/B experiments.",
    metadata=metadata,
    tables=BUS,
    migrations=Path(__file__).resolve().parents[1] / "migrations",
    local_port=8102,
    settings=Settings,
    # routers=(...), prefixes=("/v1/...",), handlers=(on(SPEC, handler), ...),
    # background=(...), lifespan=..., scopes=(ApiScope(...), ...), openapi_tags=(...)
)

# The uvicorn factory: `uvicorn --factory campaigns.main:create_app`.
create_app = DEFINITION.create_app
