"""Setting tags on users: an upsert, so setting a tag again (by hand, import or rule) revives
and updates it instead of failing on the (workspace, user, tag) key."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from segmentation.records.models import UserTag
from yunying_shared.db import sql_dialect

TAGS = UserTag.__table__


async def upsert_tags(
    session: AsyncSession, workspace_id: UUID, rows: list[dict[str, Any]], now: datetime
) -> None:
    if not rows:
        return
    values = [
        {"workspace_id": workspace_id, "created_at": now, "updated_at": now, **row} for row in rows
    ]
    statement = sql_dialect(session).insert(TAGS).values(values)
    new = statement.excluded
    await session.execute(
        statement.on_conflict_do_update(
            index_elements=["workspace_id", "user_id", "tag"],
            set_={
                "kind": new.kind,
                "source": new.source,
                "confidence": new.confidence,
                "expires_at": new.expires_at,
                "updated_at": new.updated_at,
            },
        )
    )
