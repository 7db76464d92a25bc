from pydantic import Field, SecretStr

from yunying_shared.settings import ServiceSettings


class Settings(ServiceSettings):
    """The service's settings: the platform's, plus its own knobs from the environment
    (`YUNYING_CAMPAIGNS_<FIELD>`). One object per app, on `app.state.settings`."""

    # Every high-volume event type has a batch handler whose statements are per transaction,
    # not per event, so a transaction takes hundreds of events (the platform's 100 paid the
    # inbox claim, the journey lookup and the commit five times as often). A failing event
    # costs its transaction's events one transaction each, so not thousands either.
    consumer_fetch_max_records: int = Field(default=1000, ge=1)
    consumer_transaction_max_events: int = Field(default=500, ge=1)
    # Journeys
    trigger_freshness_seconds: float = Field(
        default=6 * 3600,
        gt=0,
        description="A stage, tier or segment change older than this (by its changed_at) "
        "enrols no one: it is history, not a moment to act on",
    )
    step_interval_seconds: float = Field(
        default=1.0, gt=0, description="How often due journey steps (after waits) are run"
    )
    step_batch_size: int = Field(default=200, ge=1, description="Due enrolments per claim")
    clock_interval_seconds: float = Field(
        default=15.0, gt=0, description="How often campaigns are started and finished by time"
    )
    # Sending
    send_interval_seconds: float = Field(default=1.0, gt=0)
    send_batch_size: int = Field(default=200, ge=1)
    send_hold_seconds: float = Field(
        default=30.0,
        ge=0,
        description="A send waits this long before it is dispatched, so that sends of several "
        "campaigns to one user compete for the frequency cap by priority",
    )
    send_lease_seconds: float = Field(
        default=300.0, gt=0, description="A claimed send not recorded after this is retried"
    )
    default_cap_count: int = Field(default=3, ge=1, description="Messages per user per window")
    default_cap_window_hours: int = Field(default=24, ge=1)
    channel_webhook_url: str = Field(
        default="", description="Where every channel kind posts (empty: sends fail, logged)"
    )
    channel_webhook_urls: dict[str, str] = Field(
        default_factory=dict, description="Per channel kind, overriding channel_webhook_url"
    )
    channel_webhook_secret: SecretStr = Field(
        default=SecretStr(""), description="HMAC key of the webhook signature"
    )
    channel_max_attempts: int = Field(default=3, ge=1)
    channel_timeout_seconds: float = Field(default=5.0, gt=0)
    # Collaborations
    creator_link_base: str = Field(
        default="https://go.yunying.example/c",
        max_length=400,
        description="The brand's landing page for creators' tracking links; each link adds "
        "`?yy_c=<creator code>`, which the CRM passes on as the `yy_c` event property",
    )
