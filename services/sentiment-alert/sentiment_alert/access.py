"""Who may call what, declared with the platform's `authorize` so the authorization matrix and
the API document read it: the API-key scopes this service declares, and the roles of people."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from yunying_shared.auth import Principal, Role
from yunying_shared.auth.access import ANY_ROLE, authorize

MENTIONS_WRITE = "mentions:write"
SENTIMENT_READ = "sentiment:read"

# Crawlers with an API key holding `mentions:write`, or operators and admins.
MentionsWriter = Annotated[Principal, Depends(authorize(Role.OPERATOR, scopes=[MENTIONS_WRITE]))]
# Any person of the workspace, or an API key holding `sentiment:read`.
Reader = Annotated[Principal, Depends(authorize(*ANY_ROLE, scopes=[SENTIMENT_READ]))]
# Operators and admins only (rules, crisis cases, channels); closed to API keys.
Operator = Annotated[Principal, Depends(authorize(Role.OPERATOR))]
