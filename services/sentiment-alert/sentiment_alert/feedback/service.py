"""Feedback from known users: classified by aspect; complaints (negative, or saying they are
leaving) are published as `feedback.classified`, which segmentation records on the profile
(the churn reason when churn-related). Praise is stored but not published: segmentation reads
every feedback event as a complaint."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from sentiment_alert.db import BUS, SOURCE
from sentiment_alert.feedback.classifier import Classification, classify
from sentiment_alert.feedback.models import FeedbackRecord
from sentiment_alert.feedback.schemas import FeedbackOut
from sentiment_alert.sentiment import score
from yunying_shared.bus import publish
from yunying_shared.events import Envelope, make_event
from yunying_shared.events.catalogue import FEEDBACK_CLASSIFIED
from yunying_shared.events.payloads.sentiment import FeedbackClassified

EXCERPT = 200


async def classify_feedback(
    session: AsyncSession,
    *,
    workspace_id: UUID,
    user_id: str,
    text: str,
    source: str,
    now: datetime,
    label: str | None = None,
) -> FeedbackOut:
    record, event, out = _classified(workspace_id, user_id, text, source, now, label)
    session.add(record)
    if event is not None:
        await publish(session, BUS, event)
    return out


async def classify_mention_feedback(
    session: AsyncSession,
    *,
    workspace_id: UUID,
    mentions: Sequence[tuple[str, str, str]],
    now: datetime,
) -> None:
    """`classify_feedback` for a batch's mentions from known users (user id, text, label): the
    records flushed together and the complaints published in one outbox insert, not one
    flush and one insert per mention."""
    events: list[Envelope] = []
    for user_id, text, label in mentions:
        record, event, _ = _classified(workspace_id, user_id, text, "mention", now, label)
        session.add(record)
        if event is not None:
            events.append(event)
    await publish(session, BUS, *events)


def _classified(
    workspace_id: UUID,
    user_id: str,
    text: str,
    source: str,
    now: datetime,
    label: str | None,
) -> tuple[FeedbackRecord, Envelope | None, FeedbackOut]:
    """The stored record, the event when it is a complaint, and the answer."""
    found = classify(text)
    label = label or score(text).label
    complaint = label == "neg" or found.churn_related
    excerpt = text.strip()[:EXCERPT]
    record = FeedbackRecord(
        workspace_id=workspace_id,
        user_id=user_id,
        source=source,
        excerpt=excerpt,
        aspect=found.aspect,
        label=label,
        churn_related=found.churn_related,
        published=complaint,
        created_at=now,
    )
    event = feedback_event(workspace_id, user_id, found, excerpt, now) if complaint else None
    out = FeedbackOut(
        user_id=user_id,
        aspect=found.aspect,
        cues=list(found.cues),
        label=label,
        churn_related=found.churn_related,
        published=complaint,
        classified_at=now,
    )
    return record, event, out


def feedback_event(
    workspace_id: UUID, user_id: str, found: Classification, excerpt: str, now: datetime
) -> Envelope:
    payload = FeedbackClassified(
        user_id=user_id,
        reason=found.aspect,
        excerpt=excerpt,
        churn_related=found.churn_related,
        classified_at=now,
    )
    return make_event(FEEDBACK_CLASSIFIED, payload, source=SOURCE, workspace=workspace_id)
