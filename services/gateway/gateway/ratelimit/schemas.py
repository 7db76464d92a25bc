"""The rate-limit sizes as the API shows and accepts them."""

from __future__ import annotations

from datetime import datetime
from typing import Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from gateway.ratelimit.limits import Limit

# What the server accepts at all; a deployment may set lower ceilings
# (`rate_limit_max_per_second`, `rate_limit_max_burst`), which are checked too.
MAX_PER_SECOND = 10_000.0
MAX_BURST = 100_000
PROPAGATION = (
    "Other gateway replicas apply a change within `rate_limit_refresh_seconds` (5 s unless "
    "the deployment says otherwise: `propagation_seconds` in the answer); the replica that "
    "answered applies it at once. A bucket keeps its current level: a smaller size takes "
    "effect on its next request, a larger one fills at the new rate."
)

Source = Literal["api_key", "workspace", "deployment"]
SOURCE = (
    "Where the size comes from: `api_key` (set for this key), `workspace` (set for the "
    "workspace), `deployment` (the deployment's settings)"
)


class LimitIn(BaseModel):
    """A token bucket: `burst` requests at once, refilled at `per_second`."""

    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"per_second": 100, "burst": 400}]}
    )

    per_second: float = Field(
        gt=0,
        le=MAX_PER_SECOND,
        allow_inf_nan=False,
        description="Requests added back to the bucket per second (fractions allowed)",
        examples=[100],
    )
    burst: int = Field(
        ge=1, le=MAX_BURST, description="Bucket size: requests allowed at once", examples=[400]
    )

    def limit(self) -> Limit:
        return Limit(per_second=self.per_second, burst=self.burst)


class WorkspaceRateLimitsIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "api_key": {"per_second": 100, "burst": 400},
                    "user": {"per_second": 100, "burst": 1000},
                }
            ]
        },
    )

    api_key: LimitIn | None = Field(
        default=None,
        description="The size of each of the workspace's API keys' buckets (a key with a "
        "size of its own keeps it); absent or null: the deployment's",
    )
    user: LimitIn | None = Field(
        default=None,
        description="The size of each user's bucket while acting in the workspace; absent or "
        "null: the deployment's",
    )


class EffectiveLimit(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"per_second": 100.0, "burst": 400, "source": "workspace"}]}
    )

    per_second: float = Field(description="Requests added back per second")
    burst: int = Field(description="Bucket size: requests allowed at once")
    source: Source = Field(description=SOURCE)


class WorkspaceRateLimitsOut(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "workspace_id": "0b0e7c1e-6f7a-4d2b-9a51-2f1d7c1e2a3b",
                    "api_key": {"per_second": 100.0, "burst": 400, "source": "workspace"},
                    "user": {"per_second": 50.0, "burst": 500, "source": "deployment"},
                    "address": {"per_second": 200.0, "burst": 2000, "source": "deployment"},
                    "updated_at": "2026-12-01T08:00:00Z",
                    "propagation_seconds": 5.0,
                }
            ]
        }
    )

    workspace_id: UUID
    api_key: EffectiveLimit = Field(
        description="Each API key's bucket (keys with a size of their own differ: see the key's "
        "`rate-limit`)"
    )
    user: EffectiveLimit = Field(description="Each user's bucket while acting in the workspace")
    address: EffectiveLimit = Field(
        description="Each client address's bucket: shared by every workspace, so only the "
        "deployment sets it"
    )
    updated_at: datetime | None = Field(description="When the workspace's sizes were last set")
    propagation_seconds: float = Field(
        description="Within how long every gateway replica applies a change"
    )


class ApiKeyRateLimitOut(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "api_key_id": "3f0c6a1e-2b7d-4c8e-9f1a-5d6e7f8a9b0c",
                    "per_second": 100.0,
                    "burst": 400,
                    "source": "api_key",
                    "updated_at": "2026-12-01T08:00:00Z",
                    "propagation_seconds": 5.0,
                }
            ]
        }
    )

    api_key_id: UUID
    per_second: float = Field(description="Requests added back per second")
    burst: int = Field(description="Bucket size: requests allowed at once")
    source: Source = Field(description=SOURCE)
    updated_at: datetime | None = Field(description="When the key's own size was last set")
    propagation_seconds: float = Field(
        description="Within how long every gateway replica applies a change"
    )
