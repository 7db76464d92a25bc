from functools import partial
from pathlib import Path

import campaigns.models  # noqa: F401  (every table on the metadata)
from campaigns.authenticity.router import router as authenticity_router
from campaigns.calendar.router import router as calendar_router
from campaigns.campaigns.router import router as campaigns_router
from campaigns.collaborations.router import router as collaborations_router
from campaigns.config import Settings
from campaigns.consumers import HANDLERS
from campaigns.coupons.router import router as coupons_router
from campaigns.creators.router import router as creators_router
from campaigns.crisis.router import router as crisis_router
from campaigns.db import BUS, metadata
from campaigns.experiments.router import router as experiments_router
from campaigns.funnels.router import router as funnels_router
from campaigns.indicators.router import router as indicators_router
from campaigns.journeys.router import router as journeys_router
from campaigns.referrals.router import router as referrals_router
from campaigns.runtime import (
    advance_campaigns_forever,
    lifespan,
    run_steps_forever,
    send_forever,
)
from campaigns.sending.router import router as sending_router
from yunying_shared.kit import ApiScope, ServiceDefinition, build_app

DEFINITION = ServiceDefinition(
    name="campaigns",
    title="Yunying Campaigns",
    description="Campaigns, journeys, coupons, referrals, A/B experiments and creator "
    "collaborations.",
    metadata=metadata,
    tables=BUS,
    migrations=Path(__file__).resolve().parents[1] / "migrations",
    local_port=8102,
    settings=Settings,
    # calendar, crises and indicators before campaigns: `/v1/campaigns/{campaign_id}` would
    # claim them.
    routers=(
        calendar_router,
        crisis_router,
        indicators_router,
        campaigns_router,
        coupons_router,
        journeys_router,
        sending_router,
        experiments_router,
        referrals_router,
        funnels_router,
        creators_router,
        authenticity_router,
        collaborations_router,
    ),
    prefixes=(
        "/v1/coupons",
        "/v1/journeys",
        "/v1/sending",
        "/v1/experiments",
        "/v1/referrals",
        "/v1/creators",
        "/v1/collaborations",
        "/v1/authenticity",
    ),
    handlers=(*HANDLERS,),
    background=(advance_campaigns_forever, run_steps_forever, send_forever),
    lifespan=lifespan,
    scopes=(
        ApiScope("campaigns:read", "Read campaigns, journeys, coupons and sends"),
        ApiScope("campaigns:write", "Create and change campaigns, journeys and coupon templates"),
        ApiScope("coupons:redeem", "Redeem coupon codes (point-of-sale and CRM systems)"),
        ApiScope(
            "referrals:write",
            "Hand out invite codes and report exposures, clicks and shares (app backends)",
        ),
    ),
)

# The uvicorn factory: `uvicorn --factory campaigns.main:create_app`.
create_app = partial(build_app, DEFINITION)
