"""First start: an admin (and a demo workspace) so a fresh install can be logged into at once."""

from __future__ import annotations

from fastapi import FastAPI
from sqlalchemy import exists, select
from sqlalchemy.exc import IntegrityError

from gateway.config import GatewaySettings
from gateway.identity.models import User
from gateway.identity.password_policy import password_problem
from gateway.identity.passwords import hasher_for
from gateway.identity.service import create_user
from gateway.identity.tokens import new_secret
from gateway.workspaces.service import create_workspace
from yunying_shared.db import Database
from yunying_shared.errors import Conflict
from yunying_shared.logging import get_logger

log = get_logger(__name__)

DEMO_NAME, DEMO_SLUG = "Demo", "demo"


async def bootstrap(app: FastAPI) -> None:
    """Runs at every start; does something only while the gateway has no user at all."""
    settings: GatewaySettings = app.state.settings
    database: Database = app.state.database
    chosen = settings.admin_password.get_secret_value() if settings.admin_password else None
    password = chosen or generated_admin_password()
    async with database.session() as session:
        if await session.scalar(select(exists().where(User.id.is_not(None)))):
            return
        try:
            admin = await create_user(
                session,
                email=settings.admin_email,
                password=password,
                hasher=hasher_for(settings),
                is_superuser=True,
            )
            weakness = password_problem(password)
            if weakness:
                # Chosen by the operator (a generated one always passes): kept, but flagged.
                log.warning("YUNYING_ADMIN_PASSWORD is weak", problem=weakness)
            if settings.demo_workspace:
                await create_workspace(session, creator_id=admin.id, name=DEMO_NAME, slug=DEMO_SLUG)
            await session.commit()
        except (IntegrityError, Conflict):
            # Another replica starting at the same moment bootstrapped first.
            await session.rollback()
            log.info("bootstrap skipped: done by another instance")
            return
    print(_instructions(settings, admin.email, None if chosen else password), flush=True)


def generated_admin_password() -> str:
    """A random password that meets the policy (the estimate may, rarely, dislike one)."""
    while True:
        candidate = new_secret(18)
        if password_problem(candidate) is None:
            return candidate


def _instructions(settings: GatewaySettings, email: str, generated_password: str | None) -> str:
    url = settings.public_url.rstrip("/")
    password = (
        f"{generated_password}   (generated: note it now, it is not shown again; set "
        "YUNYING_ADMIN_PASSWORD to choose one)"
        if generated_password
        else "the value of YUNYING_ADMIN_PASSWORD"
    )
    demo = f"\n  Workspace: {DEMO_NAME} (slug {DEMO_SLUG!r})" if settings.demo_workspace else ""
    return (
        f"\nYunying: created the first admin.\n"
        f"  API docs:  {url}/docs\n"
        f"  Email:     {email}\n"
        f"  Password:  {password}{demo}\n"
        f"  Log in:    curl -s {url}/v1/auth/login -H 'Content-Type: application/json' "
        f'-d \'{{"email": "{email}", "password": "…"}}\'\n'
        f"  Then send `Authorization: Bearer <access_token>` with every request.\n"
    )
