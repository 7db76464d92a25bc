"""Who may call what, declared once per route with the platform's `authorize`. Operators
write content and pass stage 1; reviewers pass stage 2; admins may do either (never both on
one item: the workflow checks people, not roles). API clients (a CMS) read with
`content:read` and write drafts with `content:write`; only people review."""

from typing import Annotated

from fastapi import Depends

from yunying_shared.auth import Principal, Role, authorize

READ_SCOPE = "content:read"
WRITE_SCOPE = "content:write"

Reader = Annotated[Principal, Depends(authorize(*Role, scopes=[READ_SCOPE]))]
Editor = Annotated[Principal, Depends(authorize(Role.OPERATOR, scopes=[WRITE_SCOPE]))]
Operator = Annotated[Principal, Depends(authorize(Role.OPERATOR))]
Reviewer = Annotated[Principal, Depends(authorize(Role.REVIEWER))]
# Rejecting and commenting: anyone taking part in review.
Participant = Annotated[Principal, Depends(authorize(Role.OPERATOR, Role.REVIEWER))]
