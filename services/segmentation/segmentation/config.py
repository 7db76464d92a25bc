from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class SegmentationConfig(BaseSettings):
    """Service-specific knobs, from `YUNYING_SEGMENTATION_*`."""

    model_config = SettingsConfigDict(env_prefix="YUNYING_SEGMENTATION_", extra="ignore")

    sweep_interval_seconds: float = Field(
        default=3600.0, gt=0, description="How often every workspace is re-scored"
    )
    sweep_enabled: bool = True
    segment_sweep_interval_seconds: float = Field(
        default=60.0,
        gt=0,
        description="How often time-dependent segments are re-evaluated "
        "(event windows, 'within N days', tag expiry): the most a window exit can lag",
    )
