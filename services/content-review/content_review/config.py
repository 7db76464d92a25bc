from pydantic import Field

from yunying_shared.settings import ServiceSettings


class Settings(ServiceSettings):
    """The service's settings: the platform's, plus its own knobs from the environment
    (`YUNYING_CONTENT_REVIEW_<FIELD>`). One object per app, on `app.state.settings`."""

    # The 7:3 rule is counted over the scheduled and published items of this many days up to
    # an ad's publish time.
    ratio_window_days: int = Field(default=30, ge=1, le=365)
    # How often the job expires unapproved items and publishes scheduled ones.
    due_items_interval_seconds: float = Field(default=30.0, gt=0)
    # Cadence periods (days, ISO weeks) are counted in this zone: the platforms' audience.
    calendar_timezone: str = "Asia/Shanghai"
    # How long POST /v1/scan may use a workspace's lists read earlier (0: read every time).
    scan_lists_cache_seconds: float = Field(default=5.0, ge=0, le=300)
