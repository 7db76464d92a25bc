"""Per-item validation of mentions: each bad item is rejected alone, naming its field.

Hand-written rather than one pydantic model per item: the hot path validates thousands of
items a second, and the topic's payloads arrive already parsed into the same dict shape."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter

from yunying_shared.events.payloads.listening import MENTION_KINDS, MENTION_PLATFORMS
from yunying_shared.http.batch import FieldError
from yunying_shared.storable import datetime_problem, echoable, int64_problem, text_problem

MAX_BATCH = 1000
MAX_TEXT = 10_000
MAX_FUTURE = timedelta(days=1)
PLATFORMS = frozenset(MENTION_PLATFORMS)
ItemStatus = Literal["accepted", "duplicate", "rejected"]
ReplyStatus = Literal["queued", "proposed", "replying"]


@dataclass(slots=True)
class ValidMention:
    platform: str
    platform_id: str
    author: str
    text: str
    url: str | None
    posted_at: datetime
    likes: int
    comments: int
    shares: int
    user_id: str | None
    kind: str = "post"
    reply_to: str | None = None


@dataclass(slots=True)
class Rejection:
    errors: list[dict[str, str]] = field(default_factory=list)

    def add(self, name: str, message: str) -> None:
        self.errors.append({"field": echoable(name), "message": message})


class MentionIn(BaseModel):
    """One mention (documentation of the accepted shape; items are validated one by one)."""

    platform: str = Field(description=", ".join(MENTION_PLATFORMS))
    platform_id: str = Field(max_length=128, description="The post's id on the platform")
    author: str = Field(default="", max_length=128)
    text: str = Field(max_length=MAX_TEXT)
    url: str | None = Field(default=None, max_length=2048)
    posted_at: datetime = Field(description="ISO 8601 with offset; at most 1 day ahead")
    likes: int = 0
    comments: int = 0
    shares: int = 0
    user_id: str | None = Field(default=None, max_length=128, description="CRM id, if known")
    kind: Literal["post", "comment", "direct_message"] = Field(
        default="post",
        description="post: public, counted; comment: on the brand's account, counted and "
        "answered from the FAQ; direct_message: private, answered from the FAQ, not counted",
    )
    reply_to: str | None = Field(
        default=None,
        max_length=128,
        description="comment: the post it is under; direct_message: the conversation (required)",
    )


class MentionBatchIn(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "mentions": [
                        {
                            "platform": "weibo",
                            "platform_id": "4962134170108571",
                            "author": "敏感肌小王",
                            "text": "用了双11 礼盒里的精华，脸上泛红刺痛，有人一样吗？",
                            "url": "https://weibo.com/1234567890/4962134170108571",
                            "posted_at": "2026-11-11T22:31:00+08:00",
                            "likes": 128,
                            "comments": 46,
                            "shares": 12,
                        },
                        {
                            "platform": "xiaohongshu",
                            "platform_id": "c-6560a1b2-0042",
                            "author": "小鹿爱护肤",
                            "text": "礼盒什么时候发货呀？",
                            "posted_at": "2026-11-11T20:12:00+08:00",
                            "kind": "comment",
                            "reply_to": "6560a1b2000000001f03c2d4",
                        },
                    ]
                }
            ]
        }
    )

    mentions: list[dict[str, Any]] = Field(
        max_length=MAX_BATCH, description=f"Up to {MAX_BATCH} items shaped like MentionIn"
    )


class ItemResult(BaseModel):
    index: int
    platform_id: str | None = None
    status: ItemStatus
    mention_id: str | None = None
    label: str | None = None
    keywords: list[str] = Field(default_factory=list)
    errors: list[FieldError] = Field(default_factory=list)
    message_id: str | None = Field(
        default=None, description="Comments and direct messages the FAQ replies handled"
    )
    reply_status: ReplyStatus | None = Field(
        default=None, description="What was decided for it (see /v1/replies)"
    )


class BatchResult(BaseModel):
    """The response of `POST /v1/mentions` (documentation: `ingest` returns a `BatchOutcome`,
    written as this model writes it, without a model per item)."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "accepted": 2,
                    "duplicates": 0,
                    "rejected": 1,
                    "results": [
                        {
                            "index": 0,
                            "platform_id": "4962134170108571",
                            "status": "accepted",
                            "mention_id": "m-4962134170108571",
                            "label": "neg",
                            "keywords": ["过敏"],
                            "errors": [],
                            "message_id": None,
                            "reply_status": None,
                        },
                        {
                            "index": 1,
                            "platform_id": "c-6560a1b2-0042",
                            "status": "accepted",
                            "mention_id": "m-c-6560a1b2-0042",
                            "label": "neu",
                            "keywords": [],
                            "errors": [],
                            "message_id": "msg-20261111-8841",
                            "reply_status": "proposed",
                        },
                        {
                            "index": 2,
                            "platform_id": None,
                            "status": "rejected",
                            "mention_id": None,
                            "label": None,
                            "keywords": [],
                            "errors": [{"field": "posted_at", "message": "is required"}],
                            "message_id": None,
                            "reply_status": None,
                        },
                    ],
                }
            ]
        }
    )

    accepted: int
    duplicates: int
    rejected: int
    results: list[ItemResult]


