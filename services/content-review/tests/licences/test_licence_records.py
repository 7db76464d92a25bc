from datetime import date

import pytest
from pydantic import TypeAdapter, ValidationError

from content_review.licences import ImageReference, check_image_licences
from content_review.scanner import Category, Severity

PUBLISH_ON = date(2026, 12, 1)
_images = TypeAdapter(list[ImageReference])


def _findings(records: list[dict[str, object]]) -> dict[str, str]:
    images = _images.validate_python(records)
    return {f.image_ref: f.rule_id for f in check_image_licences(images, publish_on=PUBLISH_ON)}


def test_valid_licences_produce_no_finding() -> None:
    records: list[dict[str, object]] = [
        {"ref": "owned.jpg", "licence": {"kind": "owned"}},
        {
            "ref": "stock.jpg",
            "licence": {"kind": "licensed", "source": "图库 #123", "expires_on": "2026-12-01"},
        },
        {
            "ref": "ugc.jpg",
            "licence": {
                "kind": "user_generated",
                "author": "用户A",
                "consent": True,
                "consent_reference": "私信授权截图 2026-11-20",
            },
        },
    ]
    assert _findings(records) == {}


def test_missing_expired_and_unconsented_images_are_blocking_findings() -> None:
    records: list[dict[str, object]] = [
        {"ref": "none.jpg"},
        {
            "ref": "expired.jpg",
            "licence": {"kind": "licensed", "source": "图库 #9", "expires_on": "2026-11-30"},
        },
        {
            "ref": "ugc.jpg",
            "licence": {"kind": "user_generated", "author": "用户B", "consent": False},
        },
        {
            "ref": "ugc-no-proof.jpg",
            "licence": {"kind": "user_generated", "author": "用户C", "consent": True},
        },
    ]
    assert _findings(records) == {
        "none.jpg": "licence:missing",
        "expired.jpg": "licence:expired",
        "ugc.jpg": "licence:no-consent",
        "ugc-no-proof.jpg": "licence:no-consent",
    }
    images = _images.validate_python(records)
    for finding in check_image_licences(images, publish_on=PUBLISH_ON):
        assert finding.severity is Severity.BLOCK
        assert finding.category is Category.IMAGE_LICENCE
        assert finding.legal_basis and finding.suggestion


def test_expiry_is_judged_on_the_publish_date() -> None:
    images = _images.validate_python(
        [
            {
                "ref": "a.jpg",
                "licence": {"kind": "licensed", "source": "s", "expires_on": "2027-01-01"},
            }
        ]
    )
    assert check_image_licences(images, publish_on=date(2026, 12, 31)) == []
    assert check_image_licences(images, publish_on=date(2027, 1, 2))


@pytest.mark.parametrize(
    ("record", "field"),
    [
        ({"ref": "a.jpg", "licence": {"kind": "licensed", "expires_on": "2027-01-01"}}, "source"),
        ({"ref": "a.jpg", "licence": {"kind": "licensed", "source": "s"}}, "expires_on"),
        ({"ref": "a.jpg", "licence": {"kind": "bought"}}, "kind"),
        ({"ref": "", "licence": {"kind": "owned"}}, "ref"),
    ],
)
def test_malformed_records_name_the_field(record: dict[str, object], field: str) -> None:
    with pytest.raises(ValidationError) as raised:
        ImageReference.model_validate(record)
    # An unknown discriminator is reported at the union ("licence") with the tag in the message.
    described = [
        ".".join(str(part) for part in error["loc"]) + " " + error["msg"]
        for error in raised.value.errors()
    ]
    assert any(field in text for text in described), described
