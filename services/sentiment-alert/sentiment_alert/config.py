from typing import Literal

from yunying_shared.settings import ServiceSettings


class Settings(ServiceSettings):
    """The service's settings: the platform's, plus its own knobs from the environment
    (`YUNYING_SENTIMENT_ALERT_<FIELD>`). One object per app, on `app.state.settings`."""

    # The periodic jobs: spike evaluation over every active keyword, crisis reminders, and
    # webhook deliveries. Disabled in tests that drive them by hand.
    jobs_enabled: bool = True
    alert_interval_seconds: float = 60.0
    # How often increments left pending by concurrent batches are folded (and evaluated).
    aggregate_interval_seconds: float = 5.0
    reminder_interval_seconds: float = 60.0
    delivery_interval_seconds: float = 5.0

    # FAQ replies: how often due replies are sent, and through what. "none": no platform adapter
    # is wired (a reply fails back to the operators' queue); "recording": the in-memory fake of
    # a platform's reply API (tests, demos; see replies/platforms.py).
    reply_interval_seconds: float = 2.0
    reply_adapter: Literal["none", "recording"] = "none"
