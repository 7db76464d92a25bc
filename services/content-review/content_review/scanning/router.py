from __future__ import annotations

from fastapi import APIRouter

from content_review.access import Reader
from content_review.dependencies import ListsCacheDep, RegistryDep
from content_review.items.schemas import FindingOut
from content_review.scanning.schemas import ScanRequest, ScanResult
from content_review.scanning.service import is_blocking, scan_text
from yunying_shared.auth import WorkspaceDep
from yunying_shared.db import SessionDep

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
    session: SessionDep,
    workspace_id: WorkspaceDep,
    _: Reader,
    body: ScanRequest,
    registry: RegistryDep,
    cache: ListsCacheDep,
) -> ScanResult:
    lists = await cache.lists(session, workspace_id=workspace_id)
    # Scanning 2,000 characters takes about a millisecond of CPU: run inline, a thread hop
    # would cost as much as it saves.
    findings = scan_text(registry, body.text, platform=body.platform, lists=lists)
    return ScanResult(
        findings=[FindingOut.model_validate(finding) for finding in findings],
        blocking=is_blocking(findings),
    )
