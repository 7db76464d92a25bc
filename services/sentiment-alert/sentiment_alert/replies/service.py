"""Receiving comments and direct messages, the operators' queue, and sending replies."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from sentiment_alert.crises.models import CrisisCaseRecord
from sentiment_alert.faq import service as faq
from sentiment_alert.faq.schemas import DEFAULT_THRESHOLD
from sentiment_alert.monitoring.service import matcher_for
from sentiment_alert.replies.decision import decide
from sentiment_alert.replies.models import CustomerMessage
from sentiment_alert.replies.platforms import (
    OutgoingReply,
    PlatformUnavailable,
    ReplyPlatforms,
    ReplyRefused,
)
from sentiment_alert.sentiment import detect_language, score
from yunying_shared.db import sql_dialect
from yunying_shared.errors import Conflict, InvalidInput, NotFound

MAX_ATTEMPTS = 4
FIRST_RETRY = timedelta(seconds=5)
DUE_PER_RUN = 100
OPEN_QUEUE = ("queued", "proposed")


@dataclass(slots=True)
class Incoming:
    """A comment or direct message as ingestion validated it; a comment comes already scored
    and matched against the monitoring rules (it is also a mention)."""

    platform: str
    platform_id: str
    kind: str
    reply_to: str | None
    author: str
    text: str
    user_id: str | None
    posted_at: datetime
    language: str | None = None
    label: str | None = None
    score: float | None = None
    keywords: tuple[str, ...] | None = None


@dataclass(frozen=True, slots=True)
class Received:
    message_id: UUID | None  # None: a duplicate
    status: str | None


async def _open_crisis_keywords(session: AsyncSession, workspace_id: UUID) -> list[str | None]:
    rows = await session.scalars(
        select(CrisisCaseRecord.keyword).where(
            CrisisCaseRecord.workspace_id == workspace_id, CrisisCaseRecord.state != "closed"
        )
    )
    return list(rows)


async def receive(
    session: AsyncSession, *, workspace_id: UUID, messages: Sequence[Incoming], now: datetime
) -> list[Received]:
    """Stores and decides each message (once per platform and id); nothing is sent here: a
    reply due is left for the dispatcher, after this transaction committed."""
    if not messages:
        return []
    settings = await faq.settings_of(session, workspace_id=workspace_id)
    threshold = settings.threshold if settings else DEFAULT_THRESHOLD
    mode = settings.mode if settings else "propose"
    crisis_keywords = await _open_crisis_keywords(session, workspace_id)
    # A case reported by hand without a keyword concerns the whole brand: nothing is automatic.
    whole_brand_crisis = None in crisis_keywords
    rules = await matcher_for(session, workspace_id=workspace_id)
    kinds = rules.kinds()
    index = await faq.index_for(session, workspace_id=workspace_id)
    decided: list[dict[str, Any]] = []
    for message in messages:
        if message.label is None or message.score is None:
            sentiment = score(message.text)
            message.label, message.score = sentiment.label, round(sentiment.score, 4)
        keywords = (
            message.keywords if message.keywords is not None else rules.match(message.text).keywords
        )
        candidates = index.search(message.text, platform=message.platform)
        best = candidates[0] if candidates else None
        decision = decide(
            label=message.label,
            crisis_related=whole_brand_crisis or any(k in crisis_keywords for k in keywords),
            risk=any(kinds.get(k) == "risk" for k in keywords),
            best=best,
            threshold=threshold,
            mode=mode,
        )
        decided.append(_row(workspace_id, message, decision.status, decision.reason, best, now))
        decided[-1]["candidates"] = [
            {"entry_id": c.entry_id, "question": c.question, "confidence": c.confidence}
            for c in candidates
        ]
    answers = await faq.answers_of(
        session,
        workspace_id=workspace_id,
        entry_ids=sorted({r["faq_entry_id"] for r in decided if r["faq_entry_id"] is not None}),
    )
    received: list[Received] = []
    table = CustomerMessage.__table__
    for row in decided:
        suggestion = answers.get(row["faq_entry_id"]) if row["faq_entry_id"] else None
        row["suggestion"] = suggestion
        if row["status"] == "replying":
            row["reply_text"], row["replied_by"] = suggestion, "faq"
            row["next_attempt_at"] = now
        stored = await session.scalar(
            sql_dialect(session)
            .insert(table)
            .values(**row)
            .on_conflict_do_nothing(index_elements=["workspace_id", "platform", "platform_id"])
            .returning(table.c.id)
        )
        received.append(Received(stored, row["status"] if stored else None))
    return received


def _row(
    workspace_id: UUID,
    message: Incoming,
    status: str,
    reason: str,
    best: Any,
    now: datetime,
) -> dict[str, Any]:
    return {
        "id": uuid.uuid4(),
        "workspace_id": workspace_id,
        "platform": message.platform,
        "platform_id": message.platform_id,
        "kind": message.kind,
        "reply_to": message.reply_to,
        "author": message.author,
        "text": message.text,
        "user_id": message.user_id,
        "posted_at": message.posted_at,
        "received_at": now,
        "language": message.language or detect_language(message.text),
        "label": message.label,
        "sentiment_score": message.score,
        "status": status,
        "reason": reason,
        "faq_entry_id": best.entry_id if best else None,
        "confidence": best.confidence if best else None,
        "reply_text": None,
        "replied_by": None,
        "reply_attempts": 0,
        "next_attempt_at": None,
        "updated_at": now,
    }


async def get_message(
    session: AsyncSession, *, workspace_id: UUID, message_id: UUID
) -> CustomerMessage:
    message = await session.scalar(
        select(CustomerMessage).where(
            CustomerMessage.workspace_id == workspace_id, CustomerMessage.id == message_id
        )
    )
    if message is None:
        raise NotFound(f"Message {message_id} not found.")
    return message


def _waiting(message: CustomerMessage) -> None:
    if message.status not in OPEN_QUEUE:
        raise Conflict(
            f"Message {message.id} is {message.status}; only queued or proposed messages "
            "can be answered or dismissed.",
            current_status=message.status,
        )


async def answer(
    session: AsyncSession,
    *,
    workspace_id: UUID,
    message_id: UUID,
    text: str | None,
    actor: str,
    now: datetime,
) -> CustomerMessage:
    """An operator's reply: their own text, or (without one) the proposed FAQ answer."""
    message = await get_message(session, workspace_id=workspace_id, message_id=message_id)
    _waiting(message)
    reply = text if text is not None else message.suggestion
    if reply is None:
        raise InvalidInput(
            "This message has no proposed answer; write the reply.",
            errors=[{"field": "body.text", "message": "is required: no FAQ answer to send"}],
        )
    message.status, message.reason = "replying", "operator"
    message.reply_text, message.replied_by = reply, actor
    message.reply_attempts, message.reply_error = 0, None
    message.next_attempt_at, message.updated_at = now, now
    await session.flush()
    return message


