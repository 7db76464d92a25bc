"""Ingestion: validate each item, score, match, store, publish, aggregate — in bulk.

One batch is a handful of statements whatever its size: one INSERT … ON CONFLICT DO NOTHING
RETURNING for the mentions (the unique (workspace, platform, platform id) makes a crawler's
retry a no-op), the outbox rows, and last the aggregation (aggregation.py): one insert of the
bucket authors (a returned row is a new distinct author) and one upsert of the hourly keyword
buckets, after which the keywords it touched are evaluated by the spike detector so a burst is
noticed within minutes — or, when another batch of the workspace is folding its buckets, one
pending row that the next fold takes. The texts are scored together (sentiment.batch)."""

from __future__ import annotations

import os
import uuid
from collections import Counter
from collections.abc import Sequence
from datetime import datetime
from typing import Any, cast
from uuid import UUID

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from sentiment_alert.alerts.service import evaluate
from sentiment_alert.clock import utcnow
from sentiment_alert.db import BUS
from sentiment_alert.feedback.service import classify_mention_feedback
from sentiment_alert.mentions.aggregation import Increments, aggregate
from sentiment_alert.mentions.models import Mention
from sentiment_alert.mentions.schemas import (
    BatchOutcome,
    ItemOutcome,
    Rejection,
    ReplyStatus,
    ValidMention,
    validate_item,
)
from sentiment_alert.mentions.scored import ScoredPayloads
from sentiment_alert.mentions.storage import STORAGE, MentionRow
from sentiment_alert.monitoring.matcher import RuleMatcher
from sentiment_alert.monitoring.service import matcher_for
from sentiment_alert.replies.service import Incoming, Received, receive
from sentiment_alert.sentiment import detect_language
from sentiment_alert.sentiment.batch import score_many
from yunying_shared.bus import publish_encoded
from yunying_shared.http.batch import FieldError
from yunying_shared.http.pagination import (
    MAX_LIMIT,
    PageRequest,
    RowsPage,
    decode_cursor,
    encode_cursor,
    keyset_page,
)


def _new_ids(count: int) -> list[uuid.UUID]:
    """Random (version 4) ids from one urandom call: uuid4() per row reads urandom each time."""
    random = os.urandom(16 * count)
    return [uuid.UUID(bytes=random[16 * i : 16 * i + 16], version=4) for i in range(count)]


def _scored(mentions: Sequence[ValidMention], matcher: RuleMatcher) -> list[MentionRow]:
    """Language, sentiment (the batch scorer) and matched rules of each mention."""
    texts = [mention.text for mention in mentions]
    sentiments = score_many(texts)
    rows: list[MentionRow] = []
    for mention, sentiment, row_id in zip(mentions, sentiments, _new_ids(len(texts)), strict=True):
        found = matcher.match(mention.text)
        rows.append(
            MentionRow(
                id=row_id,
                platform=mention.platform,
                platform_id=mention.platform_id,
                author=mention.author,
                text=mention.text,
                url=mention.url,
                posted_at=mention.posted_at,
                likes=mention.likes,
                comments=mention.comments,
                shares=mention.shares,
                user_id=mention.user_id,
                language=detect_language(mention.text),
                label=sentiment.label,
                score=round(sentiment.score, 4),
                keywords=list(found.keywords),
                terms=list(found.terms),
            )
        )
    return rows


def _incoming(mention: ValidMention, row: MentionRow | None) -> Incoming:
    """A comment (with its scores as a mention) or a direct message, for the FAQ replies."""
    return Incoming(
        platform=mention.platform,
        platform_id=mention.platform_id,
        kind=mention.kind,
        reply_to=mention.reply_to,
        author=mention.author,
        text=mention.text,
        user_id=mention.user_id,
        posted_at=mention.posted_at,
        language=row.language if row else None,
        label=row.label if row else None,
        score=row.score if row else None,
        keywords=tuple(row.keywords) if row else None,
    )


def _reply_status(reply: Received | None) -> ReplyStatus | None:
    if reply is None or reply.status not in ("queued", "proposed", "replying"):
        return None
    return cast(ReplyStatus, reply.status)


def _rejected(index: int, raw: Any, rejection: Rejection) -> ItemOutcome:
    platform_id = raw.get("platform_id") if isinstance(raw, dict) else None
    return ItemOutcome(
        index,
        platform_id if isinstance(platform_id, str) else None,
        "rejected",
        errors=[FieldError(**error) for error in rejection.errors],
    )


