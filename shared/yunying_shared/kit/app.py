"""Turns a service's definition into its FastAPI app: database, migrations, bus, middleware.

Every service (the gateway too) is built here, so they share one lifecycle: migrate, start the
transport, enter the service's own lifespan, start the relay, consumer and jobs; on shutdown
stop them in reverse order, each step bounded so a stop never hangs.
"""

from __future__ import annotations

import asyncio
import gc
from collections.abc import AsyncIterator, Awaitable, Mapping
from contextlib import AsyncExitStack, asynccontextmanager
from functools import cache, partial
from typing import Any

from fastapi import APIRouter, Depends, FastAPI
from fastapi.routing import APIRoute
from starlette.middleware.cors import CORSMiddleware

from yunying_shared import logging
from yunying_shared.auth.access import access_of, refuse_undeclared_for_api_keys
from yunying_shared.bus.consumer import ConsumerRunner
from yunying_shared.bus.factory import transport_from_settings
from yunying_shared.bus.relay import Relay
from yunying_shared.bus.transport import Transport
from yunying_shared.db.engine import Database
from yunying_shared.db.migrate import upgrade
from yunying_shared.errors import install_error_handlers
from yunying_shared.http.docs import install_docs
from yunying_shared.http.edge import (
    PathGuardMiddleware,
    SecurityHeadersMiddleware,
    cors_options,
)
from yunying_shared.http.examples import restore_examples
from yunying_shared.http.health import router as health_router
from yunying_shared.http.middleware import (
    AuthenticationMiddleware,
    BodyLimitMiddleware,
    RequestContextMiddleware,
    internal_token_authenticator,
)
from yunying_shared.http.openapi import normalise, operation_id
from yunying_shared.http.strict_json import StrictJsonMiddleware
from yunying_shared.kit.definition import ServiceDefinition
from yunying_shared.settings import ServiceSettings
from yunying_shared.workspaces import workspace_router

SHUTDOWN_GRACE_SECONDS = 15.0
API_VERSION = "0.1.0"


async def _bounded(what: str, step: Awaitable[Any]) -> None:
    """One shutdown step, abandoned after the grace period: a stop must never hang forever."""
    try:
        await asyncio.wait_for(step, SHUTDOWN_GRACE_SECONDS)
    except TimeoutError:
        logging.get_logger(__name__).warning("shutdown step timed out", step=what)


# Allocations between two young-generation collections once a service has started (CPython's
# default is 700). A consumer batch or bulk request of ~1,000 events allocates hundreds of
# thousands of short-lived objects, nearly all freed by reference counting: at 700 each batch
# ran dozens of young and several middle collections, which found next to nothing (~7 µs of
# CPU per ingested event in bench_ingest_steps, session 9). At 10,000 the young objects wait
# for at most ~1-2 MB more before a collection; the older generations keep their thresholds.
YOUNG_GENERATION_THRESHOLD = 10_000


@cache
def _freeze_startup_objects() -> None:
    """What starting a service built (modules, the app, routes, models, settings) lives as long
    as the process: moved out of the cyclic collector's reach, a full collection no longer
    walks it (~100 ms each, every few seconds under a busy ingest). Once per process: a process
    that starts apps again and again (tests) would otherwise keep each start's garbage. Then
    the young generation is widened (YOUNG_GENERATION_THRESHOLD)."""
    gc.collect()
    gc.freeze()
    _, middle, old = gc.get_threshold()
    gc.set_threshold(YOUNG_GENERATION_THRESHOLD, middle, old)


