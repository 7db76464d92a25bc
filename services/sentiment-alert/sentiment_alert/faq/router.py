from __future__ import annotations

from typing import cast

from fastapi import APIRouter, Response, status
from sqlalchemy import Select, select

from sentiment_alert.access import Operator, Reader
from sentiment_alert.clock import utcnow
from sentiment_alert.faq import service
from sentiment_alert.faq.models import FaqEntry
from sentiment_alert.faq.schemas import (
    DEFAULT_THRESHOLD,
    MAX_ENTRIES,
    CandidateOut,
    EntryIn,
    EntryOut,
    MatchIn,
    MatchOut,
    SettingsIn,
    SettingsOut,
)
from yunying_shared.auth import WorkspaceDep
from yunying_shared.db import ReadSessionDep, SessionDep
from yunying_shared.http.openapi import AUDITED
from yunying_shared.http.pagination import Page, PageParams, keyset_page
from yunying_shared.storable import RowIdPath

router = APIRouter(prefix="/v1/faq", tags=["faq"])
_FULL = {409: {"description": f"The workspace already holds {MAX_ENTRIES} entries"}}


def _entity_query(query: Select[FaqEntry]) -> Select[tuple[FaqEntry]]:
    # keyset_page is typed for SQLAlchemy 2.0's row tuples; 2.1 types a one-entity select as
    # the entity itself. The same object either way.
    return cast(Select[tuple[FaqEntry]], query)


@router.get(
    "/entries",
    response_model=Page[EntryOut],
    summary="The workspace's FAQ entries",
    description="In creation order (oldest first), a page at a time.",
)
async def list_entries(
    session: ReadSessionDep, workspace_id: WorkspaceDep, _: Reader, page: PageParams
) -> Page[EntryOut]:
    rows = await keyset_page(
        session,
        _entity_query(select(FaqEntry).where(FaqEntry.workspace_id == workspace_id)),
        page,
        keys=(FaqEntry.id,),
    )
    return rows.to_page(EntryOut.model_validate)


@router.post(
    "/entries",
    response_model=EntryOut,
    status_code=status.HTTP_201_CREATED,
    responses=_FULL,  # type: ignore[arg-type]
    summary="Add an FAQ entry",
    description="Question variants (Chinese and English alike; duplicates are dropped), the "
    "answer, and the platforms it may be used on. Effective for the next message.",
)
async def create_entry(
    session: SessionDep, workspace_id: WorkspaceDep, _: Operator, body: EntryIn
) -> EntryOut:
    entry = await service.create_entry(session, workspace_id=workspace_id, data=body, now=utcnow())
    return EntryOut.model_validate(entry)


@router.get(
    "/entries/{entry_id}",
    response_model=EntryOut,
    summary="One FAQ entry",
    description="Its question variants, answer and platforms; 404 when not in the workspace.",
)
async def get_entry(
    session: ReadSessionDep, workspace_id: WorkspaceDep, _: Reader, entry_id: RowIdPath
) -> EntryOut:
    entry = await service.get_entry(session, workspace_id=workspace_id, entry_id=entry_id)
    return EntryOut.model_validate(entry)


@router.put(
    "/entries/{entry_id}",
    response_model=EntryOut,
    summary="Replace an FAQ entry",
    description="Questions, answer and platforms are replaced as a whole.",
)
async def update_entry(
    session: SessionDep,
    workspace_id: WorkspaceDep,
    _: Operator,
    entry_id: RowIdPath,
    body: EntryIn,
) -> EntryOut:
    entry = await service.update_entry(
        session, workspace_id=workspace_id, entry_id=entry_id, data=body, now=utcnow()
    )
    return EntryOut.model_validate(entry)


@router.delete(
    "/entries/{entry_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Remove an FAQ entry",
    description="Messages already answered with it keep their reply.",
)
async def delete_entry(
    session: SessionDep, workspace_id: WorkspaceDep, _: Operator, entry_id: RowIdPath
) -> Response:
    await service.delete_entry(session, workspace_id=workspace_id, entry_id=entry_id, now=utcnow())
    return Response(status_code=status.HTTP_204_NO_CONTENT)


async def _settings_out(session: SessionDep, workspace_id: WorkspaceDep) -> SettingsOut:
    settings = await service.settings_of(session, workspace_id=workspace_id)
    entries = await service.count_entries(session, workspace_id=workspace_id)
    if settings is None:
        return SettingsOut(
            threshold=DEFAULT_THRESHOLD,
            mode="propose",
            entries=entries,
            updated_at=None,
        )
    return SettingsOut(
        threshold=settings.threshold,
        mode="auto_send" if settings.mode == "auto_send" else "propose",
        entries=entries,
        updated_at=settings.updated_at,
    )


@router.get(
    "/settings",
    response_model=SettingsOut,
    summary="How the workspace answers comments and messages",
    description="The defaults until an operator sets them: threshold 0.6, mode propose.",
)
async def get_settings(
    session: ReadSessionDep, workspace_id: WorkspaceDep, _: Reader
) -> SettingsOut:
    return await _settings_out(session, workspace_id)


@router.put(
    "/settings",
    response_model=SettingsOut,
    summary="Set the threshold and the mode of FAQ replies",
    openapi_extra=AUDITED,
    description="`propose`: a matched message waits for an operator to send the proposed "
    "answer; `auto_send`: the answer is sent at once. Negative and crisis-related messages "
    "always go to a person, whatever the mode.",
)
async def put_settings(
    session: SessionDep, workspace_id: WorkspaceDep, _: Operator, body: SettingsIn
) -> SettingsOut:
    await service.put_settings(session, workspace_id=workspace_id, data=body, now=utcnow())
    return await _settings_out(session, workspace_id)


@router.post(
    "/match",
    response_model=MatchOut,
    summary="Try the FAQ on a question",
    description="The best entries for a text with their confidence, as an incoming message "
    "would be matched; nothing is stored or sent. For operators tuning variants and threshold.",
)
async def try_match(
    session: SessionDep, workspace_id: WorkspaceDep, _: Reader, body: MatchIn
) -> MatchOut:
    candidates = await service.match(
        session, workspace_id=workspace_id, text=body.text, platform=body.platform
    )
    answers = await service.answers_of(
        session, workspace_id=workspace_id, entry_ids=[c.entry_id for c in candidates]
    )
    settings = await service.settings_of(session, workspace_id=workspace_id)
    threshold = settings.threshold if settings else DEFAULT_THRESHOLD
    return MatchOut(
        candidates=[
            CandidateOut(
                entry_id=c.entry_id,
                question=c.question,
                answer=answers.get(c.entry_id, ""),
                score=c.score,
                confidence=c.confidence,
            )
            for c in candidates
        ],
        threshold=threshold,
        answers=bool(candidates) and candidates[0].confidence >= threshold,
    )
