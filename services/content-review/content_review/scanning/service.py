"""The automated scan: the scanner over a revision's text fields with the workspace's lists,
and the licence checks (records and perceptual hashes) over its images and videos."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from uuid import UUID

from pydantic import TypeAdapter
from pydantic_core import to_json
from sqlalchemy.ext.asyncio import AsyncSession

from content_review.images.service import check_media
from content_review.items.models import ContentRevision
from content_review.licences import ImageReference
from content_review.lists.service import workspace_lists
from content_review.scanner import Finding, ScannerRegistry, Severity
from content_review.scanner.findings import Category

_MEDIA = TypeAdapter(list[ImageReference])


def text_finding(field: str, finding: Finding) -> dict[str, Any]:
    return {
        "field": field,
        "start": finding.start,
        "end": finding.end,
        "text": finding.text,
        "term": finding.term,
        "category": finding.category.value,
        "severity": finding.severity.value,
        "rule_id": finding.rule_id,
        "legal_basis": finding.legal_basis,
        "suggestion": finding.suggestion,
        "match": finding.match.value,
        "note": finding.note,
    }


def scan_result_json(findings: list[Finding]) -> bytes:
    """``POST /v1/scan``'s body, a ``ScanResult``, written straight to JSON: the findings are
    already sound, and validating a hundred of them into models only to serialise them again
    cost more than the scan itself. Keys and order as ``FindingOut`` gives them."""
    return to_json(
        {
            "findings": [
                {
                    "field": "text",
                    "start": finding.start,
                    "end": finding.end,
                    "text": finding.text,
                    "term": finding.term,
                    "image_ref": None,
                    "category": finding.category.value,
                    "severity": finding.severity.value,
                    "rule_id": finding.rule_id,
                    "legal_basis": finding.legal_basis,
                    "suggestion": finding.suggestion,
                    "match": finding.match.value,
                    "note": finding.note,
                }
                for finding in findings
            ],
            "blocking": any(finding.severity is Severity.BLOCK for finding in findings),
        }
    )


# What marks a post as paid: Article 14 of the Advertising Law wants ads recognisable as ads,
# and the platforms ask for a label (小红书 报备/合作, 抖音 广告, 微博 #ad). Matched in the
# title, body and tags, case-insensitively.
AD_DISCLOSURES = ("广告", "赞助", "合作", "推广", "#ad", "ad:", "sponsored", "paid partnership")
AD_DISCLOSURE_BASIS = (
    "《中华人民共和国广告法》第十四条：广告应当具有可识别性，能够使消费者辨明其为广告。"
)


def ad_disclosure_finding(fields: list[tuple[str, str]]) -> dict[str, Any] | None:
    """A blocking finding when an ad names itself nowhere; None when it does."""
    text = " ".join(value for _, value in fields).lower()
    if any(marker in text for marker in AD_DISCLOSURES):
        return None
    return {
        "field": "body",
        "start": 0,
        "end": 0,
        "text": "",
        "term": "",
        "category": Category.PLATFORM_RULE.value,
        "severity": Severity.BLOCK.value,
        "rule_id": "ad_disclosure_missing",
        "legal_basis": AD_DISCLOSURE_BASIS,
        "suggestion": "标明广告身份，例如在正文或话题中加入「广告」「赞助」「合作」或 #ad",
        "match": "literal",
        "note": "An ad (kind `ad`) must say it is one: 广告, 赞助, 合作, 推广, #ad or sponsored",
    }


def is_blocking(findings: list[dict[str, Any]]) -> bool:
    return any(finding["severity"] == Severity.BLOCK.value for finding in findings)


async def scan_revision(
    session: AsyncSession,
    *,
    workspace_id: UUID,
    platform: str,
    revision: ContentRevision,
    registry: ScannerRegistry,
    now: datetime,
    is_ad: bool = False,
) -> list[dict[str, Any]]:
    """Stores and returns the revision's findings (title, body, each tag, each image/video;
    for an ad, the ad disclosure)."""
    lists = await workspace_lists(session, workspace_id=workspace_id)
    scanner = registry.scanner()
    fields = [("title", revision.title), ("body", revision.body)]
    fields += [(f"tags[{index}]", tag) for index, tag in enumerate(revision.tags)]
    findings = [
        text_finding(field, finding)
        for field, text in fields
        for finding in scanner.scan(text, platform=platform, lists=lists)
    ]
    disclosure = ad_disclosure_finding(fields) if is_ad else None
    if disclosure is not None:
        findings.append(disclosure)
    publish_on: date = (revision.planned_publish_at or now).date()
    for field, media in (("images", revision.images), ("videos", revision.videos)):
        findings += await check_media(
            session,
            workspace_id=workspace_id,
            field=field,
            media=_MEDIA.validate_python(media),
            publish_on=publish_on,
            now=now,
        )
    revision.findings = findings
    revision.scanned_at = now
    await session.flush()
    return findings
