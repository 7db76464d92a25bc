from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import Depends, Request

from gateway.config import GatewaySettings
from yunying_shared.auth import Principal, PrincipalDep
from yunying_shared.errors import Forbidden


def _user(principal: PrincipalDep) -> Principal:
    if principal.kind != "user":
        raise Forbidden("Only users can do this; API keys reach the services' own endpoints.")
    return principal


UserDep = Annotated[Principal, Depends(_user)]


def user_id_of(principal: Principal) -> UUID:
    return UUID(principal.subject)


def _settings(request: Request) -> GatewaySettings:
    settings: GatewaySettings = request.app.state.settings
    return settings


SettingsDep = Annotated[GatewaySettings, Depends(_settings)]


def _correlation_id(request: Request) -> str | None:
    return getattr(request.state, "correlation_id", None)


CorrelationIdDep = Annotated[str | None, Depends(_correlation_id)]
