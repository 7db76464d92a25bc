from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from content_review.items.schemas import FindingOut


class ImageOut(BaseModel):
    ref: str
    phash: str = Field(description="64-bit perceptual hash, 16 hex digits")
    uploaded_at: datetime
    unlicensed: bool = Field(description="This reference was found without a valid licence")
    findings: list[FindingOut] = Field(
        description="licence:known-unlicensed when it is the same picture as an image "
        "earlier found without a licence"
    )
