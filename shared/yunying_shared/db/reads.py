"""What a read session (`Database.read_session`, no transaction on PostgreSQL) may run."""

from __future__ import annotations

from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import ORMExecuteState, Session


class WriteInReadSession(RuntimeError):
    """A read session (no transaction) was asked to write: use the ordinary session."""


def refuse_writes(session_class: type[Session]) -> None:
    """Without a transaction each write would commit alone and a locking read would lock
    nothing, so a read session runs plain SELECTs only, and says so at the first other one."""

    @event.listens_for(session_class, "do_orm_execute")
    def _only_plain_selects(state: ORMExecuteState) -> None:
        statement: Any = state.statement
        if not state.is_select or getattr(statement, "_for_update_arg", None) is not None:
            raise WriteInReadSession(f"not a plain SELECT: {statement}")

    @event.listens_for(session_class, "before_flush")
    def _no_flush(session: Session, _context: Any, _instances: Any) -> None:
        raise WriteInReadSession("a read session does not flush")
