"""Image licence records and the blocking findings for images that lack a valid one."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from content_review.scanner.findings import Category, Severity

COPYRIGHT_BASIS = "《著作权法》第十条、第五十三条：未经著作权人许可使用其作品构成侵权"
CONSENT_BASIS = (
    "《广告法》第三十三条：广告中使用他人名义或者形象的，应当事先取得其书面同意；"
    "《民法典》第一千零一十九条（肖像权）"
)


class _Record(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class OwnedLicence(_Record):
    """Made by the brand or commissioned with the copyright assigned to it."""

    kind: Literal["owned"] = "owned"


class ObtainedLicence(_Record):
    """Licensed from a stock library, agency or photographer: where from and until when."""

    kind: Literal["licensed"] = "licensed"
    source: str = Field(min_length=1, max_length=500)
    expires_on: date


class UserGeneratedLicence(_Record):
    """A user's photo reposted by the brand: only with that user's recorded consent."""

    kind: Literal["user_generated"] = "user_generated"
    author: str = Field(min_length=1, max_length=200)
    consent: bool
    consent_reference: str | None = Field(default=None, max_length=500)


Licence = Annotated[
    OwnedLicence | ObtainedLicence | UserGeneratedLicence, Field(discriminator="kind")
]


class ImageReference(_Record):
    ref: str = Field(min_length=1, max_length=2000)
    licence: Licence | None = None


@dataclass(frozen=True, slots=True)
class ImageFinding:
    image_ref: str
    rule_id: str
    legal_basis: str
    suggestion: str
    note: str = ""
    category: Category = Category.IMAGE_LICENCE
    severity: Severity = Severity.BLOCK


def _licence_problem(image: ImageReference, publish_on: date) -> ImageFinding | None:
    licence = image.licence
    if licence is None:
        return ImageFinding(
            image.ref, "licence:missing", COPYRIGHT_BASIS, "补充授权记录（自有、授权或用户授权）"
        )
    if isinstance(licence, ObtainedLicence) and licence.expires_on < publish_on:
        return ImageFinding(
            image.ref,
            "licence:expired",
            COPYRIGHT_BASIS,
            "续签授权或更换图片",
            note=f"授权于 {licence.expires_on.isoformat()} 到期，"
            f"早于发布日 {publish_on.isoformat()}",
        )
    if isinstance(licence, UserGeneratedLicence) and not (
        licence.consent and licence.consent_reference
    ):
        return ImageFinding(
            image.ref,
            "licence:no-consent",
            CONSENT_BASIS,
            "取得作者的书面同意并记录凭证编号",
        )
    return None


def check_image_licences(
    images: Sequence[ImageReference], *, publish_on: date
) -> list[ImageFinding]:
    """One blocking finding per image without a licence valid on the publish date."""
    return [
        finding for image in images if (finding := _licence_problem(image, publish_on)) is not None
    ]
