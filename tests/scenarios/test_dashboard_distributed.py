"""The operations dashboard in the distributed mode, with real processes: one service is
stopped and another frozen (SIGSTOP: its port accepts connections, nothing answers). The
dashboard answers at once with every other section, marking the stopped one `unavailable`
and the frozen one `timeout`; the complete answer from before is still served from the cache
until its TTL passes."""

import asyncio
import uuid

import httpx
import pytest

pytestmark = [pytest.mark.kafka, pytest.mark.postgres, pytest.mark.slow]

ADMIN = {"email": "ops@brand.example", "password": "distributed horse battery staple"}
SECTIONS = ("awareness", "conversion", "retention", "fission", "lifecycle", "crises")
NOVEMBER = {"from": "2026-11-01", "to": "2026-11-30"}
OCTOBER = {"from": "2026-10-01", "to": "2026-10-31"}
PROPAGATION_TIMEOUT = 120.0


async def _workspace(client: httpx.AsyncClient) -> dict[str, str]:
    login = await client.post("/v1/auth/login", json=ADMIN)
    assert login.status_code == 200, login.text
    auth = {"authorization": f"Bearer {login.json()['access_token']}"}
    slug = f"board-{uuid.uuid4().hex[:8]}"
    created = await client.post("/v1/workspaces", headers=auth, json={"name": "看板", "slug": slug})
    assert created.status_code == 201, created.text
    workspace_id = created.json()["id"]
    deadline = asyncio.get_running_loop().time() + PROPAGATION_TIMEOUT
    while asyncio.get_running_loop().time() < deadline:
        body = (await client.get(f"/v1/workspaces/{workspace_id}/propagation", headers=auth)).json()
        if body["complete"]:
            break
        await asyncio.sleep(0.25)
    return {**auth, "x-workspace-id": workspace_id}


async def test_a_stopped_and_a_frozen_service_leave_a_partial_dashboard(distributed_mode):
    settings = {
        "YUNYING_GATEWAY_DASHBOARD_UPSTREAM_TIMEOUT_SECONDS": "2",
        # Long enough to outlast the test on a loaded machine: the cache is checked below.
        "YUNYING_GATEWAY_DASHBOARD_CACHE_SECONDS": "600",
    }
    async with (
        distributed_mode(admin=ADMIN, extra_env=settings) as mode,
        httpx.AsyncClient(base_url=mode.gateway_url, timeout=60) as client,
    ):
        headers = await _workspace(client)
        whole = await client.get("/v1/dashboard", headers=headers, params=NOVEMBER)
        assert whole.status_code == 200, whole.text
        board = whole.json()
        assert board["complete"] is True, (board, mode.log_tails())
        assert board["review_queue"]["data"]["waiting"] == 0
        assert board["crises"]["data"]["open"] == 0

        await mode.stop("content-review")
        mode.pause("sentiment-alert")

        partial = await client.get("/v1/dashboard", headers=headers, params=OCTOBER)
        assert partial.status_code == 200, partial.text
        body = partial.json()
        assert body["complete"] is False and body["cached"] is False
        assert body["review_queue"]["status"] == "unavailable"
        assert body["review_queue"]["source"] == "content-review"
        assert body["review_queue"]["data"] is None
        assert "unreachable" in body["review_queue"]["detail"]
        assert body["crises"]["status"] == "timeout"
        assert body["crises"]["data"] is None
        assert body["crises"]["detail"] == "no answer within 2 s"
        for name in ("awareness", "conversion", "retention", "fission", "lifecycle"):
            assert body[name]["status"] == "ok", (name, body[name])
        assert body["awareness"]["data"]["reach"] == 0
        assert body["retention"]["data"]["active_users"] == 0

        # A partial answer is not cached: asked again, the frozen service times out again.
        again = (await client.get("/v1/dashboard", headers=headers, params=OCTOBER)).json()
        assert again["cached"] is False and again["crises"]["status"] == "timeout"
        # The complete answer from before the outage is served from the cache meanwhile.
        cached = (await client.get("/v1/dashboard", headers=headers, params=NOVEMBER)).json()
        assert cached["cached"] is True and cached["complete"] is True
        assert cached["computed_at"] == board["computed_at"]

        # The rest of the API is unaffected by the two services' trouble.
        assert (await client.get("/v1/me", headers=headers)).status_code == 200
        segments = await client.get("/v1/segments", headers=headers)
        assert segments.status_code == 200, segments.text

        # The frozen service comes back: its section is ok again at the next request.
        mode.resume_all()
        recovered = (await client.get("/v1/dashboard", headers=headers, params=OCTOBER)).json()
        assert recovered["crises"]["status"] == "ok", recovered["crises"]
        assert recovered["review_queue"]["status"] == "unavailable"
