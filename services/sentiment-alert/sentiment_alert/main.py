from pathlib import Path

from sentiment_alert.config import Settings
from sentiment_alert.db import BUS, metadata
from yunying_shared.kit import ServiceDefinition

DEFINITION = ServiceDefinition(
    name="sentiment-alert",
    title="Yunying Sentiment Alert",
    description="Mentions, sentiment scores, spike detection, alerts and crisis cases.",
    metadata=metadata,
    tables=BUS,
    migrations=Path(__file__).resolve().parents[1] / "migrations",
    local_port=8104,
    settings=Settings,
    # routers=(...), prefixes=("/v1/...",), handlers=(on(SPEC, handler), ...),
    # background=(...), lifespan=..., scopes=(ApiScope(...), ...), openapi_tags=(...)
)

# The uvicorn factory: `uvicorn --factory sentiment_alert.main:create_app`.
create_app = DEFINITION.create_app
