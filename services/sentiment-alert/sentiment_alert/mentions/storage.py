"""The storage seam of ingestion, on either database.

PostgreSQL sends the two wide statements (mentions, bucket authors) as one array per column on
the driver connection (asyncpg encodes arrays in C; SQLAlchemy's executemany spent more time
building parameter sets than the server spent inserting). SQLite uses SQLAlchemy's
executemany. Both write the same rows and return the same values."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Any, Protocol
from uuid import UUID

from sqlalchemy import Insert, Table
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from sentiment_alert.clock import hour_of
from sentiment_alert.mentions.models import BucketAuthor, KeywordBucket, Mention
from yunying_shared.db import PerDialect, driver_connection, sql_dialect

MENTIONS: Table = Mention.__table__  # type: ignore[assignment]
BUCKETS: Table = KeywordBucket.__table__  # type: ignore[assignment]
AUTHORS: Table = BucketAuthor.__table__  # type: ignore[assignment]


@dataclass(slots=True)
class MentionRow:
    id: UUID
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
    language: str
    label: str
    score: float
    keywords: list[str]
    terms: list[str]


AuthorKey = tuple[str, datetime, bool, str]  # keyword, bucket start, negative, author


class IngestStorage(Protocol):
    async def insert_mentions(
        self, session: AsyncSession, workspace_id: UUID, rows: list[MentionRow], now: datetime
    ) -> set[UUID]:
        """Stores mentions not seen before (by platform and id); returns the ids stored."""
        ...

    async def insert_authors(
        self, session: AsyncSession, workspace_id: UUID, keys: Sequence[AuthorKey]
    ) -> list[tuple[str, datetime, bool]]:
        """Records bucket authors; returns (keyword, bucket, negative) of each new one, the
        bucket as an aware UTC datetime equal to the key's."""
        ...


def insert_for(session: AsyncSession, table: Table) -> Insert:
    if sql_dialect(session).name == "postgresql":
        return pg_insert(table)
    return sqlite_insert(table)


_PG_MENTIONS = """
    INSERT INTO mentions (id, workspace_id, platform, platform_id, author, text, url, posted_at,
        likes, comments, shares, user_id, language, label, score, keywords, terms, received_at)
    SELECT m.id, $1, m.platform, m.platform_id, m.author, m.text, m.url, m.posted_at, m.likes,
        m.comments, m.shares, m.user_id, m.language, m.label, m.score, m.keywords, m.terms, $2
    FROM unnest($3::uuid[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[],
                $9::timestamptz[], $10::int8[], $11::int8[], $12::int8[], $13::text[],
                $14::text[], $15::text[], $16::float8[], $17::json[], $18::json[])
        AS m(id, platform, platform_id, author, text, url, posted_at, likes, comments, shares,
             user_id, language, label, score, keywords, terms)
    ON CONFLICT (workspace_id, platform, platform_id) DO NOTHING
    RETURNING id
"""

_PG_AUTHORS = """
    INSERT INTO bucket_authors (workspace_id, keyword, bucket_start, negative, author)
    SELECT $1, a.keyword, a.bucket_start, a.negative, a.author
    FROM unnest($2::text[], $3::timestamptz[], $4::bool[], $5::text[])
        AS a(keyword, bucket_start, negative, author)
    ON CONFLICT DO NOTHING
    RETURNING keyword, bucket_start, negative
"""

_FIELDS = (
    "id",
    "platform",
    "platform_id",
    "author",
    "text",
    "url",
    "posted_at",
    "likes",
    "comments",
    "shares",
    "user_id",
    "language",
    "label",
    "score",
)


@lru_cache(maxsize=4096)
def _json_tuple(values: tuple[str, ...]) -> str:
    return json.dumps(values, ensure_ascii=False)


def _json_list(values: list[str]) -> str:
    # A workspace has a few rules, so a batch repeats a few combinations of matches.
    return _json_tuple(tuple(values)) if values else "[]"


