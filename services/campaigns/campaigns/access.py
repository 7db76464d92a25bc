"""Who may call what, declared with the platform's `authorize`: operators (and admins) change
campaigns, analysts read them; API clients act through this service's scopes
(`campaigns:read`, `campaigns:write`), and POS and CRM systems redeem coupons with
`coupons:redeem`."""

from typing import Annotated

from fastapi import Depends

from yunying_shared.auth import Principal, Role, authorize, require_scopes

Writer = Annotated[Principal, Depends(authorize(Role.OPERATOR, scopes=["campaigns:write"]))]
Reader = Annotated[
    Principal, Depends(authorize(Role.OPERATOR, Role.ANALYST, scopes=["campaigns:read"]))
]
Redeemer = Annotated[Principal, Depends(require_scopes("coupons:redeem"))]
