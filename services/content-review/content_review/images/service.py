"""Uploaded images' perceptual hashes, and the licence checks of a revision's media.

An image found without a valid licence is marked in the workspace's index; any image later
uploaded under another reference within `SAME_IMAGE_MAX_DISTANCE` bits of a marked one is a
blocking finding, whatever licence it now claims."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any
from uuid import UUID

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from content_review.images.models import ImageFingerprint
from content_review.licences import (
    ImageFinding,
    ImageReference,
    UnlicensedImageIndex,
    check_image_licences,
    perceptual_hash,
)


def ref_digest(ref: str) -> str:
    return hashlib.sha256(ref.encode("utf-8")).hexdigest()


async def _unlicensed(session: AsyncSession, *, workspace_id: UUID) -> dict[str, int]:
    rows = await session.scalars(
        select(ImageFingerprint).where(
            ImageFingerprint.workspace_id == workspace_id,
            ImageFingerprint.unlicensed_since.is_not(None),
        )
    )
    return {row.ref: int(row.phash, 16) for row in rows}


def _reupload(unlicensed: dict[str, int], ref: str, image_hash: int) -> ImageFinding | None:
    """A reference is not a re-upload of itself: it is left out of its own index."""
    index = UnlicensedImageIndex()
    for known_ref, known_hash in unlicensed.items():
        if known_ref != ref:
            index.add(known_ref, known_hash)
    return index.check_reupload(ref, image_hash)


async def record_upload(
    session: AsyncSession, *, workspace_id: UUID, ref: str, data: bytes, now: datetime
) -> tuple[ImageFingerprint, ImageFinding | None]:
    """Hashes the image (raises `ImageUnreadable`) and stores it under `ref`; reports at once
    when it is a known unlicensed image under another reference."""
    image_hash = perceptual_hash(data)
    digest = ref_digest(ref)
    fingerprint = await session.get(ImageFingerprint, (workspace_id, digest))
    if fingerprint is None:
        fingerprint = ImageFingerprint(
            workspace_id=workspace_id,
            ref_digest=digest,
            ref=ref,
            phash=f"{image_hash:016x}",
            uploaded_at=now,
            unlicensed_since=None,
        )
        session.add(fingerprint)
    else:
        fingerprint.phash, fingerprint.uploaded_at = f"{image_hash:016x}", now
    await session.flush()
    unlicensed = await _unlicensed(session, workspace_id=workspace_id)
    return fingerprint, _reupload(unlicensed, ref, image_hash)


def finding_dict(field: str, finding: ImageFinding) -> dict[str, Any]:
    return {
        "field": field,
        "image_ref": finding.image_ref,
        "category": finding.category.value,
        "severity": finding.severity.value,
        "rule_id": finding.rule_id,
        "legal_basis": finding.legal_basis,
        "suggestion": finding.suggestion,
        "note": finding.note,
    }


async def check_media(
    session: AsyncSession,
    *,
    workspace_id: UUID,
    field: str,
    media: Sequence[ImageReference],
    publish_on: date,
    now: datetime,
) -> list[dict[str, Any]]:
    if not media:
        return []
    position = {reference.ref: index for index, reference in enumerate(media)}
    findings: list[dict[str, Any]] = []
    unlicensed_refs: set[str] = set()
    for finding in check_image_licences(media, publish_on=publish_on):
        unlicensed_refs.add(finding.image_ref)
        findings.append(finding_dict(f"{field}[{position[finding.image_ref]}]", finding))
    fingerprints = {
        row.ref: row
        for row in await session.scalars(
            select(ImageFingerprint).where(
                ImageFingerprint.workspace_id == workspace_id,
                ImageFingerprint.ref_digest.in_([ref_digest(ref) for ref in position]),
            )
        )
    }
    unlicensed = await _unlicensed(session, workspace_id=workspace_id) if fingerprints else {}
    for ref, fingerprint in fingerprints.items():
        reupload = _reupload(unlicensed, ref, int(fingerprint.phash, 16))
        if reupload is not None:
            findings.append(finding_dict(f"{field}[{position[ref]}]", reupload))
        if ref in unlicensed_refs and fingerprint.unlicensed_since is None:
            fingerprint.unlicensed_since = now
    await session.flush()
    return findings
