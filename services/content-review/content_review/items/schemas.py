from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal
from uuid import UUID

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints
from pydantic.config import JsonDict

from content_review.licences import ImageReference
from yunying_shared.events.payloads.content import PLATFORMS
from yunying_shared.storable import Identifier, StorableDatetime, StorableText, json_problem

Platform = Literal["xiaohongshu", "douyin", "wechat", "weibo", "bilibili"]
assert set(Platform.__args__) == set(PLATFORMS)  # type: ignore[attr-defined]
# Value content (干货 know-how, 故事 stories, 互动 interaction) or an ad.
Kind = Literal["干货", "故事", "互动", "ad"]
MAX_BODY_CHARS = 20_000  # a WeChat article's limit, the longest of the platforms
Tag = Annotated[StorableText, StringConstraints(min_length=1, max_length=50)]


def _storable_media(media: list[ImageReference]) -> list[ImageReference]:
    problem = json_problem([reference.model_dump(mode="json") for reference in media])
    if problem is not None:
        raise ValueError(problem)
    return media


Media = Annotated[list[ImageReference], AfterValidator(_storable_media)]


class ContentIn(BaseModel):
    """One revision's copy and media. HTML in the body is kept as text: it is stored as
    written and only ever returned inside JSON strings, never rendered."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "title": "双11 限定礼盒开箱｜敏感肌也能放心用",
                    "body": "精华 30ml + 面霜 50g，双11 到手价 299，前 1000 名加赠小样。",
                    "tags": ["双11", "护肤", "开箱", "广告"],
                    "images": [
                        {"ref": "img/1111-giftbox-cover.jpg", "licence": {"kind": "owned"}},
                        {
                            "ref": "img/ugc-lily-review.jpg",
                            "licence": {
                                "kind": "user_generated",
                                "author": "小红书用户 @Lily在上海",
                                "consent": True,
                                "consent_reference": "私信授权截图 2026-10-30",
                            },
                        },
                    ],
                    "videos": [],
                    "planned_publish_at": "2030-11-08T20:00:00+08:00",
                }
            ]
        },
    )

    title: StorableText = Field(min_length=1, max_length=200, examples=["早八通勤妆｜5分钟搞定"])
    body: StorableText = Field(max_length=MAX_BODY_CHARS, examples=["底妆先用妆前乳……"])
    tags: list[Tag] = Field(default_factory=list, max_length=30)
    images: Media = Field(
        default_factory=list,
        max_length=30,
        description="Image references, each with its licence record (owned, licensed, "
        "user_generated); one without a valid licence is a blocking finding",
    )
    videos: Media = Field(default_factory=list, max_length=10)
    planned_publish_at: StorableDatetime | None = Field(
        default=None, description="Not approved by then, the item expires"
    )


class ItemCreate(ContentIn):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "title": "双11 限定礼盒开箱｜敏感肌也能放心用",
                    "body": "精华 30ml + 面霜 50g，双11 到手价 299，前 1000 名加赠小样。",
                    "tags": ["双11", "护肤", "开箱", "广告"],
                    "images": [
                        {"ref": "img/1111-giftbox-cover.jpg", "licence": {"kind": "owned"}},
                        {
                            "ref": "img/ugc-lily-review.jpg",
                            "licence": {
                                "kind": "user_generated",
                                "author": "小红书用户 @Lily在上海",
                                "consent": True,
                                "consent_reference": "私信授权截图 2026-10-30",
                            },
                        },
                    ],
                    "videos": [],
                    "planned_publish_at": "2030-11-08T20:00:00+08:00",
                    "platform": "xiaohongshu",
                    "account": "brand-official",
                    "kind": "ad",
                }
            ]
        }
    )

    platform: Platform
    account: Annotated[Identifier, StringConstraints(min_length=1, max_length=64)] = Field(
        default="main", description="The brand's account on the platform (ratio and cadence)"
    )
    kind: Kind


class FindingOut(BaseModel):
    """A scanner finding in a text field, or a licence finding on an image or video."""

    field: str = Field(description="title, body, tags[i], images[i] or videos[i]")
    start: int | None = None
    end: int | None = None
    text: str | None = None
    term: str | None = None
    image_ref: str | None = None
    category: str
    severity: Literal["block", "needs_review", "hint"]
    rule_id: str
    legal_basis: str
    suggestion: str
    match: str | None = None
    note: str = ""


# One revision; an item's example shows it as the current one.
_REVISION_EXAMPLE: JsonDict = {
    "number": 2,
    "title": "双11 限定礼盒开箱｜敏感肌也能放心用",
    "body": "精华 30ml + 面霜 50g，双11 到手价 299，前 1000 名加赠小样。",
    "tags": ["双11", "护肤", "开箱", "广告"],
    "images": [
        {"ref": "img/1111-giftbox-cover.jpg", "licence": {"kind": "owned"}},
        {
            "ref": "img/ugc-lily-review.jpg",
            "licence": {
                "kind": "user_generated",
                "author": "小红书用户 @Lily在上海",
                "consent": True,
                "consent_reference": "私信授权截图 2026-10-30",
            },
        },
    ],
    "videos": [],
    "planned_publish_at": "2030-11-08T20:00:00+08:00",
    "author_id": "writer@brand.example",
    "created_at": "2026-11-02T15:20:00+08:00",
    "findings": [],
    "scanned_at": "2026-11-02T15:20:01+08:00",
}


class RevisionOut(BaseModel):
    model_config = ConfigDict(
        from_attributes=True,
        json_schema_extra={"examples": [_REVISION_EXAMPLE]},
    )

    number: int
    title: str
    body: str
    tags: list[str]
    images: list[dict[str, Any]]
    videos: list[dict[str, Any]]
    planned_publish_at: datetime | None
    author_id: str
    created_at: datetime
    findings: list[FindingOut] | None
    scanned_at: datetime | None


class ItemOut(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "id": "3d4e5f6a-7b8c-4d9e-9f0a-1b2c3d4e5f6a",
                    "platform": "xiaohongshu",
                    "account": "brand-official",
                    "kind": "ad",
                    "state": "in_review",
                    "revision": 2,
                    "author_id": "writer@brand.example",
                    "operator_checked_by": "ops@brand.example",
                    "approved_by": None,
                    "planned_publish_at": "2030-11-08T20:00:00+08:00",
                    "published_at": None,
                    "created_at": "2026-11-01T11:00:00+08:00",
                    "updated_at": "2026-11-02T16:05:00+08:00",
                    "current": _REVISION_EXAMPLE,
                    "warnings": [],
                }
            ]
        }
    )

    id: UUID
    platform: str
    account: str
    kind: str
    state: str
    revision: int
    author_id: str
    operator_checked_by: str | None
    approved_by: str | None
    planned_publish_at: datetime | None
    published_at: datetime | None
    created_at: datetime
    updated_at: datetime
    current: RevisionOut
    warnings: list[str] = Field(
        default_factory=list, description="Publishing-rule warnings of this request"
    )


class RevisionDiff(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "item_id": "3d4e5f6a-7b8c-4d9e-9f0a-1b2c3d4e5f6a",
                    "from_revision": 1,
                    "to_revision": 2,
                    "changed": ["body"],
                    "diff": [
                        "--- revision 1 body",
                        "+++ revision 2 body",
                        "-礼盒里有精华 30ml + 面霜 50g，全网最低价 299。",
                        "+精华 30ml + 面霜 50g，双11 到手价 299，前 1000 名加赠小样。",
                    ],
                }
            ]
        }
    )

    item_id: UUID
    from_revision: int
    to_revision: int
    changed: list[str] = Field(description="The fields that differ")
    diff: list[str] = Field(description="A unified diff of the two revisions, line by line")
