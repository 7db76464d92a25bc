"""Writing the audit log: one row and one `audit.recorded` event (through the outbox), in the
transaction of the action itself, so an action is never without its entry and an entry never
describes an action that was rolled back.

A failed login is the exception: its request's transaction is rolled back, so its entry is
written in a transaction of its own (`record_apart`)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Literal, get_args

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from gateway.audit.models import AuditEntry
from gateway.db import BUS, utcnow
from gateway.identity.models import User
from yunying_shared.bus import publish
from yunying_shared.db import Database
from yunying_shared.events import make_event
from yunying_shared.events.catalogue import AUDIT_RECORDED
from yunying_shared.events.payloads.gateway import AuditRecorded

EVENT_SOURCE = "/yunying/gateway"

Outcome = Literal["success", "failure"]
Detail = dict[str, str | int | bool | None]

# Every action the gateway records; the API's `action` filter accepts exactly these.
ActionName = Literal[
    "auth.login",
    "auth.password_changed",
    "workspace.created",
    "member.added",
    "member.role_changed",
    "member.removed",
    "member.sessions_revoked",
    "api_key.created",
    "api_key.revoked",
    "login_throttle.cleared",
    "session.revoked",
    "rate_limit.set",
    "rate_limit.cleared",
    # A workspace setting kept by a service, changed through the gateway (audit/proxied.py).
    "setting.changed",
]
ACTIONS: tuple[str, ...] = get_args(ActionName)


@dataclass(frozen=True)
class Actor:
    """Who acted, and from where: built once per request by the router."""

    user_id: uuid.UUID | None
    email: str | None = None
    address: str | None = None
    correlation_id: str | None = None


@dataclass(frozen=True)
class Action:
    name: ActionName
    workspace_id: uuid.UUID | None = None
    target_type: str | None = None
    target_id: str | None = None
    outcome: Outcome = "success"
    detail: Detail = field(default_factory=dict)


async def record(session: AsyncSession, actor: Actor, action: Action) -> AuditEntry:
    if action.name not in ACTIONS:
        raise ValueError(f"unknown audit action {action.name!r}")
    email = actor.email
    if email is None and actor.user_id is not None:
        # So that `actor=<email>` finds the entries of a person who acted by token.
        email = await session.scalar(select(User.email).where(User.id == actor.user_id))
    entry = AuditEntry(
        id=uuid.uuid4(),
        occurred_at=utcnow(),
        workspace_id=action.workspace_id,
        actor_id=actor.user_id,
        actor_email=email,
        action=action.name,
        outcome=action.outcome,
        target_type=action.target_type,
        target_id=action.target_id,
        address=actor.address,
        correlation_id=actor.correlation_id,
        detail=dict(action.detail),
    )
    session.add(entry)
    await session.flush()
    payload = AuditRecorded(
        entry_id=entry.id,
        occurred_at=entry.occurred_at,
        workspace_id=entry.workspace_id,
        actor_id=entry.actor_id,
        actor_email=entry.actor_email,
        action=entry.action,
        outcome=entry.outcome,
        target_type=entry.target_type,
        target_id=entry.target_id,
        address=entry.address,
        detail=entry.detail,
    )
    await publish(
        session,
        BUS,
        make_event(
            AUDIT_RECORDED,
            payload,
            source=EVENT_SOURCE,
            workspace=entry.workspace_id,
            correlationid=actor.correlation_id,
        ),
    )
    return entry


async def record_apart(database: Database, actor: Actor, action: Action) -> None:
    """In a transaction of its own, committed at once (the caller's was rolled back)."""
    async with database.session() as session:
        await record(session, actor, action)
        await session.commit()
