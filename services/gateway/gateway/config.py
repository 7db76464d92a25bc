"""The gateway's settings: the ServiceSettings every service has, plus identity and routing."""

from __future__ import annotations

from typing import cast

from pydantic import Field, SecretStr, model_validator

from yunying_shared.settings import Environment, ServiceSettings

DEVELOPMENT_JWT_SECRET = "yunying-development-jwt-secret-change-me-0123456789"

# Where `make up` (local processes) starts each service; containers override it.
DEFAULT_UPSTREAMS = {
    "segmentation": "http://127.0.0.1:8101",
    "campaigns": "http://127.0.0.1:8102",
    "content-review": "http://127.0.0.1:8103",
    "sentiment-alert": "http://127.0.0.1:8104",
}


class GatewaySettings(ServiceSettings):
    jwt_secret: SecretStr = SecretStr(DEVELOPMENT_JWT_SECRET)
    access_token_ttl_seconds: int = Field(default=900, ge=10)
    refresh_token_ttl_seconds: int = Field(default=30 * 24 * 3600, ge=60)
    upstreams: dict[str, str] = Field(default_factory=lambda: dict(DEFAULT_UPSTREAMS))
    upstream_timeout_seconds: float = Field(default=30.0, gt=0)
    public_url: str = "http://127.0.0.1:8000"
    admin_email: str = "admin@yunying.local"
    admin_password: SecretStr | None = None
    demo_workspace: bool = True
    # argon2id cost; stored hashes made with other values are upgraded at the next login.
    password_time_cost: int = Field(default=3, ge=1)
    password_memory_kib: int = Field(default=65_536, ge=8)
    password_parallelism: int = Field(default=4, ge=1)
    api_key_rate_per_second: float = Field(default=50.0, gt=0)
    api_key_burst: int = Field(default=200, ge=1)

    @model_validator(mode="after")
    def _refuse_default_jwt_secret_outside_development(self) -> GatewaySettings:
        if (
            self.environment is Environment.PRODUCTION
            and self.jwt_secret.get_secret_value() == DEVELOPMENT_JWT_SECRET
        ):
            raise ValueError(
                "YUNYING_GATEWAY_JWT_SECRET must be set outside development: "
                "the default secret is public"
            )
        return self

    @classmethod
    def for_gateway(cls, **overrides: object) -> GatewaySettings:
        return cast(GatewaySettings, cls.for_service("gateway", **overrides))
