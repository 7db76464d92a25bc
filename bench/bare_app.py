"""The floor `bench_gateway.py` compares with: a FastAPI app answering one small JSON document,
served by uvicorn exactly as the services are (one worker, same flags). What one request costs
here is what any route of any service costs before it does any work of its own."""

from __future__ import annotations

from fastapi import FastAPI


def create_app() -> FastAPI:
    app = FastAPI()

    @app.get("/v1/segmentation/workspace")
    async def workspace() -> dict[str, str]:
        return {"id": "00000000-0000-0000-0000-000000000000", "recorded_at": "2026-12-01T00:00:00Z"}

    @app.get("/readyz")
    async def ready() -> dict[str, str]:
        return {"status": "ok"}

    return app
