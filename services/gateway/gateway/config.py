"""The gateway's settings: the ServiceSettings every service has, plus identity and routing."""

from __future__ import annotations

from typing import Annotated, Any, cast
from uuid import UUID

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import NoDecode

from gateway.proxy.resilience import UpstreamPolicy, UpstreamPolicyOverride
from gateway.ratelimit.limits import Limit, LimitTable, WorkspaceLimits
from yunying_shared.settings import ServiceSettings, fill_secret
from yunying_shared.signing_secrets import check_secret_length


def local_upstreams() -> dict[str, str]:
    """Where `make up` (local processes) starts each installed service, by its definition's
    `local_port`; containers set `YUNYING_GATEWAY_UPSTREAMS` instead."""
    from yunying_shared.kit import installed  # the definitions import services: load them late

    return {
        name: f"http://127.0.0.1:{definition.local_port}"
        for name, definition in installed(exclude=["gateway"]).items()
    }


class GatewaySettings(ServiceSettings):
    # Signs access tokens. Required; outside production generated into the state directory.
    jwt_secret: SecretStr
    # Also accepted for verification, never used to sign: the other key while rotating
    # (comma-separated; docs/deploy.md has the procedure).
    jwt_accepted_secrets: Annotated[list[SecretStr], NoDecode] = Field(default_factory=list)
    access_token_ttl_seconds: int = Field(default=900, ge=10)
    refresh_token_ttl_seconds: int = Field(default=30 * 24 * 3600, ge=60)
    upstreams: dict[str, str] = Field(default_factory=local_upstreams)
    # Resilience per upstream (docs/deploy.md): these defaults, and per upstream any of them in
    # `upstream_policies` ({"segmentation": {"timeout_seconds": 60}}).
    upstream_timeout_seconds: float = Field(default=30.0, gt=0)
    upstream_connect_timeout_seconds: float = Field(default=2.0, gt=0)
    upstream_retries: int = Field(default=2, ge=0, le=10)
    upstream_retry_backoff_seconds: float = Field(default=0.05, ge=0)
    upstream_retry_backoff_max_seconds: float = Field(default=1.0, ge=0)
    upstream_breaker_failures: int = Field(default=5, ge=1)
    upstream_breaker_open_seconds: float = Field(default=10.0, gt=0)
    upstream_policies: dict[str, UpstreamPolicyOverride] = Field(default_factory=dict)
    public_url: str = "http://127.0.0.1:8000"
    admin_email: str = "admin@yunying.local"
    admin_password: SecretStr | None = None
    demo_workspace: bool = True
    # argon2id cost; stored hashes made with other values are upgraded at the next login.
    password_time_cost: int = Field(default=3, ge=1)
    password_memory_kib: int = Field(default=65_536, ge=8)
    password_parallelism: int = Field(default=4, ge=1)
    # Rate limits (docs/deploy.md): a token bucket per API key, per user and per client
    # address, in Redis when `rate_limit_redis_url` is set (shared by every replica), else in
    # the process. Workspaces and single keys may have their own sizes.
    api_key_rate_per_second: float = Field(default=50.0, gt=0)
    api_key_burst: int = Field(default=200, ge=1)
    user_rate_per_second: float = Field(default=50.0, gt=0)
    user_burst: int = Field(default=500, ge=1)
    address_rate_per_second: float = Field(default=200.0, gt=0)
    address_burst: int = Field(default=2000, ge=1)
    rate_limits_by_workspace: dict[UUID, WorkspaceLimits] = Field(default_factory=dict)
    rate_limits_by_api_key: dict[UUID, Limit] = Field(default_factory=dict)
    # Workspace admins may store sizes of their own through the API (docs/gateway.md), which
    # override the ones above up to these ceilings. Each replica reads the stored sizes every
    # `rate_limit_refresh_seconds` (and at once after a change made through it).
    rate_limit_refresh_seconds: float = Field(default=5.0, gt=0, le=300)
    rate_limit_max_per_second: float = Field(default=1000.0, gt=0)
    rate_limit_max_burst: int = Field(default=10_000, ge=1)
    rate_limit_redis_url: str | None = None
    # A Redis slower than this counts as down for the request (judged per replica instead).
    rate_limit_redis_timeout_seconds: float = Field(default=0.25, gt=0)
    rate_limit_redis_retry_seconds: float = Field(default=2.0, gt=0)
    # How long a replica reuses a verified credential (access token or API key) before reading
    # the database again; writes through the gateway empty its cache at once (0: never reuse).
    auth_cache_seconds: float = Field(default=5.0, ge=0, le=300)
    # argon2 hashes running at once per process, and how many more may wait (the rest get 429).
    password_hash_concurrency: int = Field(default=2, ge=1)
    password_hash_queue: int = Field(default=16, ge=0)
    # Login throttling (docs/deploy.md): failures allowed per account and per client address
    # within the window before a lock, whose length doubles with each further failure.
    login_account_max_failures: int = Field(default=5, ge=1)
    login_address_max_failures: int = Field(default=20, ge=1)
    login_lockout_base_seconds: float = Field(default=30.0, gt=0)
    login_lockout_max_seconds: float = Field(default=3600.0, gt=0)
    login_failure_window_seconds: float = Field(default=3600.0, gt=0)
    # The operations dashboard (docs/gateway.md): how long one upstream may take before its
    # section answers `timeout`, and how long a complete answer is reused per workspace and
    # range in each replica (0: never).
    dashboard_upstream_timeout_seconds: float = Field(default=3.0, gt=0, le=60)
    dashboard_cache_seconds: float = Field(default=30.0, ge=0, le=3600)

    @model_validator(mode="before")
    @classmethod
    def _jwt_secret_from_state_dir(cls, data: Any) -> Any:
        if isinstance(data, dict):
            fill_secret(data, "jwt_secret", "YUNYING_GATEWAY_JWT_SECRET")
        return data

    @field_validator("jwt_secret")
    @classmethod
    def _jwt_secret_long_enough(cls, value: SecretStr) -> SecretStr:
        check_secret_length(value.get_secret_value(), variable="YUNYING_GATEWAY_JWT_SECRET")
        return value

    @field_validator("jwt_accepted_secrets", mode="before")
    @classmethod
    def _split_accepted_secrets(cls, value: Any) -> Any:
        if isinstance(value, str):
            return [part.strip() for part in value.split(",") if part.strip()]
        return value

    @field_validator("jwt_accepted_secrets")
    @classmethod
    def _accepted_secrets_long_enough(cls, value: list[SecretStr]) -> list[SecretStr]:
        for secret in value:
            check_secret_length(
                secret.get_secret_value(), variable="YUNYING_GATEWAY_JWT_ACCEPTED_SECRETS"
            )
        return value

    def upstream_policy(self, name: str) -> UpstreamPolicy:
        policy = UpstreamPolicy(
            timeout_seconds=self.upstream_timeout_seconds,
            connect_timeout_seconds=self.upstream_connect_timeout_seconds,
            retries=self.upstream_retries,
            backoff_seconds=self.upstream_retry_backoff_seconds,
            backoff_max_seconds=self.upstream_retry_backoff_max_seconds,
            breaker_failures=self.upstream_breaker_failures,
            breaker_open_seconds=self.upstream_breaker_open_seconds,
        )
        override = self.upstream_policies.get(name)
        return override.over(policy) if override else policy

    def rate_limit_table(self) -> LimitTable:
        return LimitTable(
            api_key=Limit(per_second=self.api_key_rate_per_second, burst=self.api_key_burst),
            user=Limit(per_second=self.user_rate_per_second, burst=self.user_burst),
            address=Limit(per_second=self.address_rate_per_second, burst=self.address_burst),
            by_workspace=dict(self.rate_limits_by_workspace),
            by_api_key={str(key): limit for key, limit in self.rate_limits_by_api_key.items()},
        )

    @classmethod
    def for_gateway(cls, **overrides: object) -> GatewaySettings:
        return cast(GatewaySettings, cls.for_service("gateway", **overrides))
