from __future__ import annotations

from fastapi import APIRouter, Request, Response

from content_review.access import Reader
from content_review.dependencies import ListsCacheDep, RegistryDep
from content_review.scanning.schemas import ScanRequest, ScanResult
from content_review.scanning.service import scan_result_json
from yunying_shared.auth import WorkspaceDep

router = APIRouter(tags=["scan"])


@router.post(
    "/v1/scan",
    response_model=ScanResult,
    summary="Scan text now (for editors while they type)",
    description="The compliance scanner with the workspace's allow and deny lists; nothing is "
    "stored. Platform rules apply when `platform` is given. A list change made through "
    "another replica may take a few seconds to apply here; the scan on submit always uses "
    "the current lists.",
)
async def scan(
    request: Request,
    workspace_id: WorkspaceDep,
    _: Reader,
    body: ScanRequest,
    registry: RegistryDep,
    cache: ListsCacheDep,
) -> Response:
    # No session per request: the lists are cached, and a miss opens its own.
    lists = await cache.lists(request.app.state.database, workspace_id=workspace_id)
    # Scanning 2,000 characters takes well under a millisecond of CPU: run inline, a thread
    # hop would cost as much as it saves.
    findings = registry.scanner().scan(body.text, platform=body.platform, lists=lists)
    return Response(scan_result_json(findings), media_type="application/json")
