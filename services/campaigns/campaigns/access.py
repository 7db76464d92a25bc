"""Who may call what: operators change campaigns, analysts read them; POS and CRM systems
redeem coupons with an API key holding `coupons:redeem`."""

from typing import Annotated

from fastapi import Depends

from yunying_shared.auth import Principal, Role, require_roles, require_scopes

Writer = Annotated[Principal, Depends(require_roles(Role.OPERATOR))]
Reader = Annotated[Principal, Depends(require_roles(Role.OPERATOR, Role.ANALYST))]
Redeemer = Annotated[Principal, Depends(require_scopes("coupons:redeem"))]
