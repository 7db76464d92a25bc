"""Who may call what, generated from the route table: every route of every installed service
declares its access once (`authorize(...)`), and is called as anonymous, as each role and as an
API key with each single scope. Forbidden callers get 401/403 before anything runs; allowed
callers never do. A route without a declaration fails here."""

from __future__ import annotations

import uuid

import pytest
from fastapi.routing import APIRoute

from yunying_shared.auth import Principal, access_of
from yunying_shared.auth.principal import Role
from yunying_shared.kit import build_app, installed, installed_scopes
from yunying_shared.kit.app import api_routes
from yunying_shared.testing.apps import internal_headers, running

DEFINITIONS = installed(exclude=["gateway"])
SCOPES = sorted(installed_scopes(DEFINITIONS))
WORKSPACE = uuid.uuid4()


def _callers() -> list[tuple[str, Principal | None]]:
    people = [
        (
            f"role:{role}",
            Principal(
                subject="u-1", kind="user", workspace_id=WORKSPACE, roles=frozenset({str(role)})
            ),
        )
        for role in Role
    ]
    keys = [
        (
            f"key:{scope}",
            Principal(
                subject="k-1", kind="api_key", workspace_id=WORKSPACE, scopes=frozenset({scope})
            ),
        )
        for scope in SCOPES
    ]
    return [("anonymous", None), *people, *keys]


def _path(route: APIRoute) -> str:
    path = route.path
    for param in route.dependant.path_params:
        value = str(uuid.uuid4()) if "UUID" in str(param.field_info.annotation) else "x"
        path = path.replace("{" + param.name + "}", value)
    return path


@pytest.mark.parametrize("service", sorted(DEFINITIONS))
async def test_every_route_declares_its_access_and_enforces_it(
    service, settings_for, local_transport
):
    app = build_app(DEFINITIONS[service], settings_for(service), transport=local_transport)
    wrong: list[str] = []
    async with running(app) as client:
        for route in api_routes(DEFINITIONS[service]):
            access = access_of(route)
            if access is None:
                wrong.append(f"{sorted(route.methods)} {route.path}: no authorize(...) declared")
                continue
            for method in sorted(route.methods - {"HEAD"}):
                for name, principal in _callers():
                    headers = {} if principal is None else internal_headers(app, principal)
                    response = await client.request(
                        method,
                        _path(route),
                        headers=headers,
                        json={} if method in {"POST", "PUT", "PATCH"} else None,
                    )
                    allowed = principal is not None and access.allows(principal)
                    expected = "allowed" if allowed else ("401" if principal is None else "403")
                    got = response.status_code
                    if (allowed and got in (401, 403)) or (not allowed and got not in (401, 403)):
                        wrong.append(f"{method} {route.path} as {name}: {got}, expected {expected}")
                    elif allowed and got >= 500:
                        wrong.append(
                            f"{method} {route.path} as {name}: {got} {response.text[:200]}"
                        )
    assert not wrong, "\n".join(wrong)


def test_a_crm_key_cannot_read_profiles_and_read_scopes_work():
    routes = {
        (method, r.path): access_of(r)
        for r in api_routes(DEFINITIONS["segmentation"])
        for method in r.methods
    }
    crm = Principal(subject="k", kind="api_key", scopes=frozenset({"events:write"}))
    reader = Principal(subject="k", kind="api_key", scopes=frozenset({"segments:read"}))
    assert routes[("POST", "/v1/events")].allows(crm)
    assert not routes[("GET", "/v1/users/{user_id}")].allows(crm)
    assert routes[("GET", "/v1/segments")].allows(reader)
