"""The one transaction per request: the dependency commits, or rolls back on any error.

`scope="function"` makes FastAPI run the commit before the response is sent, so a failed commit
is an error response, never a 2xx for data that was then lost.

`ReadSessionDep` is for routes that only read: no transaction, so no BEGIN and COMMIT round
trips (`Database.read_session`); a write through it is an error, never a half-applied request.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncSession

from yunying_shared.db.engine import Database


async def _request_session(request: Request) -> AsyncIterator[AsyncSession]:
    database: Database = request.app.state.database
    async with database.session() as session:
        try:
            yield session
            await session.commit()
        except BaseException:
            await session.rollback()
            raise


SessionDep = Annotated[AsyncSession, Depends(_request_session, scope="function")]


async def _read_session(request: Request) -> AsyncIterator[AsyncSession]:
    database: Database = request.app.state.database
    async with database.read_session() as session:
        yield session


ReadSessionDep = Annotated[AsyncSession, Depends(_read_session, scope="function")]
