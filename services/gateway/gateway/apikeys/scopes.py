from enum import StrEnum


class Scope(StrEnum):
    """Everything an API key may be allowed to do; services check them with `require_scopes`."""

    EVENTS_WRITE = "events:write"
    MENTIONS_WRITE = "mentions:write"
    PROFILES_READ = "profiles:read"
    SEGMENTS_READ = "segments:read"
    SEGMENTS_WRITE = "segments:write"
    CAMPAIGNS_READ = "campaigns:read"
    CAMPAIGNS_WRITE = "campaigns:write"
    CONTENT_READ = "content:read"
    CONTENT_WRITE = "content:write"
    SENTIMENT_READ = "sentiment:read"
