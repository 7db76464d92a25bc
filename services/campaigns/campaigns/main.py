from pathlib import Path

import campaigns.models  # noqa: F401  (every table on the metadata)
from campaigns.config import Settings
from campaigns.coupons.router import router as coupons_router
from campaigns.db import BUS, metadata
from yunying_shared.kit import ApiScope, ServiceDefinition

DEFINITION = ServiceDefinition(
    name="campaigns",
    title="Yunying Campaigns",
    description="Campaigns, journeys, coupons, referrals and A/B experiments.",
    metadata=metadata,
    tables=BUS,
    migrations=Path(__file__).resolve().parents[1] / "migrations",
    local_port=8102,
    settings=Settings,
    routers=(coupons_router,),
    prefixes=("/v1/coupons",),
    handlers=(),
    background=(),
    scopes=(
        ApiScope("campaigns:read", "Read campaigns, journeys, coupons and sends"),
        ApiScope("campaigns:write", "Create and change campaigns, journeys and coupon templates"),
        ApiScope("coupons:redeem", "Redeem coupon codes (point-of-sale and CRM systems)"),
    ),
)

# The uvicorn factory: `uvicorn --factory campaigns.main:create_app`.
create_app = DEFINITION.create_app
