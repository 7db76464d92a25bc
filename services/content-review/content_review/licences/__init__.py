"""Image licences: records validated against the publish date, and perceptual hashes that
recognise an unlicensed image uploaded again."""

from content_review.licences.phash import (
    ImageUnreadable,
    UnlicensedImageIndex,
    hash_distance,
    perceptual_hash,
)
from content_review.licences.records import (
    ImageFinding,
    ImageReference,
    ObtainedLicence,
    OwnedLicence,
    UserGeneratedLicence,
    check_image_licences,
)

__all__ = [
    "ImageFinding",
    "ImageReference",
    "ImageUnreadable",
    "ObtainedLicence",
    "OwnedLicence",
    "UnlicensedImageIndex",
    "UserGeneratedLicence",
    "check_image_licences",
    "hash_distance",
    "perceptual_hash",
]
