from datetime import UTC, datetime, timedelta

BUCKET = timedelta(hours=1)


def utcnow() -> datetime:
    return datetime.now(UTC)


def hour_of(moment: datetime) -> datetime:
    """The start of the hourly bucket holding `moment` (UTC)."""
    return moment.astimezone(UTC).replace(minute=0, second=0, microsecond=0)
