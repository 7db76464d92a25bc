"""The embedded mode: every service in one process behind the gateway, on one port.

Services are found through the `yunying.services` entry points (each registers its definition),
so this module names no service but the gateway, which it hands the in-process upstreams. They
share one LocalTransport; each keeps its own SQLite database.
"""

from __future__ import annotations

from contextlib import AsyncExitStack
from pathlib import Path

import httpx
from starlette.types import Receive, Scope, Send

from yunying_shared.bus.local import LocalTransport
from yunying_shared.kit import build_app, installed

GATEWAY = "gateway"


class EmbeddedApp:
    """ASGI app: HTTP goes to the gateway; the lifespan starts the bus and every service."""

    def __init__(self, state_dir: Path, *, partitions: int = 4) -> None:
        definitions = installed()
        if GATEWAY not in definitions:
            raise RuntimeError("the gateway service is not installed (entry point missing)")
        self.transport = LocalTransport(state_dir / "bus.sqlite3", partitions=partitions)
        self.services = {
            name: build_app(definition, transport=self.transport)
            for name, definition in definitions.items()
            if name != GATEWAY
        }
        # Without raise_app_exceptions=False an upstream's error would reach callers as a bare 500
        # instead of the upstream's own problem+json response.
        upstreams = {
            name: httpx.ASGITransport(app=app, raise_app_exceptions=False)
            for name, app in self.services.items()
        }
        self.gateway = build_app(
            definitions[GATEWAY], transport=self.transport, state={"upstream_transports": upstreams}
        )
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