@dataclass(slots=True)
class ItemOutcome:
    """One item's outcome: `ItemResult`'s fields in its order, as a plain object (a pydantic
    model per item cost more than scoring it)."""

    index: int
    platform_id: str | None
    status: ItemStatus
    mention_id: str | None = None
    label: str | None = None
    keywords: list[str] = field(default_factory=list)
    errors: list[FieldError] = field(default_factory=list)
    message_id: str | None = None
    reply_status: ReplyStatus | None = None


@dataclass(slots=True)
class BatchOutcome:
    accepted: int
    duplicates: int
    rejected: int
    results: list[ItemOutcome]

    def to_json(self) -> bytes:
        """The JSON `BatchResult` writes for the same values (a test compares them)."""
        return _OUTCOME_JSON.dump_json(self)


_OUTCOME_JSON = TypeAdapter(BatchOutcome)


def _text(
    raw: dict[str, Any],
    name: str,
    rejection: Rejection,
    *,
    required: bool,
    max_length: int = 128,
    allow_control: bool = False,
) -> str | None:
    value = raw.get(name)
    if value is None:
        if required:
            rejection.add(name, "is required")
        return None
    if not isinstance(value, str):
        rejection.add(name, "must be a string")
        return None
    if required and not value.strip():
        rejection.add(name, "must not be empty")
        return None
    if len(value) > max_length:
        rejection.add(name, f"must be at most {max_length} characters")
        return None
    problem = text_problem(value, allow_control=allow_control)
    if problem:
        rejection.add(name, problem)
        return None
    return value


def _count(raw: dict[str, Any], name: str, rejection: Rejection) -> int:
    value = raw.get(name, 0)
    if value is None:
        return 0
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        rejection.add(name, "must be a whole number >= 0")
        return 0
    problem = int64_problem(value)
    if problem:
        rejection.add(name, problem)
        return 0
    return value


def _posted_at(raw: dict[str, Any], now: datetime, rejection: Rejection) -> datetime | None:
    value = raw.get("posted_at")
    if value is None:
        rejection.add("posted_at", "is required")
        return None
    if isinstance(value, datetime):
        parsed = value
    elif isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value)
        except ValueError:
            rejection.add("posted_at", "must be an ISO 8601 timestamp")
            return None
    else:
        rejection.add("posted_at", "must be an ISO 8601 timestamp")
        return None
    if parsed.tzinfo is None:
        rejection.add("posted_at", "must carry a UTC offset")
        return None
    problem = datetime_problem(parsed)
    if problem:
        rejection.add("posted_at", problem)
        return None
    parsed = parsed.astimezone(UTC)
    if parsed > now + MAX_FUTURE:
        rejection.add("posted_at", "must not be more than one day in the future")
        return None
    return parsed


def validate_item(raw: Any, now: datetime) -> ValidMention | Rejection:
    rejection = Rejection()
    if not isinstance(raw, dict):
        rejection.add("item", "must be an object")
        return rejection
    platform = raw.get("platform")
    if not isinstance(platform, str) or platform not in PLATFORMS:
        rejection.add("platform", f"must be one of {', '.join(MENTION_PLATFORMS)}")
    platform_id = _text(raw, "platform_id", rejection, required=True)
    author = _text(raw, "author", rejection, required=False) or ""
    text = _text(raw, "text", rejection, required=True, max_length=MAX_TEXT, allow_control=True)
    url = _text(raw, "url", rejection, required=False, max_length=2048)
    user_id = _text(raw, "user_id", rejection, required=False)
    posted_at = _posted_at(raw, now, rejection)
    likes = _count(raw, "likes", rejection)
    comments = _count(raw, "comments", rejection)
    shares = _count(raw, "shares", rejection)
    kind = raw.get("kind", "post")
    if kind is None:
        kind = "post"
    if not isinstance(kind, str) or kind not in MENTION_KINDS:
        rejection.add("kind", f"must be one of {', '.join(MENTION_KINDS)}")
    elif kind != "post" and platform == "news":
        rejection.add("kind", "comments and direct messages come from a social platform")
    reply_to = _text(raw, "reply_to", rejection, required=False)
    if kind == "direct_message" and not reply_to and "reply_to" not in _fields(rejection):
        rejection.add("reply_to", "is required for a direct message (the conversation)")
    if rejection.errors:
        return rejection
    assert platform_id is not None and text is not None and posted_at is not None
    return ValidMention(
        platform=str(platform),
        platform_id=platform_id,
        author=author,
        text=text,
        url=url,
        posted_at=posted_at,
        likes=likes,
        comments=comments,
        shares=shares,
        user_id=user_id or None,
        kind=str(kind),
        reply_to=reply_to or None,
    )


def _fields(rejection: Rejection) -> set[str]:
    return {error["field"] for error in rejection.errors}
