"""POST /v1/scan keeps a workspace's lists for a few seconds per process: a change made on
this replica applies at once, one made on another replica once the cache time passed; the
scan on submit always reads the lists."""

import asyncio

from yunying_shared.bus.local import LocalTransport
from yunying_shared.testing.databases import fresh_database

from ..conftest import service_on

CACHE_SECONDS = 0.5


async def test_another_replicas_list_change_applies_after_the_cache_time(
    tmp_path, settings_for, workspace_id
):
    transport = LocalTransport(tmp_path / "bus.sqlite3", partitions=2)
    await transport.start()
    try:
        async with (
            fresh_database("sqlite", tmp_path) as url,
            service_on(
                settings_for, url, transport, workspace_id, scan_lists_cache_seconds=CACHE_SECONDS
            ) as first,
            service_on(
                settings_for, url, transport, workspace_id, scan_lists_cache_seconds=CACHE_SECONDS
            ) as second,
        ):

            async def scan(replica):
                response = await replica.client.post(
                    "/v1/scan", headers=replica.author, json={"text": "竞品甲新品"}
                )
                assert response.status_code == 200, response.text
                return [f["term"] for f in response.json()["findings"]]

            assert await scan(first) == []
            added = await second.client.post(
                "/v1/content/lists/entries",
                headers=second.operator,
                json=[{"list": "deny", "term": "竞品甲"}],
            )
            assert added.status_code == 200
            assert await scan(second) == ["竞品甲"]  # the writing replica: at once
            item = await first.create(body="竞品甲新品")
            submitted = await first.step(item["id"], "submit", first.author)
            assert [f["term"] for f in submitted.json()["current"]["findings"]] == ["竞品甲"]
            await asyncio.sleep(CACHE_SECONDS * 1.5)
            assert await scan(first) == ["竞品甲"]
    finally:
        await transport.stop()
