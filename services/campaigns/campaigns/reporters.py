"""Who may report exposures, clicks and shares and hand out invite codes: app backends and
senders with an API key holding `referrals:write`, and operators."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from yunying_shared.auth import Principal, PrincipalDep, Role
from yunying_shared.errors import Forbidden

REPORTING_SCOPE = "referrals:write"


def _app_backend_or_operator(principal: PrincipalDep) -> Principal:
    if principal.kind == "api_key":
        if REPORTING_SCOPE not in principal.scopes:
            raise Forbidden(f"API key lacks scopes: {REPORTING_SCOPE}.")
        return principal
    if principal.is_superuser or principal.roles & {str(Role.OPERATOR), str(Role.ADMIN)}:
        return principal
    raise Forbidden("Requires one of the roles: admin, operator.")


Reporter = Annotated[Principal, Depends(_app_backend_or_operator)]
