from yunying_shared.auth.access import (
    Access,
    access_of,
    authorize,
    require_roles,
    require_scopes,
)
from yunying_shared.auth.principal import (
    INTERNAL_TOKEN_HEADER,
    Principal,
    PrincipalDep,
    Role,
    WorkspaceDep,
)
from yunying_shared.auth.tokens import issue_internal_token, read_internal_token

__all__ = [
    "INTERNAL_TOKEN_HEADER",
    "Access",
    "Principal",
    "PrincipalDep",
    "Role",
    "WorkspaceDep",
    "access_of",
    "authorize",
    "issue_internal_token",
    "read_internal_token",
    "require_roles",
    "require_scopes",
]
