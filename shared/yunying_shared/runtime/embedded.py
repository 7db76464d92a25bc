"""The embedded mode: every service in one process behind the gateway, on one port.

Services are found through the `yunying.services` entry points (each registers its app factory),
so this module names no service but the gateway, whose factory also takes the in-process
upstreams. They share one LocalTransport; each keeps its own SQLite database.
"""

from __future__ import annotations

from contextlib import AsyncExitStack
from importlib.metadata import entry_points
from pathlib import Path
from typing import Any

import httpx
from starlette.types import Receive, Scope, Send

from yunying_shared.bus.local import LocalTransport

GATEWAY = "gateway"


def discover() -> dict[str, Any]:
    return {ep.name: ep.load() for ep in entry_points(group="yunying.services")}


class EmbeddedApp:
    """ASGI app: HTTP goes to the gateway; the lifespan starts the bus and every service."""

    def __init__(self, state_dir: Path, *, partitions: int = 4) -> None:
        factories = discover()
        if GATEWAY not in factories:
            raise RuntimeError("the gateway service is not installed (entry point missing)")
        self.transport = LocalTransport(state_dir / "bus.sqlite3", partitions=partitions)
        self.services = {
            name: factory(transport=self.transport)
            for name, factory in sorted(factories.items())
            if name != GATEWAY
        }
        # Without raise_app_exceptions=False an upstream's error would reach callers as a bare 500
        # instead of the upstream's own problem+json response.
        upstreams = {
            name: httpx.ASGITransport(app=app, raise_app_exceptions=False)
            for name, app in self.services.items()
        }
        self.gateway = factories[GATEWAY](transport=self.transport, upstreams=upstreams)
        self._stack = AsyncExitStack()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await self._lifespan(receive, send)
        else:
            await self.gateway(scope, receive, send)

    async def startup(self) -> None:
        await self.transport.start()
        self._stack.push_async_callback(self.transport.stop)
        for app in [*self.services.values(), self.gateway]:
            await self._stack.enter_async_context(app.router.lifespan_context(app))

    async def shutdown(self) -> None:
        await self._stack.aclose()

    async def _lifespan(self, receive: Receive, send: Send) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                try:
                    await self.startup()
                except Exception as exc:
                    await send({"type": "lifespan.startup.failed", "message": repr(exc)})
                    raise
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await self.shutdown()
                await send({"type": "lifespan.shutdown.complete"})
                return
