import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from functools import partial
from pathlib import Path

from fastapi import FastAPI

import sentiment_alert.models  # noqa: F401  (every table on the metadata)
from sentiment_alert.access import MENTIONS_WRITE, SENTIMENT_READ
from sentiment_alert.alerts.router import router as alerts_router
from sentiment_alert.config import Settings
from sentiment_alert.consumers import HANDLERS
from sentiment_alert.crises.router import router as crises_router
from sentiment_alert.crises.summary import router as crisis_summary_router
from sentiment_alert.db import BUS, metadata
from sentiment_alert.faq.router import router as faq_router
from sentiment_alert.faq.tokens import warm_up
from sentiment_alert.feedback.router import router as feedback_router
from sentiment_alert.jobs import (
    aggregate_pending_forever,
    deliver_forever,
    evaluate_alerts_forever,
    remind_forever,
    send_replies_forever,
)
from sentiment_alert.mentions.router import router as mentions_router
from sentiment_alert.monitoring.router import router as monitoring_router
from sentiment_alert.notifications.router import router as notifications_router
from sentiment_alert.replies.router import router as replies_router
from sentiment_alert.scoring.router import router as scoring_router
from yunying_shared.kit import ApiScope, ServiceDefinition, build_app


@asynccontextmanager
async def warm_up_matching(app: FastAPI) -> AsyncIterator[None]:
    """jieba loads its dictionary (about a second) before the first FAQ match, not during it."""
    await asyncio.to_thread(warm_up)
    yield


DEFINITION = ServiceDefinition(
    name="sentiment-alert",
    title="Yunying Sentiment Alert",
    description="Mentions, sentiment scores, spike detection, alerts and crisis cases.",
    metadata=metadata,
    tables=BUS,
    migrations=Path(__file__).resolve().parents[1] / "migrations",
    local_port=8104,
    settings=Settings,
    routers=(
        mentions_router,
        scoring_router,
        monitoring_router,
        alerts_router,
        crisis_summary_router,
        crises_router,
        feedback_router,
        notifications_router,
        faq_router,
        replies_router,
    ),
    prefixes=(
        "/v1/mentions",
        "/v1/sentiment",
        "/v1/monitoring",
        "/v1/alerts",
        "/v1/crises",
        "/v1/feedback",
        "/v1/notifications",
        "/v1/faq",
        "/v1/replies",
    ),
    handlers=HANDLERS,
    background=(
        aggregate_pending_forever,
        evaluate_alerts_forever,
        remind_forever,
        deliver_forever,
        send_replies_forever,
    ),
    lifespan=warm_up_matching,
    scopes=(
        ApiScope(MENTIONS_WRITE, "Send mentions and survey answers (listening crawlers)"),
        ApiScope(SENTIMENT_READ, "Score texts; read mentions, alerts and crisis cases"),
    ),
)

# The uvicorn factory: `uvicorn --factory sentiment_alert.main:create_app`.
create_app = partial(build_app, DEFINITION)
