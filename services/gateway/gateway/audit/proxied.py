"""Auditing the workspace settings the services keep (RFM and lifecycle rules, tagging rules,
sending rules, word lists, monitoring rules, FAQ settings, notification channels…).

Those changes are made in the services, which have no audit log of their own; the gateway sees
every one of them on its way through. A service marks such an operation (`openapi_extra=AUDITED`
on its route, which also shows in the API document), and the gateway records a `setting.changed`
entry once the service has answered it with a 2xx: who, in which workspace, which operation and
path. The request body is not kept (it may hold webhook secrets).

The entry is written after the service committed, in the gateway's own database: a gateway that
dies between the two loses the entry, never records a change that did not happen.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from starlette.requests import Request

from gateway.audit.record import Action, Actor, record
from yunying_shared.auth import Principal
from yunying_shared.db import Database
from yunying_shared.http.openapi import AUDITED_EXTENSION
from yunying_shared.kit import ServiceDefinition
from yunying_shared.kit.app import api_routes

WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
_PARAMETER = re.compile(r"\{[^}/]+\}")


@dataclass(frozen=True)
class AuditedOperation:
    service: str
    method: str
    template: str  # e.g. "/v1/tags/rules/{rule_id}"
    pattern: re.Pattern[str]

    @property
    def name(self) -> str:
        return f"{self.method} {self.template}"


class AuditedWrites:
    """The operations the services' documents mark as audited, found by method and path."""

    def __init__(self, operations: Iterable[AuditedOperation]) -> None:
        self._by_method: dict[str, list[AuditedOperation]] = {}
        for operation in operations:
            self._by_method.setdefault(operation.method, []).append(operation)

    @classmethod
    def from_definitions(cls, definitions: Mapping[str, ServiceDefinition]) -> AuditedWrites:
        return cls(
            _operation(name, method, route.path)
            for name, definition in definitions.items()
            for route in api_routes(definition)
            if (route.openapi_extra or {}).get(AUDITED_EXTENSION)
            for method in sorted(route.methods or ())
        )

    def find(self, method: str, path: str) -> AuditedOperation | None:
        for operation in self._by_method.get(method, ()):
            if operation.pattern.fullmatch(path):
                return operation
        return None

    def __len__(self) -> int:
        return sum(len(found) for found in self._by_method.values())


def _operation(service: str, method: str, template: str) -> AuditedOperation:
    literal_parts = _PARAMETER.split(template)
    pattern = "[^/]+".join(re.escape(part) for part in literal_parts)
    return AuditedOperation(service, method, template, re.compile(pattern))


async def audit_if_setting(request: Request, principal: Principal, status_code: int) -> None:
    """Records the change when this request was an audited operation the service accepted."""
    if request.method not in WRITE_METHODS or not 200 <= status_code < 300:
        return
    audited: AuditedWrites = request.app.state.audited_writes
    # As the service routed it: an id holding an encoded slash stays one segment.
    raw: bytes = request.scope.get("raw_path") or request.url.path.encode()
    path = raw.split(b"?", 1)[0].decode("latin-1")
    operation = audited.find(request.method, path)
    if operation is None:
        return
    actor = Actor(
        user_id=uuid.UUID(principal.subject) if principal.kind == "user" else None,
        address=request.client.host if request.client else None,
        correlation_id=getattr(request.state, "correlation_id", None),
    )
    detail: dict[str, str | int | bool | None] = {"path": path, "status": status_code}
    if principal.kind == "api_key":
        detail["api_key_id"] = principal.subject
    action = Action(
        "setting.changed",
        workspace_id=principal.workspace_id,
        target_type=operation.service,
        target_id=operation.name,
        detail=detail,
    )
    database: Database = request.app.state.database
    async with database.session() as session:
        await record(session, actor, action)
        await session.commit()
