"""Settings read from the environment: `YUNYING_<SERVICE>_<FIELD>` first, then `YUNYING_<FIELD>`.

One prefix per service lets two services in one process (the embedded mode) or on one host
differ, while the platform-wide values (secret, bus) are set once.
"""

from __future__ import annotations

import re
from enum import StrEnum
from pathlib import Path
from typing import Any

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import (
    BaseSettings,
    EnvSettingsSource,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
)

from yunying_shared.signing_secrets import check_secret_length, persisted_secret


class Environment(StrEnum):
    DEVELOPMENT = "development"
    TEST = "test"
    PRODUCTION = "production"


class BusKind(StrEnum):
    LOCAL = "local"
    KAFKA = "kafka"


ORIGIN = re.compile(r"https?://[A-Za-z0-9.-]+(:[0-9]{1,5})?")


class ServiceSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="YUNYING_", extra="ignore")

    service_name: str = "service"
    environment: Environment = Environment.DEVELOPMENT
    state_dir: Path = Path(".yunying")
    database_url: str = ""
    database_pool_size: int = Field(default=10, ge=1)
    # PostgreSQL: connections kept apart for the outbox relay, so request load cannot starve
    # publication (not taken from database_pool_size; unused on SQLite).
    database_background_pool_size: int = Field(default=2, ge=1)
    bus: BusKind = BusKind.LOCAL
    kafka_bootstrap: str = "127.0.0.1:19092"
    kafka_partitions: int = Field(default=4, ge=1)
    # Required, but filled in from the state directory outside production when not given:
    # see `_secrets_from_state_dir`.
    internal_token_secret: SecretStr
    internal_token_ttl_seconds: int = Field(default=60, ge=5)
    log_level: str = "INFO"
    log_json: bool | None = None
    max_body_bytes: int = Field(default=1_048_576, ge=1024)
    # Browser frontends allowed to call the API (CORS), as a JSON list, e.g.
    # YUNYING_CORS_ORIGINS='["https://console.brand.example"]'. None by default.
    cors_origins: list[str] = Field(default_factory=list)
    # `/metrics` requires `Authorization: Bearer <token>` when set; unset, it answers only to
    # clients on the loopback address.
    metrics_token: SecretStr | None = None

    @field_validator("cors_origins")
    @classmethod
    def _explicit_origins(cls, origins: list[str]) -> list[str]:
        for origin in origins:
            if not ORIGIN.fullmatch(origin):
                raise ValueError(
                    f"{origin!r} is not an origin like https://console.example.com "
                    "(no wildcard, path or trailing slash: credentials go to listed origins only)"
                )
        return origins

    relay_batch_size: int = Field(default=500, ge=1)
    relay_idle_seconds: float = Field(default=0.2, gt=0)
    # The consumer group is `<prefix>.<service>` (also the inbox's consumer name: changing it
    # on a running installation makes already handled events look new). Another prefix lets
    # a second installation, or a benchmark, share a broker without taking events from this one.
    consumer_group_prefix: str = Field(default="yunying", min_length=1, pattern=r"^[\w.-]+$")
    consumer_max_attempts: int = Field(default=5, ge=1)
    consumer_backoff_seconds: float = Field(default=0.05, ge=0)
    consumer_backoff_max_seconds: float = Field(default=2.0, ge=0)
    # How many events one fetch takes and one transaction handles (a batch handler's bulk path
    # pays its fixed cost per transaction), and how many transactions run at once (fetched
    # events are spread over the lanes by key, so a key's events stay in order in one lane;
    # SQLite keeps one lane, having one writer).
    consumer_fetch_max_records: int = Field(default=200, ge=1)
    consumer_transaction_max_events: int = Field(default=100, ge=1)
    consumer_lanes: int = Field(default=1, ge=1)
    # A member that stops heartbeating (killed, frozen) keeps its partitions until its session
    # expires; then the group rebalances and the survivors take them over. 6 s is the broker's
    # minimum (`group.min.session.timeout.ms`); heartbeats at a sixth of it, so a survivor hears
    # of the rebalance within a second. An event loop blocked longer than the session (a long
    # synchronous step) costs the member its partitions.
    kafka_session_timeout_ms: int = Field(default=6_000, ge=1_000)
    kafka_heartbeat_interval_ms: int = Field(default=1_000, ge=100)

    @model_validator(mode="before")
    @classmethod
    def _secrets_from_state_dir(cls, data: Any) -> Any:
        if isinstance(data, dict):
            fill_secret(data, "internal_token_secret", "YUNYING_INTERNAL_TOKEN_SECRET")
        return data

    @model_validator(mode="after")
    def _heartbeat_within_session(self) -> ServiceSettings:
        if self.kafka_heartbeat_interval_ms >= self.kafka_session_timeout_ms:
            raise ValueError(
                "YUNYING_KAFKA_HEARTBEAT_INTERVAL_MS must be below "
                "YUNYING_KAFKA_SESSION_TIMEOUT_MS (a third of it at most is advisable)"
            )
        return self

    @field_validator("internal_token_secret")
    @classmethod
    def _internal_secret_long_enough(cls, value: SecretStr) -> SecretStr:
        check_secret_length(value.get_secret_value(), variable="YUNYING_INTERNAL_TOKEN_SECRET")
        return value

    @property
    def json_logs(self) -> bool:
        if self.log_json is not None:
            return self.log_json
        return self.environment is Environment.PRODUCTION

    @property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        path = self.state_dir / f"{self.service_name.replace('-', '_')}.sqlite3"
        return f"sqlite+aiosqlite:///{path}"

    @classmethod
    def for_service(cls, service_name: str, **overrides: Any) -> ServiceSettings:
        """Settings for one service: its own prefix wins over the platform-wide one."""
        prefix = f"YUNYING_{service_name.upper().replace('-', '_')}_"

        class _Scoped(cls):  # type: ignore[valid-type,misc]
            @classmethod
            def settings_customise_sources(
                cls,
                settings_cls: type[BaseSettings],
                init_settings: PydanticBaseSettingsSource,
                env_settings: PydanticBaseSettingsSource,
                dotenv_settings: PydanticBaseSettingsSource,
                file_secret_settings: PydanticBaseSettingsSource,
            ) -> tuple[PydanticBaseSettingsSource, ...]:
                scoped = EnvSettingsSource(settings_cls, env_prefix=prefix)
                return init_settings, scoped, env_settings, file_secret_settings

        return _Scoped(service_name=service_name, **overrides)


def fill_secret(data: dict[str, Any], field: str, variable: str) -> None:
    """Put the persisted secret into `data[field]` when it is missing, except in production."""
    if data.get(field):
        return
    if str(data.get("environment", Environment.DEVELOPMENT)) == Environment.PRODUCTION:
        raise ValueError(
            f"{variable} is required in production (at least 32 bytes, the same value on "
            "every replica); outside production it is generated into the state directory"
        )
    state_dir = Path(data.get("state_dir") or ServiceSettings.model_fields["state_dir"].default)
    data[field] = persisted_secret(state_dir, field.replace("_", "-"))
