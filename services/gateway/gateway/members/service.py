from __future__ import annotations

import uuid

from argon2 import PasswordHasher
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from gateway.identity import service as identity
from gateway.identity.models import User
from gateway.members.schemas import MemberOut
from gateway.workspaces.models import Membership
from yunying_shared.auth import Role
from yunying_shared.errors import Conflict, InvalidInput, NotFound
from yunying_shared.http.pagination import Page, PageRequest, keyset_rows


def _out(user: User, membership: Membership) -> MemberOut:
    return MemberOut(
        user_id=user.id,
        email=user.email,
        role=Role(membership.role),
        joined_at=membership.created_at,
    )


async def add_member(
    session: AsyncSession,
    *,
    workspace_id: uuid.UUID,
    email: str,
    password: str | None,
    role: Role,
    hasher: PasswordHasher,
) -> MemberOut:
    """Adds an existing user, or creates the user first when a password is given."""
    user = await identity.find_user_by_email(session, email=email)
    if user is None:
        if password is None:
            raise InvalidInput(
                "No user has this email: give a password to create one.",
                errors=[
                    {
                        "field": "body.password",
                        "message": "required for a new user",
                        "type": "missing",
                    }
                ],
            )
        user = await identity.create_user(session, email=email, password=password, hasher=hasher)
    elif await session.get(Membership, (workspace_id, user.id)) is not None:
        raise Conflict(f"{user.email} is already a member of this workspace.")
    membership = Membership(workspace_id=workspace_id, user_id=user.id, role=role.value)
    session.add(membership)
    await session.flush()
    return _out(user, membership)


async def list_members(
    session: AsyncSession,
    *,
    workspace_id: uuid.UUID,
    page: PageRequest,
    role: Role | None = None,
    email_prefix: str | None = None,
) -> Page[MemberOut]:
    """The workspace's members in the order they joined."""
    statement = (
        select(User, Membership)
        .join(Membership, Membership.user_id == User.id)
        .where(Membership.workspace_id == workspace_id)
    )
    if role is not None:
        statement = statement.where(Membership.role == role.value)
    if email_prefix:
        statement = statement.where(User.email.startswith(email_prefix.lower(), autoescape=True))
    rows = await keyset_rows(
        session,
        statement,
        page,
        keys=(Membership.created_at, Membership.user_id),
        key_of=lambda row: (row[1].created_at, row[1].user_id),
    )
    return rows.to_page(lambda row: _out(row[0], row[1]))


async def change_role(
    session: AsyncSession, *, workspace_id: uuid.UUID, user_id: uuid.UUID, role: Role
) -> MemberOut:
    user, membership = await _member(session, workspace_id=workspace_id, user_id=user_id)
    if membership.role == Role.ADMIN.value and role is not Role.ADMIN:
        await _keep_an_admin(session, workspace_id=workspace_id)
    membership.role = role.value
    await session.flush()
    return _out(user, membership)


async def remove_member(
    session: AsyncSession, *, workspace_id: uuid.UUID, user_id: uuid.UUID
) -> None:
    _, membership = await _member(session, workspace_id=workspace_id, user_id=user_id)
    if membership.role == Role.ADMIN.value:
        await _keep_an_admin(session, workspace_id=workspace_id)
    await session.delete(membership)
    await session.flush()


async def _member(
    session: AsyncSession, *, workspace_id: uuid.UUID, user_id: uuid.UUID
) -> tuple[User, Membership]:
    row = (
        await session.execute(
            select(User, Membership)
            .join(Membership, Membership.user_id == User.id)
            .where(Membership.workspace_id == workspace_id, Membership.user_id == user_id)
        )
    ).first()
    if row is None:
        raise NotFound("Member not found.")
    user, membership = row
    return user, membership


async def _keep_an_admin(session: AsyncSession, *, workspace_id: uuid.UUID) -> None:
    """Called before an admin loses the role: a workspace without admins could not be managed."""
    admins = await session.scalar(
        select(func.count())
        .select_from(Membership)
        .where(Membership.workspace_id == workspace_id, Membership.role == Role.ADMIN.value)
    )
    if (admins or 0) <= 1:
        raise Conflict("A workspace needs at least one admin: appoint another one first.")
