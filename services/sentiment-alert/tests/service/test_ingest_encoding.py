"""The ingest path writes its JSON without a model per item: the `mention.scored` payloads from
a template and the batch result from plain objects. Both must give the bytes the models give."""

import json
from datetime import UTC, datetime
from uuid import uuid4

from sentiment_alert.db import SOURCE
from sentiment_alert.mentions.schemas import BatchOutcome, BatchResult, ItemOutcome
from sentiment_alert.mentions.scored import ScoredPayloads
from yunying_shared.events.catalogue import MENTION_SCORED, make_event
from yunying_shared.events.payloads.sentiment import MentionScored
from yunying_shared.http.batch import FieldError

SCORED_ROWS = [
    {
        "mention_id": str(uuid4()),
        "platform": "weibo",
        "platform_id": "4962134170108571",
        "label": "neg",
        "score": -0.8123,
        "language": "zh",
        "keywords": ["花西子", "过敏"],
        "user_id": None,
        "posted_at": datetime(2026, 11, 11, 14, 31, tzinfo=UTC),
    },
    {
        "mention_id": str(uuid4()),
        "platform": "other",
        "platform_id": 'a "quoted" \\ id\twith ünïcode 😀',
        "label": "pos",
        "score": 1.0,
        "language": "en",
        "keywords": [],
        "user_id": 'crm-"7"\n',
        "posted_at": datetime(2026, 11, 11, 14, 31, 5, 120_000, tzinfo=UTC),
    },
    {
        "mention_id": str(uuid4()),
        "platform": "douyin",
        "platform_id": "v-1",
        "label": "neu",
        "score": 0.0,
        "language": "other",
        "keywords": ['brand "x"'],
        "user_id": "user-1",
        "posted_at": datetime(2026, 11, 11, 14, 31, tzinfo=UTC),  # the same time again
    },
]


def test_scored_payloads_are_the_bytes_make_event_writes():
    workspace = uuid4()
    payloads = ScoredPayloads()
    for row in SCORED_ROWS:
        payloads.add(**row)  # type: ignore[arg-type]
    encoded = payloads.encode(workspace)
    assert len(encoded) == len(SCORED_ROWS)
    for (event_id, event_type, key, raw), row in zip(encoded, SCORED_ROWS, strict=True):
        single = make_event(
            MENTION_SCORED, MentionScored(**row), source=SOURCE, workspace=workspace
        )
        body = json.loads(raw)
        expected = single.to_bytes()
        same_id_and_time = raw.replace(str(event_id).encode(), str(single.id).encode()).replace(
            body["time"].encode(), json.loads(expected)["time"].encode()
        )
        assert (event_type, key) == (MENTION_SCORED.type, row["mention_id"])
        assert same_id_and_time == expected


def test_batch_outcome_json_is_what_the_response_model_writes():
    outcome = BatchOutcome(
        accepted=2,
        duplicates=1,
        rejected=1,
        results=[
            ItemOutcome(
                0, "p-1", "accepted", mention_id=str(uuid4()), label="neg", keywords=["过敏"]
            ),
            ItemOutcome(
                1,
                "c-2",
                "accepted",
                mention_id=str(uuid4()),
                label="neu",
                message_id=str(uuid4()),
                reply_status="proposed",
            ),
            ItemOutcome(2, "p-1", "duplicate"),
            ItemOutcome(
                3,
                None,
                "rejected",
                errors=[FieldError(field="posted_at", message="is required")],
            ),
        ],
    )
    written = outcome.to_json()
    as_model = BatchResult.model_validate(json.loads(written))
    assert written == as_model.model_dump_json().encode()
    assert as_model.results[3].errors[0].field == "posted_at"
    assert [r.status for r in as_model.results] == ["accepted", "accepted", "duplicate", "rejected"]
