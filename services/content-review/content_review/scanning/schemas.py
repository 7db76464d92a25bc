from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from content_review.items.schemas import MAX_BODY_CHARS, FindingOut, Platform
from yunying_shared.storable import StorableText


class ScanRequest(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"text": "双11 全网最低价！这款精华能根治痘痘，加VX领券", "platform": "xiaohongshu"}
            ]
        },
    )

    text: StorableText = Field(max_length=MAX_BODY_CHARS, examples=["全网最低价，治百病！加VX"])
    platform: Platform | None = Field(
        default=None, description="Platform rules apply only on their platforms"
    )


class ScanResult(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "findings": [
                        {
                            "field": "body",
                            "start": 12,
                            "end": 16,
                            "text": "全网最低",
                            "term": "最低",
                            "image_ref": None,
                            "category": "absolute_terms",
                            "severity": "block",
                            "rule_id": "ad-law-9-3",
                            "legal_basis": "《广告法》第九条第（三）项",
                            "suggestion": "改为“双11 专享价”",
                            "match": "最低",
                            "note": "",
                        }
                    ],
                    "blocking": True,
                }
            ]
        }
    )

    findings: list[FindingOut]
    blocking: bool = Field(description="At least one finding blocks approval")
