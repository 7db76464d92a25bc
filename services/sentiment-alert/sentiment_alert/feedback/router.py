from __future__ import annotations

from fastapi import APIRouter

from sentiment_alert.access import MentionsWriter
from sentiment_alert.clock import utcnow
from sentiment_alert.feedback.schemas import FeedbackBatchIn, FeedbackOut
from sentiment_alert.feedback.service import classify_feedback
from yunying_shared.auth import WorkspaceDep
from yunying_shared.db import SessionDep

router = APIRouter(prefix="/v1/feedback", tags=["feedback"])


@router.post(
    "",
    response_model=list[FeedbackOut],
    summary="Classify survey answers from known users",
    description="Each answer is classified by aspect (product, service, delivery, price, "
    "other); negative or churn-related ones are published as feedback.classified, which "
    "segmentation records on the user's profile.",
)
async def post_feedback(
    session: SessionDep, workspace_id: WorkspaceDep, _: MentionsWriter, body: FeedbackBatchIn
) -> list[FeedbackOut]:
    now = utcnow()
    return [
        await classify_feedback(
            session,
            workspace_id=workspace_id,
            user_id=item.user_id,
            text=item.text,
            source=item.source,
            now=now,
        )
        for item in body.items
    ]