async def dismiss(
    session: AsyncSession, *, workspace_id: UUID, message_id: UUID, actor: str, now: datetime
) -> CustomerMessage:
    message = await get_message(session, workspace_id=workspace_id, message_id=message_id)
    _waiting(message)
    message.status, message.handled_by, message.updated_at = "dismissed", actor, now
    await session.flush()
    return message


async def send_due(session: AsyncSession, platforms: ReplyPlatforms, *, now: datetime) -> int:
    """Sends the replies that are due through their platform's adapter; returns how many were
    attempted. Rows are locked (skipped by another replica's run) while this one sends them.
    A crash after the platform took a reply but before the commit sends it again: at least
    once, like the notification webhooks."""
    due = list(
        await session.scalars(
            select(CustomerMessage)
            .where(CustomerMessage.status == "replying", CustomerMessage.next_attempt_at <= now)
            .order_by(CustomerMessage.next_attempt_at, CustomerMessage.id)
            .limit(DUE_PER_RUN)
            .with_for_update(skip_locked=True)
        )
    )
    for message in due:
        message.reply_attempts += 1
        message.updated_at = now
        adapter = platforms.get(message.platform)
        if adapter is None:
            _back_to_queue(message, f"no reply adapter for {message.platform}")
            continue
        target = message.platform_id if message.kind == "comment" else message.reply_to
        reply = OutgoingReply(
            message_id=message.id,
            workspace_id=message.workspace_id,
            platform=message.platform,
            kind=message.kind,
            target=target or "",
            text=message.reply_text or "",
        )
        try:
            message.reply_platform_id = await adapter.send(reply)
        except ReplyRefused as exc:
            _back_to_queue(message, f"refused: {exc}"[:500])
        except PlatformUnavailable as exc:
            message.reply_error = f"unavailable: {exc}"[:500]
            if message.reply_attempts >= MAX_ATTEMPTS:
                _back_to_queue(message, message.reply_error)
            else:
                message.next_attempt_at = now + FIRST_RETRY * 2 ** (message.reply_attempts - 1)
        else:
            message.status, message.replied_at, message.reply_error = "replied", now, None
            message.next_attempt_at = None
    await session.flush()
    return len(due)


def _back_to_queue(message: CustomerMessage, error: str) -> None:
    # The reply did not go out: a person decides (the text stays as the suggestion).
    message.status, message.reason, message.reply_error = "queued", "reply_failed", error
    message.suggestion = message.reply_text or message.suggestion
    message.next_attempt_at = None
