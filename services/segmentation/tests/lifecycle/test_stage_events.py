"""Stage payloads written from the template are the JSON the payload model writes, byte for
byte: first moves (no from stage), churn reasons, historical flags, ids needing escapes, UTC
times with and without microseconds and a time with another offset."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from segmentation.lifecycle.stage_events import json_time, stage_payload
from yunying_shared.events.envelope import ENVELOPE_JSON
from yunying_shared.events.payloads.segmentation import UserLifecycleStageChanged

CASES = [
    ("u1", None, "potential", "first seen", datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC), None, False),
    (
        'crm-"7"\\x',
        "active",
        "churned",
        "no purchase for 90 days",
        datetime(2024, 5, 6, 7, 8, 9, 123456, tzinfo=UTC),
        "物流慢",
        True,
    ),
    (
        "用户-8",
        "churned",
        "active",
        "purchase after churn",
        datetime(2025, 3, 1, 8, 0, tzinfo=timezone(timedelta(hours=8))),
        None,
        True,
    ),
]


@pytest.mark.parametrize("case", CASES)
def test_template_payload_is_the_models_json(case: tuple) -> None:
    user_id, from_stage, to_stage, reason, changed_at, churn_reason, historical = case
    model = UserLifecycleStageChanged(
        user_id=user_id,
        from_stage=from_stage,
        to_stage=to_stage,
        reason=reason,
        changed_at=changed_at,
        churn_reason=churn_reason,
        historical=historical,
    )
    written = stage_payload(
        user_id, from_stage, to_stage, reason, json_time(changed_at), churn_reason, historical
    )
    assert written == ENVELOPE_JSON(model.model_dump(mode="json"))
