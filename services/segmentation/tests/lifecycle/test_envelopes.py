"""Transition events are built without per-event validation (a re-score publishes up to 100,000):
they must be exactly what make_event builds from the validated payload models."""

import json
import uuid

from segmentation.lifecycle.service import SOURCE, Transition, _encoded
from yunying_shared.events import make_event, parse_event
from yunying_shared.events.catalogue import USER_LIFECYCLE_STAGE_CHANGED, USER_TIER_CHANGED
from yunying_shared.events.payloads.segmentation import UserLifecycleStageChanged, UserTierChanged


def _without_id_and_time(raw: bytes, event_id: uuid.UUID) -> bytes:
    body = json.loads(raw)
    assert uuid.UUID(body["id"]) == event_id and event_id.version == 4
    return raw.replace(body["id"].encode(), b"ID").replace(body["time"].encode(), b"TIME")


def test_fast_envelopes_match_make_event(now):
    workspace_id = uuid.uuid4()
    stage = Transition(
        user_id="u1",
        kind="stage",
        from_value="churned",
        to_value="active",
        reason="came back after churn: purchased",
        detail={"churn_reason": "价格"},
    )
    tier = Transition(
        user_id="u2",
        kind="tier",
        from_value="general",
        to_value="high_value",
        reason="re-score",
        detail={"r_score": 5, "f_score": 4, "m_score": 5, "rfm_class": "重要价值"},
    )
    fast = _encoded(workspace_id, [stage, tier], now)

    expected = [
        make_event(
            USER_LIFECYCLE_STAGE_CHANGED,
            UserLifecycleStageChanged(
                user_id="u1",
                from_stage="churned",
                to_stage="active",
                reason=stage.reason,
                changed_at=now,
                churn_reason="价格",
            ),
            source=SOURCE,
            workspace=workspace_id,
        ),
        make_event(
            USER_TIER_CHANGED,
            UserTierChanged(
                user_id="u2",
                from_tier="general",
                to_tier="high_value",
                r_score=5,
                f_score=4,
                m_score=5,
                rfm_class="重要价值",
                changed_at=now,
            ),
            source=SOURCE,
            workspace=workspace_id,
        ),
    ]
    for (event_id, event_type, key, raw), reference in zip(fast, expected, strict=True):
        # byte for byte what the validated models serialize to, apart from id and time
        assert _without_id_and_time(raw, event_id) == _without_id_and_time(
            reference.to_bytes(), reference.id
        )
        envelope, payload = parse_event(raw)
        assert (envelope.id, envelope.type, envelope.subject) == (event_id, event_type, key)
        assert type(payload) is type(reference_payload := parse_event(reference.to_bytes())[1])
        assert payload == reference_payload
    assert fast[0][0] != fast[1][0]
