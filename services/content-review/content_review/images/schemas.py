from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from content_review.items.schemas import FindingOut


class ImageOut(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "ref": "img/1111-giftbox-cover.jpg",
                    "phash": "c3a1f0e8d2b49675",
                    "uploaded_at": "2026-11-01T10:40:00+08:00",
                    "unlicensed": False,
                    "findings": [],
                }
            ]
        }
    )

    ref: str
    phash: str = Field(description="64-bit perceptual hash, 16 hex digits")
    uploaded_at: datetime
    unlicensed: bool = Field(description="This reference was found without a valid licence")
    findings: list[FindingOut] = Field(
        description="licence:known-unlicensed when it is the same picture as an image "
        "earlier found without a licence"
    )
