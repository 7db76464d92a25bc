from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request

from content_review.access import Editor
from content_review.dependencies import NowDep
from content_review.images import service
from content_review.images.schemas import ImageOut
from content_review.items.schemas import FindingOut
from content_review.licences import ImageUnreadable
from yunying_shared.auth import WorkspaceDep
from yunying_shared.db import SessionDep
from yunying_shared.errors import InvalidInput
from yunying_shared.storable import Identifier

router = APIRouter(prefix="/v1/content/images", tags=["images"])


@router.post(
    "",
    response_model=ImageOut,
    responses={422: {"description": "Not a readable image, or a bad ref"}},
    summary="Upload an image's bytes under its reference, for the perceptual-hash index",
    description="The body is the image itself (JPEG, PNG, WebP…; at most the service's body "
    "limit). Items refer to it by `ref`; scans then recognise the same picture under another "
    "reference once one copy was found without a valid licence.",
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"image/*": {"schema": {"type": "string", "format": "binary"}}},
        }
    },
)
async def upload_image(
    request: Request,
    session: SessionDep,
    workspace_id: WorkspaceDep,
    _: Editor,
    ref: Annotated[Identifier, Query(min_length=1, max_length=2000)],
    now: NowDep,
) -> ImageOut:
    data = await request.body()
    try:
        fingerprint, finding = await service.record_upload(
            session, workspace_id=workspace_id, ref=ref, data=data, now=now
        )
    except ImageUnreadable as error:
        raise InvalidInput(
            f"The body is not a readable image: {error}",
            errors=[{"field": "body", "message": "not a readable image"}],
        ) from None
    findings = [FindingOut.model_validate(service.finding_dict("body", finding))] if finding else []
    return ImageOut(
        ref=fingerprint.ref,
        phash=fingerprint.phash,
        uploaded_at=fingerprint.uploaded_at,
        unlicensed=fingerprint.unlicensed_since is not None,
        findings=findings,
    )
