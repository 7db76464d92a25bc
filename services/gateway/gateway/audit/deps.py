from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from gateway.audit.record import Actor
from gateway.identity.deps import CorrelationIdDep, UserDep, user_id_of


def client_address(request: Request) -> str | None:
    return request.client.host if request.client else None


def _actor(request: Request, user: UserDep, correlation_id: CorrelationIdDep) -> Actor:
    return Actor(
        user_id=user_id_of(user),
        address=client_address(request),
        correlation_id=correlation_id,
    )


# The logged-in user acting in this request, as the audit log names them.
AuditActorDep = Annotated[Actor, Depends(_actor)]
