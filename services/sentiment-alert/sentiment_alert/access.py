"""Who may call what: the API-key scopes this service declares, and the roles of users."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from yunying_shared.auth import Principal, PrincipalDep, Role
from yunying_shared.errors import Forbidden

MENTIONS_WRITE = "mentions:write"
SENTIMENT_READ = "sentiment:read"
WRITER_ROLES = frozenset({Role.OPERATOR.value, Role.ADMIN.value})


def _user_may_write(principal: Principal) -> bool:
    return bool(principal.roles & WRITER_ROLES) or principal.is_superuser


def _mentions_writer(principal: PrincipalDep) -> Principal:
    """Crawlers with an API key holding `mentions:write`, or operators and admins."""
    if principal.kind == "api_key":
        if MENTIONS_WRITE not in principal.scopes:
            raise Forbidden(f"API key lacks scopes: {MENTIONS_WRITE}.")
    elif not _user_may_write(principal):
        raise Forbidden("Requires one of the roles: admin, operator.")
    return principal


def _reader(principal: PrincipalDep) -> Principal:
    """Any user of the workspace, or an API key holding `sentiment:read`."""
    if principal.kind == "api_key" and SENTIMENT_READ not in principal.scopes:
        raise Forbidden(f"API key lacks scopes: {SENTIMENT_READ}.")
    return principal


def _operator(principal: PrincipalDep) -> Principal:
    """Operators and admins (users only): rules, crisis cases, channels."""
    if principal.kind != "user" or not _user_may_write(principal):
        raise Forbidden("Requires one of the roles: admin, operator.")
    return principal


MentionsWriter = Annotated[Principal, Depends(_mentions_writer)]
Reader = Annotated[Principal, Depends(_reader)]
Operator = Annotated[Principal, Depends(_operator)]
