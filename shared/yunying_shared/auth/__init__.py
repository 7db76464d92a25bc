from yunying_shared.auth.principal import (
    INTERNAL_TOKEN_HEADER,
    Principal,
    PrincipalDep,
    Role,
    WorkspaceDep,
    require_roles,
    require_scopes,
)
from yunying_shared.auth.tokens import issue_internal_token, read_internal_token

__all__ = [
    "INTERNAL_TOKEN_HEADER",
    "Principal",
    "PrincipalDep",
    "Role",
    "WorkspaceDep",
    "issue_internal_token",
    "read_internal_token",
    "require_roles",
    "require_scopes",
]
