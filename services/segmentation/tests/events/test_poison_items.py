"""One poisoned item among 999 valid ones is rejected alone, naming its field; the 999 are stored.

Bodies are sent as raw JSON text, as a client would: `\\ud800` and `NaN` are what Python's JSON
parser lets through and the databases then refuse.
"""

import json
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from segmentation.events.models import UserEvent
from segmentation.main import create_app
from yunying_shared.auth import Principal
from yunying_shared.testing.apps import internal_headers, running
from yunying_shared.testing.databases import fresh_database

VALID_ITEMS = 999
DEEP = "[" * 40 + "1" + "]" * 40

# (the poisoned item's fields as JSON text, the field its rejection must name)
POISONS = {
    "occurred_at before year 1 in UTC": (
        '"occurred_at": "0001-01-01T00:00:00+14:00"',
        "occurred_at",
    ),
    "occurred_at after year 9999 in UTC": (
        '"occurred_at": "9999-12-31T23:59:59-14:00"',
        "occurred_at",
    ),
    "lone surrogate in user_id": ('"user_id": "\\ud800"', "user_id"),
    "NUL in user_id": ('"user_id": "nul\\u0000user"', "user_id"),
    "control character in user_id": ('"user_id": "a\\u0001b"', "user_id"),
    "lone surrogate in event_id": ('"event_id": "e-\\udfff"', "event_id"),
    "NaN in properties": ('"properties": {"score": NaN}', "properties"),
    "Infinity in an unknown field": ('"rating": -Infinity', "rating"),
    "NUL in a property value": ('"properties": {"note": "a\\u0000b"}', "properties"),
    "surrogate in a property key": ('"properties": {"\\ud83d": 1}', "properties"),
    "properties nested 40 deep": (f'"properties": {{"deep": {DEEP}}}', "properties"),
    "amount beyond any column": ('"amount": 99999999999999999999999, "currency": "CNY"', "amount"),
}


def _valid(index: int, now: datetime) -> dict[str, object]:
    return {
        "event_id": f"ok-{index}",
        "user_id": f"u{index % 50}",
        "type": "purchase" if index % 3 == 0 else "login",
        "amount": 5 if index % 3 == 0 else None,
        "occurred_at": (now - timedelta(minutes=index)).isoformat(),
    }


def _batch_with_poison(poison: str, now: datetime) -> tuple[bytes, int]:
    items = [json.dumps(_valid(i, now)) for i in range(VALID_ITEMS)]
    poisoned = (
        '{"event_id": "poison", "user_id": "u-poison", "type": "purchase", '
        f'"occurred_at": "{now.isoformat()}", "amount": 1, {poison}}}'
    )
    position = VALID_ITEMS // 2
    items.insert(position, poisoned)
    return ('{"events": [' + ", ".join(items) + "]}").encode(), position


@pytest.mark.parametrize("poison", list(POISONS))
async def test_a_poisoned_item_is_rejected_alone(
    poison, dialect, tmp_path, settings_for, local_transport
):
    fields, field = POISONS[poison]
    workspace_id = uuid.uuid4()
    now = datetime.now(UTC)
    body, position = _batch_with_poison(fields, now)
    crm = Principal(
        subject="crm", kind="api_key", workspace_id=workspace_id, scopes=frozenset({"events:write"})
    )
    async with fresh_database(dialect, tmp_path) as url:
        app = create_app(settings_for("segmentation", url), transport=local_transport)
        async with running(app) as client:
            headers = internal_headers(app, crm) | {"content-type": "application/json"}
            response = await client.post("/v1/events", content=body, headers=headers)
            assert response.status_code == 200, response.text[:2000]
            result = response.json()
            assert (result["accepted"], result["rejected"]) == (VALID_ITEMS, 1)
            rejected = result["results"][position]
            assert rejected["status"] == "rejected"
            assert [error["field"] for error in rejected["errors"]] == [field]
            async with app.state.database.session() as session:
                stored = await session.scalar(
                    select(func.count())
                    .select_from(UserEvent)
                    .where(UserEvent.workspace_id == workspace_id)
                )
            assert stored == VALID_ITEMS
