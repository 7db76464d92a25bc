"""Who may report exposures, clicks and shares and hand out invite codes: app backends and
senders with an API key holding `referrals:write`, and operators (admins always)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from yunying_shared.auth import Principal, Role, authorize

REPORTING_SCOPE = "referrals:write"

Reporter = Annotated[Principal, Depends(authorize(Role.OPERATOR, scopes=[REPORTING_SCOPE]))]
