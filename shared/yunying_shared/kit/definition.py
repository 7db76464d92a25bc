"""`ServiceDefinition`: the one place a service declares itself.

Everything else is derived from the installed definitions (the `yunying.services` entry points):
the app (`build_app`), the gateway's route table, upstream list and readiness checks, the API
keys' scopes, the deploy files and the local process layout. Adding a service is a definition plus
its domain packages; `yunying new-service NAME` writes the rest.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Coroutine, Mapping, Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from importlib.metadata import entry_points
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from fastapi import APIRouter, FastAPI
from pydantic import BaseModel
from sqlalchemy import MetaData
from sqlalchemy.ext.asyncio import AsyncSession

from yunying_shared.bus.consumer import BatchHandler, Handler
from yunying_shared.bus.tables import BusTables
from yunying_shared.events import WORKSPACE_CREATED, Envelope
from yunying_shared.events.catalogue import EventSpec
from yunying_shared.http.middleware import Authenticator
from yunying_shared.settings import ServiceSettings
from yunying_shared.workspaces import workspace_handler

if TYPE_CHECKING:
    pass

ENTRY_POINT_GROUP = "yunying.services"

# Entered once the database and the bus are up, before the relay and the consumer start; left
# after they stopped. For what a service holds for its whole life (clients, caches, first-start
# data).
Lifespan = Callable[[FastAPI], AbstractAsyncContextManager[None]]
# A loop the service runs for its whole life (a periodic sweep); cancelled on shutdown.
BackgroundJob = Callable[[FastAPI], Coroutine[Any, Any, None]]
# A readiness probe: returns when the dependency answers, raises when it does not. It may return
# a status line instead of None ("degraded: …"); only "ok" counts as ready for a critical check.
Probe = Callable[[FastAPI], Coroutine[Any, Any, str | None]]


@dataclass(frozen=True)
class ApiScope:
    """A permission an API key can be granted, declared by the service whose routes check it."""

    name: str
    description: str


@dataclass(frozen=True)
class ReadinessCheck:
    """An extra line in `/readyz`. A check that is not `critical` is reported but leaves the
    service ready (the gateway stays in rotation while one upstream is down)."""

    name: str
    probe: Probe
    critical: bool = True


P = TypeVar("P", bound=BaseModel)


@dataclass(frozen=True)
class EventHandler:
    """What a service does with one event type of the catalogue: one event per call, or (a
    batch handler) each run of consecutive events of that type in one transaction."""

    spec: EventSpec[Any]
    one: Handler | None = None
    batch: BatchHandler | None = None
    idempotent: bool = False


def on(
    spec: EventSpec[P], handle: Callable[[AsyncSession, Envelope, P], Awaitable[None]]
) -> EventHandler:
    """Registers `handle` for `spec`; mypy checks the handler takes the spec's payload model."""
    return EventHandler(spec, one=handle)


def on_batch(
    spec: EventSpec[P],
    handle: Callable[[AsyncSession, Sequence[tuple[Envelope, P]]], Awaitable[None]],
    *,
    idempotent: bool = False,
) -> EventHandler:
    """Registers a batch handler. `idempotent`: the handler itself makes a redelivery a no-op
    (it dedupes by the events' own unique ids), so the runner writes no inbox row for them."""
    return EventHandler(spec, batch=handle, idempotent=idempotent)


@dataclass(frozen=True)
class ServiceDefinition:
    name: str
    title: str
    description: str
    metadata: MetaData
    tables: BusTables
    migrations: Path
    # The port of this service in the local distributed mode (`make up`); unique per service.
    local_port: int
    settings: type[ServiceSettings] = ServiceSettings
    routers: Sequence[APIRouter] = ()
    # Public path prefixes the gateway forwards here, besides `/v1/<name>/` (always owned).
    prefixes: Sequence[str] = ()
    handlers: Sequence[EventHandler] = ()
    background: Sequence[BackgroundJob] = ()
    lifespan: Lifespan | None = None
    readiness: Sequence[ReadinessCheck] = ()
    scopes: Sequence[ApiScope] = ()
    openapi_tags: Sequence[dict[str, Any]] = ()
    # Only the gateway authenticates callers itself; every other service trusts its token.
    authenticator: Callable[[ServiceSettings], Authenticator] | None = None
    public_paths: Sequence[str] = ()
    # ASGI middleware classes (taking only the app) run inside authentication, so they see the
    # caller's Principal in `scope["state"]`; the first listed is the outermost of them.
    middleware: Sequence[Callable[..., Any]] = ()
    # The app's API document, when it is not the service's own (the gateway merges every
    # installed service's into one).
    api_document: Callable[[FastAPI], dict[str, Any]] | None = None
    # What `build_app` puts on `app.state` before the lifespan runs (the embedded runner
    # passes the gateway its in-process upstreams this way).
    state_defaults: Mapping[str, Any] = field(default_factory=dict)

    @property
    def owned_prefixes(self) -> tuple[str, ...]:
        return (f"/v1/{self.name}/", *self.prefixes)

    @property
    def package(self) -> str:
        return self.name.replace("-", "_")

    def event_handlers(self) -> dict[str, Handler]:
        handlers = {WORKSPACE_CREATED.type: workspace_handler(self.tables)}
        handlers.update({h.spec.type: h.one for h in self.handlers if h.one is not None})
        return handlers

    def batch_handlers(self) -> dict[str, BatchHandler]:
        return {h.spec.type: h.batch for h in self.handlers if h.batch is not None}

    def idempotent_types(self) -> frozenset[str]:
        return frozenset(h.spec.type for h in self.handlers if h.idempotent)

    def consumed_topics(self) -> list[str]:
        return sorted({WORKSPACE_CREATED.topic, *(h.spec.topic for h in self.handlers)})

    def load_settings(self, **overrides: Any) -> ServiceSettings:
        return self.settings.for_service(self.name, **overrides)


def installed(*, exclude: Sequence[str] = ()) -> dict[str, ServiceDefinition]:
    """Every installed service's definition, by name (those in `exclude` are not even loaded)."""
    found: dict[str, ServiceDefinition] = {}
    for entry in entry_points(group=ENTRY_POINT_GROUP):
        if entry.name in exclude:
            continue
        definition = entry.load()
        if not isinstance(definition, ServiceDefinition):
            raise TypeError(f"entry point {entry.name} = {entry.value} is not a ServiceDefinition")
        if definition.name != entry.name:
            raise ValueError(f"entry point {entry.name} names service {definition.name}")
        found[entry.name] = definition
    return dict(sorted(found.items()))


def installed_definition(name: str) -> ServiceDefinition | None:
    for entry in entry_points(group=ENTRY_POINT_GROUP, name=name):
        definition = entry.load()
        if isinstance(definition, ServiceDefinition):
            return definition
    return None


def route_table(definitions: Mapping[str, ServiceDefinition]) -> dict[str, str]:
    """Path prefix → owning service; a prefix claimed twice is a start-up error, not a guess."""
    table: dict[str, str] = {}
    for definition in definitions.values():
        for prefix in definition.owned_prefixes:
            owner = table.setdefault(prefix, definition.name)
            if owner != definition.name:
                raise ValueError(f"{prefix} is claimed by both {owner} and {definition.name}")
    return table


def installed_scopes(definitions: Mapping[str, ServiceDefinition]) -> dict[str, str]:
    """Scope name → description, over every installed service."""
    scopes: dict[str, str] = {}
    for definition in definitions.values():
        for scope in definition.scopes:
            scopes.setdefault(scope.name, scope.description)
    return dict(sorted(scopes.items()))
