"""`mention.scored` for a batch: each payload's JSON written from a template.

`BulkEncoder.encode` copies each row into a dict and runs the JSON encoder over it; for the
busiest event of the service the payload is instead one f-string of values already in their
JSON form: the ids, labels and languages need no escaping, the platform id and user id go
through the encoder's own string escaping (`encode_basestring`, as `ENVELOPE_JSON` uses), a
batch repeats a few keyword lists (each written once) and each distinct posting time is
formatted once, as pydantic writes it. The bytes are those of
`make_event(MENTION_SCORED, MentionScored(...)).to_bytes()` (a test compares them)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from functools import lru_cache
from json.encoder import encode_basestring
from uuid import UUID

from pydantic import TypeAdapter

from sentiment_alert.db import SOURCE
from yunying_shared.events.bulk import BulkEncoder, Encoded
from yunying_shared.events.catalogue import MENTION_SCORED

_ENCODER = BulkEncoder(MENTION_SCORED, source=SOURCE)
_DATETIME = TypeAdapter(datetime)


@lru_cache(maxsize=4096)
def _keywords_json(keywords: tuple[str, ...]) -> str:
    # A workspace has a few rules, so a batch repeats a few combinations of matches.
    return "[" + ",".join(map(encode_basestring, keywords)) + "]"


class ScoredPayloads:
    """Collects the payloads of one batch, then encodes them as events."""

    def __init__(self) -> None:
        self._payloads: list[tuple[str, str]] = []
        self._times: dict[datetime, str] = {}

    def add(
        self,
        *,
        mention_id: str,
        platform: str,
        platform_id: str,
        label: str,
        score: float,
        language: str,
        keywords: Sequence[str],
        user_id: str | None,
        posted_at: datetime,
    ) -> None:
        posted = self._times.get(posted_at)
        if posted is None:
            posted = self._times[posted_at] = _DATETIME.dump_python(posted_at, mode="json")
        user = "null" if user_id is None else encode_basestring(user_id)
        # float's repr is how the JSON encoder writes a finite float.
        self._payloads.append(
            (
                mention_id,
                f'{{"mention_id":"{mention_id}","platform":{encode_basestring(platform)}'
                f',"platform_id":{encode_basestring(platform_id)},"label":"{label}"'
                f',"score":{float(score)!r},"language":"{language}"'
                f',"keywords":{_keywords_json(tuple(keywords))},"user_id":{user}'
                f',"posted_at":"{posted}"}}',
            )
        )

    def encode(self, workspace_id: UUID) -> list[Encoded]:
        return _ENCODER.encode_json(self._payloads, workspace=workspace_id)
