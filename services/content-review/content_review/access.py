"""Who may call what. Operators write content and pass stage 1; reviewers pass stage 2;
admins may do either (never both on one item: the workflow checks people, not roles). API
clients (a CMS) read with `content:read` and write drafts with `content:write`; only people
review."""

from typing import Annotated

from fastapi import Depends

from yunying_shared.auth import Principal, PrincipalDep, Role, require_roles, require_scopes
from yunying_shared.errors import Forbidden

READ_SCOPE = "content:read"
WRITE_SCOPE = "content:write"

_operator = require_roles(Role.OPERATOR)


def _editor(principal: PrincipalDep) -> Principal:
    if principal.kind == "api_key":
        if WRITE_SCOPE not in principal.scopes:
            raise Forbidden(f"API key lacks scopes: {WRITE_SCOPE}.")
        return principal
    return _operator(principal)


Reader = Annotated[Principal, Depends(require_scopes(READ_SCOPE))]
Editor = Annotated[Principal, Depends(_editor)]
Operator = Annotated[Principal, Depends(require_roles(Role.OPERATOR))]
Reviewer = Annotated[Principal, Depends(require_roles(Role.REVIEWER))]
# Rejecting and commenting: anyone taking part in review.
Participant = Annotated[Principal, Depends(require_roles(Role.OPERATOR, Role.REVIEWER))]