async def ingest(
    session: AsyncSession,
    *,
    workspace_id: UUID,
    items: Sequence[Any],
    now: datetime | None = None,
    evaluate_alerts: bool = True,
) -> BatchOutcome:
    now = now or utcnow()
    results: list[ItemOutcome] = []
    valid: list[tuple[int, ValidMention]] = []
    seen: set[tuple[str, str]] = set()
    for index, raw in enumerate(items):
        checked = validate_item(raw, now)
        if isinstance(checked, Rejection):
            results.append(_rejected(index, raw, checked))
            continue
        key = (checked.platform, checked.platform_id)
        if key in seen:
            results.append(ItemOutcome(index, key[1], "duplicate"))
            continue
        seen.add(key)
        valid.append((index, checked))
    # Direct messages are private: answered from the FAQ, never counted as public mentions.
    public = [(i, m) for i, m in valid if m.kind != "direct_message"]
    private = [(i, m) for i, m in valid if m.kind == "direct_message"]
    matcher = await matcher_for(session, workspace_id=workspace_id)
    rows = _scored([mention for _, mention in public], matcher)
    storage = STORAGE.of(session)
    stored = await storage.insert_mentions(session, workspace_id, rows, now) if rows else set()
    accepted = [row for row in rows if row.id in stored]
    # Comments to the brand's account and direct messages go to the FAQ replies.
    messages = [
        (index, _incoming(mention, row))
        for (index, mention), row in zip(public, rows, strict=True)
        if mention.kind == "comment" and row.id in stored
    ]
    messages += [(index, _incoming(mention, None)) for index, mention in private]
    received = await receive(
        session, workspace_id=workspace_id, messages=[m for _, m in messages], now=now
    )
    handled = {index: r for (index, _), r in zip(messages, received, strict=True)}
    scored = ScoredPayloads()
    for (index, _), row in zip(public, rows, strict=True):
        if row.id not in stored:
            results.append(ItemOutcome(index, row.platform_id, "duplicate"))
            continue
        mention_id = str(row.id)
        scored.add(
            mention_id=mention_id,
            platform=row.platform,
            platform_id=row.platform_id,
            label=row.label,
            score=row.score,
            language=row.language,
            keywords=row.keywords,
            user_id=row.user_id,
            posted_at=row.posted_at,
        )
        reply = handled.get(index) if handled else None
        results.append(
            ItemOutcome(
                index,
                row.platform_id,
                "accepted",
                mention_id=mention_id,
                label=row.label,
                keywords=row.keywords,
                message_id=str(reply.message_id) if reply and reply.message_id else None,
                reply_status=_reply_status(reply),
            )
        )
    for index, mention in private:
        reply = handled[index]
        if reply.message_id is None:
            results.append(ItemOutcome(index, mention.platform_id, "duplicate"))
            continue
        results.append(
            ItemOutcome(
                index,
                mention.platform_id,
                "accepted",
                message_id=str(reply.message_id),
                reply_status=_reply_status(reply),
            )
        )
    if accepted:
        await publish_encoded(session, BUS, scored.encode(workspace_id))
        await classify_mention_feedback(
            session,
            workspace_id=workspace_id,
            mentions=[(r.user_id, r.text, r.label) for r in accepted if r.user_id is not None],
            now=now,
        )
        # Last: the aggregation lock is held from here until the commit.
        increments = Increments()
        increments.add_rows(accepted)
        touched = await aggregate(session, workspace_id, increments, now)
        if evaluate_alerts and touched:
            await evaluate(session, workspace_id=workspace_id, keywords=touched, now=now)
    results.sort(key=lambda r: r.index)
    statuses = Counter(r.status for r in results)
    return BatchOutcome(
        accepted=statuses["accepted"],
        duplicates=statuses["duplicate"],
        rejected=statuses["rejected"],
        results=results,
    )


# How many rows one page may examine to find `limit` mentions holding a keyword: the keyword
# filter runs in Python (JSON containment differs per database), so a rare keyword yields a
# short page with a cursor to continue from, never an unbounded scan.
KEYWORD_SCAN_ROWS = 2_000


async def page_mentions(
    session: AsyncSession,
    *,
    workspace_id: UUID,
    page: PageRequest,
    keyword: str | None = None,
    label: str | None = None,
    platform: str | None = None,
) -> RowsPage[Mention]:
    """Mentions, newest first (by when they were posted)."""
    query = select(Mention).where(Mention.workspace_id == workspace_id)
    if label is not None:
        query = query.where(Mention.label == label)
    if platform is not None:
        query = query.where(Mention.platform == platform)
    keys = (Mention.posted_at, Mention.id)
    if keyword is None:
        return await keyset_page(session, query, page, keys=keys, descending=True)
    found: list[Mention] = []
    scan = PageRequest(limit=MAX_LIMIT, after=page.after)
    for _ in range(KEYWORD_SCAN_ROWS // MAX_LIMIT):
        batch = await keyset_page(session, query, scan, keys=keys, descending=True)
        for mention in batch.rows:
            if keyword in mention.keywords:
                found.append(mention)
                if len(found) == page.limit:
                    return RowsPage(found, encode_cursor((mention.posted_at, mention.id)))
        if batch.next_cursor is None:
            return RowsPage(found, None)
        scan = PageRequest(limit=MAX_LIMIT, after=decode_cursor(batch.next_cursor))
    last = scan.after
    return RowsPage(found, encode_cursor(last) if last is not None else None)
