"""Who may call segmentation's routes, declared once: people by role, API keys by scope."""

from typing import Annotated

from fastapi import Depends

from yunying_shared.auth import Principal, authorize
from yunying_shared.auth.principal import Role

# CRM systems send events with `events:write`; operators may post them by hand.
EventsWriter = Annotated[Principal, Depends(authorize(Role.OPERATOR, scopes=["events:write"]))]
ProfileReader = Annotated[
    Principal, Depends(authorize(Role.OPERATOR, Role.ANALYST, scopes=["profiles:read"]))
]
SegmentReader = Annotated[
    Principal, Depends(authorize(Role.OPERATOR, Role.ANALYST, scopes=["segments:read"]))
]
SegmentWriter = Annotated[Principal, Depends(authorize(Role.OPERATOR, scopes=["segments:write"]))]
# Reports and settings are read by analysts too; only people change them.
Analyst = Annotated[Principal, Depends(authorize(Role.OPERATOR, Role.ANALYST))]
Operator = Annotated[Principal, Depends(authorize(Role.OPERATOR))]
