"""The review queue the operations dashboard reads: items waiting per state, on SQLite and
PostgreSQL; drafts and approved items are not waiting."""

from datetime import datetime


async def test_waiting_items_are_counted_per_state(service):
    await service.create(title="草稿")  # a draft waits for nobody
    scanned = await service.create(title="待一审")
    checked = await service.create(title="待二审")
    for item, steps in (
        (scanned, [("submit", service.author)]),
        (checked, [("submit", service.author), ("operator-check", service.operator)]),
    ):
        for step, headers in steps:
            response = await service.step(item["id"], step, headers)
            assert response.status_code == 200, response.text
    await service.approved(title="已通过")

    queue = await service.client.get("/v1/content/review-queue", headers=service.reviewer)
    assert queue.status_code == 200, queue.text
    body = queue.json()
    assert body["by_state"] == {"submitted": 0, "scanned": 1, "operator_checked": 1}
    assert body["waiting"] == 2
    assert body["held"] == 0
    waited = datetime.fromisoformat(body["oldest_waiting_since"])
    scanned_at = datetime.fromisoformat((await service.item(scanned["id"]))["updated_at"])
    assert waited == scanned_at


async def test_an_empty_queue(service):
    queue = await service.client.get("/v1/content/review-queue", headers=service.reviewer)
    assert queue.json() == {
        "waiting": 0,
        "by_state": {"submitted": 0, "scanned": 0, "operator_checked": 0},
        "held": 0,
        "oldest_waiting_since": None,
    }
