"""Which buckets a request draws from, and how large each one is.

A request draws one token from every bucket that applies to it: its client address always,
and its API key or its user once authenticated. Sizes: the defaults per kind, then a workspace's
own, then (for a key) the key's own; at each level a size stored through the API
(gateway.ratelimit.stored) overrides the deployment's settings.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from yunying_shared.auth import Principal

BucketKind = Literal["api_key", "user", "address"]


class Limit(BaseModel):
    """A token bucket: `burst` requests at once, refilled at `per_second`."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    per_second: float = Field(gt=0, description="Tokens added back per second")
    burst: int = Field(ge=1, description="Bucket size: requests allowed at once")


class WorkspaceLimits(BaseModel):
    """A workspace's own sizes for its API keys' and its users' buckets (each key and user
    still has a bucket of its own; the workspace sets how large they are)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    api_key: Limit | None = None
    user: Limit | None = None

    def over(self, deployment: WorkspaceLimits | None) -> WorkspaceLimits:
        """These sizes, and the deployment's for the kinds these leave unset."""
        if deployment is None:
            return self
        return WorkspaceLimits(
            api_key=self.api_key or deployment.api_key, user=self.user or deployment.user
        )


@dataclass(frozen=True)
class Bucket:
    kind: BucketKind
    key: str  # the store's key: kind and identity
    limit: Limit


@dataclass(frozen=True)
class LimitTable:
    api_key: Limit
    user: Limit
    address: Limit
    by_workspace: dict[UUID, WorkspaceLimits]
    by_api_key: dict[str, Limit]

    def buckets(self, principal: Principal | None, address: str | None) -> list[Bucket]:
        found: list[Bucket] = []
        if principal is not None:
            workspace = (
                self.by_workspace.get(principal.workspace_id) if principal.workspace_id else None
            )
            if principal.kind == "api_key":
                limit = self.by_api_key.get(principal.subject) or (
                    workspace.api_key if workspace and workspace.api_key else self.api_key
                )
                found.append(Bucket("api_key", f"key:{principal.subject}", limit))
            else:
                limit = workspace.user if workspace and workspace.user else self.user
                found.append(Bucket("user", f"user:{principal.subject}", limit))
        if address is not None:
            found.append(Bucket("address", f"addr:{address}", self.address))
        return found

    def overridden(
        self, by_workspace: Mapping[UUID, WorkspaceLimits], by_api_key: Mapping[str, Limit]
    ) -> LimitTable:
        """This table with the sizes stored through the API taking precedence, level by level."""
        return replace(
            self,
            by_workspace={
                **self.by_workspace,
                **{
                    workspace: stored.over(self.by_workspace.get(workspace))
                    for workspace, stored in by_workspace.items()
                },
            },
            by_api_key={**self.by_api_key, **by_api_key},
        )
