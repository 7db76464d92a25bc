"""Folding a batch's mentions into the hourly keyword buckets, without batches waiting on
each other.

Two transactions that upsert the same bucket rows wait for each other's commit, so concurrent
batches of one workspace used to run one after the other. Now one transaction at a time folds
a workspace's bucket counts: the one holding the workspace's aggregation lock (a
transaction-scoped advisory lock on PostgreSQL; SQLite has one writer anyway). Every batch
records its bucket authors itself (a returned row is a new distinct author; two batches wait
on each other only for the same author in the same bucket). A batch that finds the lock taken
does not wait: it stores its counts as one small `pending_increments` row and commits. Whoever
holds the lock next — the next batch, or the `aggregate_pending` job every few seconds —
deletes the pending rows it folds in the same transaction as the fold, so every increment is
counted exactly once (a rollback keeps both). Alone, a batch always gets the lock and folds its
own counts at once, as before."""

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
    """Per (keyword, hour): [mentions, negative mentions, new authors, new negative authors] to
    add, and who wrote there (recorded by `record_authors`, which counts the new ones)."""

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
                counts = self.counts.setdefault((keyword, hour), [0, 0, 0, 0])
                counts[0] += 1
                self.authors.add((keyword, hour, False, author))
                if negative:
                    counts[1] += 1
                    self.authors.add((keyword, hour, True, author))

    def add_payload(self, payload: dict[str, list[list[object]]]) -> None:
        for keyword, start, *added in payload["counts"]:
            counts = self.counts.setdefault(
                (str(keyword), datetime.fromisoformat(str(start))), [0, 0, 0, 0]
            )
            for position, value in enumerate(added):
                counts[position] += int(str(value))

    def payload(self) -> dict[str, list[list[object]]]:
        return {"counts": [[k, start.isoformat(), *c] for (k, start), c in self.counts.items()]}


async def record_authors(session: AsyncSession, workspace_id: UUID, increments: Increments) -> None:
    """Inserts the bucket authors (sorted, so two batches never wait on each other in a cycle)
    and counts the new ones into the increments."""
    new_authors = await STORAGE.of(session).insert_authors(
        session, workspace_id, sorted(increments.authors)
    )
    counts = increments.counts
    for keyword, bucket, negative in new_authors:
        counts[(keyword, bucket)][3 if negative else 2] += 1
    increments.authors.clear()


async def aggregate(
    session: AsyncSession, workspace_id: UUID, increments: Increments, now: datetime
) -> set[str]:
    """Records the authors, then folds the counts (and any pending ones) into the buckets when
    this transaction may, else leaves them pending. Returns the keywords folded (to evaluate),
    empty when deferred."""
    if not increments:
        return set()
    await record_authors(session, workspace_id, increments)
    if not await sql_dialect(session).try_transaction_lock(session, lock_name(workspace_id)):
        pending = PendingIncrement(
            workspace_id=workspace_id, payload=increments.payload(), created_at=now
        )
        session.add(pending)
        await session.flush()
        return set()
    await take_pending(session, workspace_id, into=increments)
    await fold_buckets(session, workspace_id, increments.counts, now)
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
        await fold_buckets(session, workspace_id, increments.counts, now)
    return increments.keywords()
