from __future__ import annotations

import csv
import json
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request, Response

from segmentation.access import Operator, ProfileReader
from segmentation.tags import service
from segmentation.tags.exceptions import InvalidTagImport
from segmentation.tags.schemas import (
    ImportedTag,
    ImportResult,
    TagIn,
    TagKind,
    TagOut,
    TagRuleIn,
    TagRuleOut,
    TagSource,
)
from yunying_shared.auth import WorkspaceDep
from yunying_shared.db import ReadSessionDep, SessionDep
from yunying_shared.http.openapi import AUDITED
from yunying_shared.http.pagination import Page, PageParams
from yunying_shared.storable import INT64_MAX, Identifier, IdentifierPath

router = APIRouter(tags=["tags"])


@router.get(
    "/v1/users/{user_id}/tags",
    response_model=Page[TagOut],
    summary="A user's tags (expired ones are not shown), in tag order",
)
async def read_tags(
    session: ReadSessionDep,
    workspace_id: WorkspaceDep,
    user_id: IdentifierPath,
    page: PageParams,
    _: ProfileReader,
    kind: Annotated[TagKind | None, Query(description="Only tags of this kind")] = None,
    source: Annotated[TagSource | None, Query(description="Only tags set this way")] = None,
) -> Page[TagOut]:
    rows = await service.page_tags(
        session, workspace_id=workspace_id, user_id=user_id, page=page, kind=kind, source=source
    )
    return rows.to_page(TagOut.model_validate)


@router.put(
    "/v1/users/{user_id}/tags", response_model=TagOut, summary="Set (or replace) one tag on a user"
)
async def put_tag(
    session: SessionDep,
    workspace_id: WorkspaceDep,
    _: Operator,
    user_id: IdentifierPath,
    body: TagIn,
) -> Any:
    return await service.set_tag(session, workspace_id=workspace_id, user_id=user_id, tag=body)


@router.delete("/v1/users/{user_id}/tags/{tag}", status_code=204, summary="Remove a tag")
async def delete_tag(
    session: SessionDep,
    workspace_id: WorkspaceDep,
    _: Operator,
    user_id: IdentifierPath,
    tag: IdentifierPath,
) -> Response:
    await service.remove_tag(session, workspace_id=workspace_id, user_id=user_id, tag=tag)
    return Response(status_code=204)


@router.post(
    "/v1/tags/import",
    response_model=ImportResult,
    summary="Bulk import tags",
    description="Body: a JSON list of {user_id, tag, kind?, confidence?, expires_at?} or, with "
    "`Content-Type: text/csv`, a CSV with those columns. Bad rows are reported, not fatal.",
    openapi_extra={
        "requestBody": {
            "content": {
                "application/json": {
                    "schema": {"type": "array", "items": ImportedTag.model_json_schema()}
                },
                "text/csv": {"schema": {"type": "string", "format": "binary"}},
            }
        }
    },
)
async def import_tags(
    request: Request, session: SessionDep, workspace_id: WorkspaceDep, _: Operator
) -> ImportResult:
    body = await request.body()
    if request.headers.get("content-type", "").startswith("text/csv"):
        rows: Any = _csv_rows(_utf8(body))
    else:
        rows = _strict_json(body)
    if not isinstance(rows, list):
        raise InvalidTagImport("Body must be a JSON list of tags or a CSV document.")
    return await service.import_tags(session, workspace_id=workspace_id, rows=rows)


@router.get(
    "/v1/tags/rules",
    response_model=Page[TagRuleOut],
    summary="Tagging rules, oldest first",
)
async def read_rules(
    session: ReadSessionDep,
    workspace_id: WorkspaceDep,
    page: PageParams,
    _: ProfileReader,
    event_type: Annotated[
        Identifier | None,
        Query(min_length=1, max_length=64, description="Only rules for this event type"),
    ] = None,
    tag: Annotated[
        Identifier | None,
        Query(min_length=1, max_length=64, description="Only rules setting this tag"),
    ] = None,
) -> Page[TagRuleOut]:
    rows = await service.list_rules(
        session, workspace_id=workspace_id, page=page, event_type=event_type, tag=tag
    )
    return rows.to_page(TagRuleOut.model_validate)


@router.post(
    "/v1/tags/rules",
    response_model=TagRuleOut,
    status_code=201,
    summary="Add a rule: events of a type (with matching properties) tag their user",
    openapi_extra=AUDITED,
)
async def create_rule(
    session: SessionDep, workspace_id: WorkspaceDep, _: Operator, body: TagRuleIn
) -> Any:
    return await service.create_rule(session, workspace_id=workspace_id, rule=body)


@router.delete(
    "/v1/tags/rules/{rule_id}",
    status_code=204,
    summary="Remove a tagging rule",
    openapi_extra=AUDITED,
)
async def delete_rule(
    session: SessionDep,
    workspace_id: WorkspaceDep,
    _: Operator,
    rule_id: Annotated[int, Path(ge=1, le=INT64_MAX)],
) -> Response:
    await service.delete_rule(session, workspace_id=workspace_id, rule_id=rule_id)
    return Response(status_code=204)


def _utf8(body: bytes) -> str:
    try:
        return body.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InvalidTagImport(
            f"The CSV is not valid UTF-8 (byte {exc.start}).",
            errors=[{"field": "body", "message": f"invalid UTF-8 at byte {exc.start}"}],
        ) from exc


def _csv_rows(text: str) -> list[dict[str, Any]]:
    try:
        return service.parse_csv(text)
    except csv.Error as exc:
        raise InvalidTagImport(
            f"The CSV cannot be read: {exc}.", errors=[{"field": "body", "message": str(exc)}]
        ) from exc


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


def _strict_json(body: bytes) -> Any:
    """The body as JSON, refusing NaN/Infinity and nesting too deep to parse (which the
    parser reports as RecursionError, not as a JSON error)."""
    try:
        return json.loads(body, parse_constant=_refuse_constant)
    except (ValueError, RecursionError) as exc:
        message = "nested too deeply" if isinstance(exc, RecursionError) else str(exc)
        raise InvalidTagImport(
            f"The body is not JSON: {message}.",
            errors=[{"field": "body", "message": message}],
        ) from exc