def build_app(
    definition: ServiceDefinition,
    settings: ServiceSettings | None = None,
    *,
    transport: Transport | None = None,
    state: Mapping[str, Any] | None = None,
) -> FastAPI:
    """The service's ASGI app; each service's `main.create_app` (its uvicorn factory) is this
    with the service's definition bound. Without `settings`, the definition's from the
    environment."""
    settings = settings or definition.load_settings()
    owns_transport = transport is None
    bus = transport or transport_from_settings(settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        logging.configure(level=settings.log_level, json=settings.json_logs)
        database = Database(
            settings.resolved_database_url,
            pool_size=settings.database_pool_size,
            background_pool_size=settings.database_background_pool_size,
        )
        await upgrade(database, definition.migrations)
        if owns_transport:
            await bus.start()
        relay = Relay(
            service=definition.name,
            database=database,
            tables=definition.tables,
            transport=bus,
            batch_size=settings.relay_batch_size,
            idle_seconds=settings.relay_idle_seconds,
        )
        consumer = ConsumerRunner(
            service=definition.name,
            database=database,
            tables=definition.tables,
            transport=bus,
            handlers=definition.event_handlers(),
            batch_handlers=definition.batch_handlers(),
            idempotent_types=definition.idempotent_types(),
            topics=definition.consumed_topics(),
            group=f"{settings.consumer_group_prefix}.{definition.name}",
            max_attempts=settings.consumer_max_attempts,
            backoff_seconds=settings.consumer_backoff_seconds,
            backoff_max_seconds=settings.consumer_backoff_max_seconds,
            fetch_max_records=settings.consumer_fetch_max_records,
            transaction_max_events=settings.consumer_transaction_max_events,
            lanes=settings.consumer_lanes,
        )
        app.state.database = database
        app.state.relay = relay
        app.state.consumer = consumer
        async with AsyncExitStack() as own:
            if definition.lifespan is not None:
                await own.enter_async_context(definition.lifespan(app))
            await relay.start()
            await consumer.start()
            jobs: list[asyncio.Task[None]] = [
                asyncio.create_task(job(app), name=f"{definition.name}-{job.__name__}")
                for job in definition.background
            ]
            _freeze_startup_objects()
            logging.get_logger(__name__).info(
                "service started",
                service=definition.name,
                database=database.dialect,
                bus=settings.bus.value,
            )
            try:
                yield
            finally:
                for task in jobs:
                    task.cancel()
                await _bounded("background jobs", asyncio.gather(*jobs, return_exceptions=True))
                await _bounded("consumer", consumer.stop())
                await _bounded("relay", relay.stop())
                await _bounded("service lifespan", own.aclose())
                if owns_transport:
                    await _bounded("transport", bus.stop())
                await _bounded("database", database.dispose())

    app = _fastapi(
        definition,
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
        dependencies=[Depends(refuse_undeclared_for_api_keys)],
    )
    install_docs(app)
    app.state.settings = settings
    app.state.transport = bus
    app.state.definition = definition
    # Extended by a lifespan with checks it learns at start (the gateway's upstreams).
    app.state.readiness = list(definition.readiness)
    for name, value in {**definition.state_defaults, **(state or {})}.items():
        setattr(app.state, name, value)
    install_error_handlers(app)
    app.include_router(health_router)
    _include_routes(app, definition)
    document = definition.api_document or (lambda _app: service_document(definition))
    app.openapi = cache(partial(document, app))  # type: ignore[method-assign]
    for middleware in reversed(definition.middleware):  # added first = innermost
        app.add_middleware(middleware)
    make_authenticator = definition.authenticator or (
        lambda s: internal_token_authenticator(s.internal_token_secret.get_secret_value())
    )
    app.add_middleware(
        AuthenticationMiddleware,
        authenticate=make_authenticator(settings),
        public_paths=definition.public_paths,
    )
    app.add_middleware(StrictJsonMiddleware)  # inside the body limit: reads bounded bodies
    app.add_middleware(BodyLimitMiddleware, max_bytes=settings.max_body_bytes)
    app.add_middleware(RequestContextMiddleware, service=definition.name)
    app.add_middleware(PathGuardMiddleware)
    app.add_middleware(SecurityHeadersMiddleware)
    if settings.cors_origins:  # outermost: preflights are answered before authentication
        app.add_middleware(CORSMiddleware, **cors_options(settings.cors_origins))
    return app


def _fastapi(definition: ServiceDefinition, **options: Any) -> FastAPI:
    return FastAPI(
        title=definition.title,
        description=definition.description,
        version=API_VERSION,
        openapi_tags=list(definition.openapi_tags) or None,
        generate_unique_id_function=operation_id,
        **options,
    )


def _routers(definition: ServiceDefinition) -> list[APIRouter]:
    return [workspace_router(definition.name, definition.tables), *definition.routers]


def _include_routes(app: FastAPI, definition: ServiceDefinition) -> None:
    for router in _routers(definition):
        app.include_router(router)


def api_routes(definition: ServiceDefinition) -> list[APIRoute]:
    """Every route the service serves under its routers, as declared."""
    return [r for router in _routers(definition) for r in router.routes if isinstance(r, APIRoute)]


def service_document(definition: ServiceDefinition) -> dict[str, Any]:
    """The service's API document, built from its routers alone (nothing is started), so the
    gateway can merge every installed service's into one."""
    app = _fastapi(definition)
    _include_routes(app, definition)
    access = {
        (route.path, method.lower()): found
        for route in api_routes(definition)
        if (found := access_of(route)) is not None
        for method in route.methods or ()
    }
    document = restore_examples(app.openapi(), app.routes)
    return normalise(document, public_paths=definition.public_paths, access=access)