class PostgresIngest:
    async def insert_mentions(
        self, session: AsyncSession, workspace_id: UUID, rows: list[MentionRow], now: datetime
    ) -> set[UUID]:
        columns: list[list[Any]] = [[getattr(r, name) for r in rows] for name in _FIELDS]
        columns.append([_json_list(r.keywords) for r in rows])
        columns.append([_json_list(r.terms) for r in rows])
        connection = await driver_connection(session)
        found = await connection.fetch(_PG_MENTIONS, workspace_id, now, *columns)
        return {row[0] for row in found}

    async def insert_authors(
        self, session: AsyncSession, workspace_id: UUID, keys: Sequence[AuthorKey]
    ) -> list[tuple[str, datetime, bool]]:
        connection = await driver_connection(session)
        found = await connection.fetch(
            _PG_AUTHORS,
            workspace_id,
            [k[0] for k in keys],
            [k[1] for k in keys],
            [k[2] for k in keys],
            [k[3] for k in keys],
        )
        return [(row[0], row[1], row[2]) for row in found]


class SqliteIngest:
    async def insert_mentions(
        self, session: AsyncSession, workspace_id: UUID, rows: list[MentionRow], now: datetime
    ) -> set[UUID]:
        statement = sqlite_insert(MENTIONS).on_conflict_do_nothing().returning(MENTIONS.c.id)
        values = [
            {
                **{name: getattr(r, name) for name in _FIELDS},
                "workspace_id": workspace_id,
                "keywords": r.keywords,
                "terms": r.terms,
                "received_at": now,
            }
            for r in rows
        ]
        result = await session.execute(statement, values)
        return set(result.scalars())

    async def insert_authors(
        self, session: AsyncSession, workspace_id: UUID, keys: Sequence[AuthorKey]
    ) -> list[tuple[str, datetime, bool]]:
        statement = (
            sqlite_insert(AUTHORS)
            .on_conflict_do_nothing()
            .returning(AUTHORS.c.keyword, AUTHORS.c.bucket_start, AUTHORS.c.negative)
        )
        values = [
            {
                "workspace_id": workspace_id,
                "keyword": k[0],
                "bucket_start": k[1],
                "negative": k[2],
                "author": k[3],
            }
            for k in keys
        ]
        result = await session.execute(statement, values)
        # SQLite gives the stored time back without its zone.
        return [(row[0], hour_of(row[1]), row[2]) for row in result]


STORAGE: PerDialect[IngestStorage] = PerDialect(postgresql=PostgresIngest(), sqlite=SqliteIngest())


async def fold_buckets(
    session: AsyncSession,
    workspace_id: UUID,
    increments: dict[tuple[str, datetime], list[int]],
    now: datetime,
) -> None:
    """Adds [mentions, negative, authors, negative_authors] to each (keyword, hour)."""
    if not increments:
        return
    statement = insert_for(session, BUCKETS)
    excluded = statement.excluded  # type: ignore[attr-defined]
    statement = statement.on_conflict_do_update(  # type: ignore[attr-defined]
        index_elements=["workspace_id", "keyword", "bucket_start"],
        set_={
            "mentions": BUCKETS.c.mentions + excluded.mentions,
            "negative": BUCKETS.c.negative + excluded.negative,
            "authors": BUCKETS.c.authors + excluded.authors,
            "negative_authors": BUCKETS.c.negative_authors + excluded.negative_authors,
            "updated_at": excluded.updated_at,
        },
    )
    rows = [
        {
            "workspace_id": workspace_id,
            "keyword": keyword,
            "bucket_start": start,
            "mentions": counts[0],
            "negative": counts[1],
            "authors": counts[2],
            "negative_authors": counts[3],
            "updated_at": now,
        }
        for (keyword, start), counts in sorted(increments.items())
    ]
    await session.execute(statement, rows)
