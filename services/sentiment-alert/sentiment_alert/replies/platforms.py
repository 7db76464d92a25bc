"""The edge towards the platforms' reply APIs (a comment reply, a direct-message send).

No platform's real API is wired yet: each needs the brand's own app credentials and review
(Weibo, Douyin, Xiaohongshu, WeChat, Bilibili open platforms). `RecordingPlatform` stands in for
one and behaves like one: it takes a reply to a known kind of target, refuses what such an API
refuses (an empty text, one over its length limit, a direct message without a conversation),
answers with the id of the reply it "posted", and records every reply it took. Tests, the demo
and the embedded mode use it (`reply_adapter = "recording"`); with no adapter configured, a
reply fails with that reason and the message goes back to the operators' queue."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Protocol
from uuid import UUID


@dataclass(frozen=True, slots=True)
class OutgoingReply:
    message_id: UUID
    workspace_id: UUID
    platform: str
    kind: str  # comment | direct_message
    target: str  # the comment's id, or the conversation of a direct message
    text: str


class ReplyRefused(Exception):
    """The platform will not take this reply (retrying will not help)."""


class PlatformUnavailable(Exception):
    """The platform did not answer or answered with a transient error: try again later."""


class ReplyPlatform(Protocol):
    async def send(self, reply: OutgoingReply) -> str:
        """Posts the reply; returns the platform's id for it."""
        ...


@dataclass
class RecordingPlatform:
    """A platform's reply API, in memory: checks what a platform checks, records what it took."""

    max_length: int = 500
    sent: list[OutgoingReply] = field(default_factory=list)
    unavailable: int = 0  # the next `unavailable` calls fail as a timeout would

    async def send(self, reply: OutgoingReply) -> str:
        if self.unavailable > 0:
            self.unavailable -= 1
            raise PlatformUnavailable("timed out")
        if not reply.text.strip():
            raise ReplyRefused("empty reply")
        if len(reply.text) > self.max_length:
            raise ReplyRefused(f"reply longer than {self.max_length} characters")
        if not reply.target:
            raise ReplyRefused("no reply target")
        self.sent.append(reply)
        return f"{reply.platform}-reply-{uuid.uuid4().hex[:16]}"


class ReplyPlatforms:
    """The adapter per platform; a platform without one fails its replies with that reason."""

    def __init__(self, by_platform: Mapping[str, ReplyPlatform]) -> None:
        self._by_platform = dict(by_platform)

    def get(self, platform: str) -> ReplyPlatform | None:
        return self._by_platform.get(platform)

    @classmethod
    def recording(cls, platforms: tuple[str, ...]) -> ReplyPlatforms:
        """One recording fake for every platform (they share one log)."""
        fake = RecordingPlatform()
        return cls(dict.fromkeys(platforms, fake))
