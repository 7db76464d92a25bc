from __future__ import annotations

from fastapi import APIRouter

from sentiment_alert.access import Reader
from sentiment_alert.scoring.schemas import ScoreBatchOut, ScoreIn, ScoreOut
from sentiment_alert.sentiment import detect_language, score

router = APIRouter(prefix="/v1/sentiment", tags=["sentiment"])


def _score(text: str) -> ScoreOut:
    found = score(text)
    return ScoreOut(label=found.label, score=round(found.score, 4), language=detect_language(text))


@router.post(
    "",
    response_model=ScoreOut | ScoreBatchOut,
    summary="Score texts ad hoc",
    description='`{"text": …}` → `{label, score, language}`; `{"texts": […]}` → '
    "`{results: [...]}` in the same order. Labels: pos, neu, neg.",
)
async def score_texts(_: Reader, body: ScoreIn) -> ScoreOut | ScoreBatchOut:
    if body.text is not None:
        return _score(body.text)
    return ScoreBatchOut(results=[_score(t) for t in body.texts or []])
