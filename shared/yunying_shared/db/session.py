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

# The exit stack FastAPI unwinds when the route's function returns, before the response is sent
# (what runs the end of a `scope="function"` dependency with `yield`). A key of FastAPI's own,
# not a public API: shared/tests/test_read_session.py fails if an upgrade renames it.
FUNCTION_EXIT_STACK = "fastapi_function_astack"


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


async def _read_session(request: Request) -> AsyncSession:
    """Opened here and closed with the route's function, like a `yield` dependency, without
    one: FastAPI wraps each generator dependency in a context manager under an anyio
    CancelScope, 13% of a one-read GET's CPU (docs/BENCHMARKS.md, gateway sessions 7 and 8).
    There is nothing to commit or roll back, and closing returns the connection to the pool
    without awaiting the server, so a cancelled request cannot interrupt it half-way."""
    database: Database = request.app.state.database
    session = database.read_session()
    request.scope[FUNCTION_EXIT_STACK].push_async_callback(session.close)
    return session


ReadSessionDep = Annotated[AsyncSession, Depends(_read_session)]
