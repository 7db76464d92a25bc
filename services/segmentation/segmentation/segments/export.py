"""Members as CSV, streamed: keyset pages over the membership primary key, each page read in
its own short transaction, so a large export never holds a transaction or all rows at once."""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator
from datetime import datetime
from uuid import UUID

from sqlalchemy import and_, select

from segmentation.clock import as_utc
from segmentation.records.models import Profile
from segmentation.segments.models import SegmentMembership
from yunying_shared.db import Database

PAGE_SIZE = 2000
HEADER = ("user_id", "stage", "tier", "entered_at")
BOM = "\ufeff"  # Excel reads the file as UTF-8 (Chinese text intact) only with it


async def member_rows_csv(
    database: Database, *, workspace_id: UUID, segment_id: UUID, page_size: int | None = None
) -> AsyncIterator[bytes]:
    page_size = page_size or PAGE_SIZE
    yield (BOM + _line(HEADER)).encode()
    after = ""
    while True:
        async with database.session() as session:
            page = (
                await session.execute(
                    select(
                        SegmentMembership.user_id,
                        Profile.stage,
                        Profile.tier,
                        SegmentMembership.entered_at,
                    )
                    .outerjoin(
                        Profile,
                        and_(
                            Profile.workspace_id == SegmentMembership.workspace_id,
                            Profile.user_id == SegmentMembership.user_id,
                        ),
                    )
                    .where(
                        SegmentMembership.workspace_id == workspace_id,
                        SegmentMembership.segment_id == segment_id,
                        SegmentMembership.user_id > after,
                    )
                    .order_by(SegmentMembership.user_id)
                    .limit(page_size)
                )
            ).all()
        if not page:
            return
        yield "".join(
            _line((row.user_id, row.stage or "", row.tier or "", _iso(row.entered_at)))
            for row in page
        ).encode()
        after = page[-1].user_id
        if len(page) < page_size:
            return


def _line(values: tuple[str, ...]) -> str:
    buffer = io.StringIO()
    csv.writer(buffer).writerow([_inert(v) for v in values])
    return buffer.getvalue()


# A cell starting like a formula would run as one in a spreadsheet (CSV injection); TAB and CR
# count too, since spreadsheets skip them before looking for the formula sign (OWASP's list).
FORMULA_STARTS = frozenset({"=", "+", "-", "@", "\t", "\r"})


def _inert(value: str) -> str:
    return "'" + value if value[:1] in FORMULA_STARTS else value


def _iso(entered_at: datetime | None) -> str:
    entered = as_utc(entered_at)
    return "" if entered is None else entered.isoformat()
