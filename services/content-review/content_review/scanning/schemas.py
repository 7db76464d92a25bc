from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from content_review.items.schemas import MAX_BODY_CHARS, FindingOut, Platform
from yunying_shared.storable import StorableText


class ScanRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    text: StorableText = Field(max_length=MAX_BODY_CHARS, examples=["全网最低价，治百病！加VX"])
    platform: Platform | None = Field(
        default=None, description="Platform rules apply only on their platforms"
    )


class ScanResult(BaseModel):
    findings: list[FindingOut]
    blocking: bool = Field(description="At least one finding blocks approval")
