"""Reading the audit log, newest first, with the filters the API offers."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, and_, or_, select

from gateway.audit.models import AuditEntry
from gateway.workspaces.models import Membership


@dataclass(frozen=True)
class AuditFilter:
    actor: str | None = None  # a user id, or an email (case-insensitive)
    action: str | None = None
    since: datetime | None = None  # included
    until: datetime | None = None  # excluded


def workspace_entries(workspace_id: uuid.UUID) -> Select[Any]:
    """The workspace's admin actions, and the login attempts of its current members (a login
    belongs to no workspace, so an admin sees those of the people they manage)."""
    members = select(Membership.user_id).where(Membership.workspace_id == workspace_id)
    own = AuditEntry.workspace_id == workspace_id
    members_logins = and_(AuditEntry.workspace_id.is_(None), AuditEntry.actor_id.in_(members))
    statement: Select[Any] = select(AuditEntry).where(or_(own, members_logins))
    return statement


def all_entries() -> Select[Any]:
    return select(AuditEntry)


def filtered(statement: Select[Any], found: AuditFilter) -> Select[Any]:
    if found.actor is not None:
        try:
            statement = statement.where(AuditEntry.actor_id == uuid.UUID(found.actor))
        except ValueError:
            statement = statement.where(AuditEntry.actor_email == found.actor.strip().lower())
    if found.action is not None:
        statement = statement.where(AuditEntry.action == found.action)
    if found.since is not None:
        statement = statement.where(AuditEntry.occurred_at >= found.since)
    if found.until is not None:
        statement = statement.where(AuditEntry.occurred_at < found.until)
    return statement
