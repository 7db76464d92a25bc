"""The cost of routing on the raw path (`PathGuardMiddleware`): one request's pass through the
step, in-process, against a bare ASGI app that answers at once, for a path without `%` (the hot
path: a byte scan and a context variable set and reset) and one with encoded characters (the
path rewritten). Compared with the same app without the step. Prints µs per request and writes
bench/results/path_guard.json with the load average, since the machine is shared.

Env: BENCH_REQUESTS (200000).
"""

from __future__ import annotations

import asyncio
import json
import os
import time
from pathlib import Path
from typing import Any

from yunying_shared.http.edge import PathGuardMiddleware

REPO = Path(__file__).resolve().parents[1]
RESULTS = REPO / "bench" / "results" / "path_guard.json"
REQUESTS = int(os.environ.get("BENCH_REQUESTS", "200000"))


async def _answer(scope: Any, receive: Any, send: Any) -> None:
    return None


async def _noop(message: Any = None) -> Any:
    return None


async def _per_request_us(app: Any, raw_path: bytes) -> float:
    path = raw_path.decode()
    started = time.perf_counter()
    for _ in range(REQUESTS):
        scope = {"type": "http", "path": path, "raw_path": raw_path, "app": None}
        await app(scope, _noop, _noop)
    return (time.perf_counter() - started) / REQUESTS * 1e6


async def main() -> None:
    load_before = os.getloadavg()
    guarded = PathGuardMiddleware(_answer)
    figures = {}
    for name, raw in {
        "plain": b"/v1/users/u-1000/tags",
        "encoded": b"/v1/users/%E7%94%A8%E6%88%B7%2F1/tags",
    }.items():
        bare = await _per_request_us(_answer, raw)
        step = await _per_request_us(guarded, raw)
        figures[name] = {
            "bare_us": round(bare, 3),
            "with_step_us": round(step, 3),
            "step_cost_us": round(step - bare, 3),
        }
    result = {
        "requests": REQUESTS,
        **figures,
        "loadavg_before_and_after": [load_before, os.getloadavg()],
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    asyncio.run(main())
