"""Folding a batch's mentions into the hourly keyword buckets, without batches waiting on
each other.

Two transactions that upsert the same bucket rows (or insert the same bucket authors) wait for
each other's commit, so concurrent batches of one workspace used to run one after the other.
Now one transaction at a time folds a workspace's buckets: the one holding the workspace's
aggregation lock (a transaction-scoped advisory lock on PostgreSQL; SQLite has one writer
anyway). A batch that finds the lock taken does not wait: it stores its increments as one
`pending_increments` row and commits. Whoever holds the lock next — the next batch, or the
`aggregate_pending` job every few seconds — deletes the pending rows it folds in the same
transaction as the fold, so every increment is counted exactly once (a rollback keeps both).
Alone, a batch always gets the lock and folds its own increments at once, as before."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from uuid import UUID

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from sentiment_alert.clock import hour_of
from sentiment_alert.mentions.models import PendingIncrement
from sentiment_alert.mentions.storage import STORAGE, AuthorKey, MentionRow, fold_buckets
from yunying_shared.db import sql_dialect

BucketKey = tuple[str, datetime]  # keyword, bucket start


def lock_name(workspace_id: UUID) -> str:
    return f"sentiment.aggregate.{workspace_id}"


@dataclass(slots=True)
class Increments:
    """Per (keyword, hour): mentions and negative mentions to add, and who wrote there (a
    distinct author counts only if the bucket has not seen them)."""

    counts: dict[BucketKey, list[int]] = field(default_factory=dict)
    authors: set[AuthorKey] = field(default_factory=set)

    def __bool__(self) -> bool:
        return bool(self.counts)

    def keywords(self) -> set[str]:
        return {keyword for keyword, _ in self.counts}

    def add_rows(self, rows: Iterable[MentionRow]) -> None:
        for row in rows:
            if not row.keywords:
                continue
            hour = hour_of(row.posted_at)
            negative = row.label == "neg"
            # Anonymous posts of one platform count as one author: an anonymous flood stays
            # guarded.
            author = f"{row.platform}:{row.author}"
            for keyword in row.keywords:
                counts = self.counts.setdefault((keyword, hour), [0, 0])
                counts[0] += 1
                self.authors.add((keyword, hour, False, author))
                if negative:
                    counts[1] += 1
                    self.authors.add((keyword, hour, True, author))

    def add_payload(self, payload: dict[str, list[list[object]]]) -> None:
        for keyword, start, mentions, negative in payload["counts"]:
            counts = self.counts.setdefault(
                (str(keyword), datetime.fromisoformat(str(start))), [0, 0]
            )
            counts[0] += int(str(mentions))
            counts[1] += int(str(negative))
        for keyword, start, is_negative, author in payload["authors"]:
            self.authors.add(
                (str(keyword), datetime.fromisoformat(str(start)), bool(is_negative), str(author))
            )

    def payload(self) -> dict[str, list[list[object]]]:
        return {
            "counts": [[k, start.isoformat(), *c] for (k, start), c in self.counts.items()],
            "authors": [[k, start.isoformat(), n, a] for k, start, n, a in sorted(self.authors)],
        }


async def aggregate(
    session: AsyncSession, workspace_id: UUID, increments: Increments, now: datetime
) -> set[str]:
    """Folds the increments (and any pending ones) into the buckets when this transaction may;
    else leaves them pending. Returns the keywords folded (to evaluate), empty when deferred."""
    if not increments:
        return set()
    if not await sql_dialect(session).try_transaction_lock(session, lock_name(workspace_id)):
        pending = PendingIncrement(
            workspace_id=workspace_id, payload=increments.payload(), created_at=now
        )
        session.add(pending)
        await session.flush()
        return set()
    await take_pending(session, workspace_id, into=increments)
    await fold(session, workspace_id, increments, now)
    return increments.keywords()


async def take_pending(session: AsyncSession, workspace_id: UUID, *, into: Increments) -> int:
    """Deletes the workspace's pending increments and adds them to `into`; the caller holds the
    aggregation lock and folds them in the same transaction. Returns how many were taken."""
    taken = await session.execute(
        delete(PendingIncrement)
        .where(PendingIncrement.workspace_id == workspace_id)
        .returning(PendingIncrement.payload)
    )
    count = 0
    for (payload,) in taken:
        into.add_payload(payload)
        count += 1
    return count


async def fold(
    session: AsyncSession, workspace_id: UUID, increments: Increments, now: datetime
) -> None:
    """Adds the increments to the buckets: a new (keyword, hour, negative, author) row is a
    new distinct author."""
    totals = {key: [*counts, 0, 0] for key, counts in increments.counts.items()}
    new_authors = await STORAGE.of(session).insert_authors(
        session, workspace_id, sorted(increments.authors)
    )
    for keyword, bucket, negative in new_authors:
        totals[(keyword, hour_of(bucket))][3 if negative else 2] += 1
    await fold_buckets(session, workspace_id, totals, now)


async def workspaces_pending(session: AsyncSession) -> list[UUID]:
    found = await session.scalars(select(PendingIncrement.workspace_id).distinct())
    return list(found)


async def fold_pending(session: AsyncSession, workspace_id: UUID, now: datetime) -> set[str]:
    """Folds the workspace's pending increments, unless a batch holds the lock (it folds them
    itself). Returns the keywords folded."""
    if not await sql_dialect(session).try_transaction_lock(session, lock_name(workspace_id)):
        return set()
    increments = Increments()
    await take_pending(session, workspace_id, into=increments)
    if increments:
        await fold(session, workspace_id, increments, now)
    return increments.keywords()
