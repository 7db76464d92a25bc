"""Perceptual hashes: the same unlicensed image, re-encoded, resized or lightly edited and
uploaded again, is recognised by a small Hamming distance between 64-bit pHashes."""

import io
from dataclasses import dataclass, field

import imagehash
from PIL import Image

from content_review.licences.records import COPYRIGHT_BASIS, ImageFinding

# pHash distances: re-encoding and resizing stay within a few bits, different photos are ~32
# apart on average; 10 of 64 is the usual "same picture" threshold.
SAME_IMAGE_MAX_DISTANCE = 10
# Decoding a huge image to hash it is a denial of service; real post images are far smaller.
MAX_PIXELS = 40_000_000


class ImageUnreadable(ValueError):
    """The bytes are not an image Pillow can decode (or one too large to decode safely)."""


def perceptual_hash(image_bytes: bytes) -> int:
    try:
        with Image.open(io.BytesIO(image_bytes)) as image:
            width, height = image.size
            if width * height > MAX_PIXELS:
                raise ImageUnreadable(f"image is {width}x{height}, over {MAX_PIXELS} pixels")
            image.draft("L", (256, 256))  # JPEG decodes at a reduced scale: the hash is 32x32
            return int(str(imagehash.phash(image)), 16)
    except (OSError, Image.DecompressionBombError, SyntaxError) as error:
        raise ImageUnreadable(f"not a readable image: {error}") from None


def hash_distance(first: int, second: int) -> int:
    return (first ^ second).bit_count()


@dataclass
class UnlicensedImageIndex:
    """One workspace's images found without a valid licence, by perceptual hash. The service
    persists the (ref, hash) pairs; this is the matching over them."""

    max_distance: int = SAME_IMAGE_MAX_DISTANCE
    _hashes: dict[str, int] = field(default_factory=dict)

    def add(self, image_ref: str, image_hash: int) -> None:
        self._hashes[image_ref] = image_hash

    def closest(self, image_hash: int) -> tuple[str, int] | None:
        """The known unlicensed image nearest to ``image_hash``, if within ``max_distance``."""
        best: tuple[str, int] | None = None
        for ref, known in self._hashes.items():
            distance = hash_distance(image_hash, known)
            if distance <= self.max_distance and (best is None or distance < best[1]):
                best = (ref, distance)
        return best

    def check_reupload(self, image_ref: str, image_hash: int) -> ImageFinding | None:
        match = self.closest(image_hash)
        if match is None:
            return None
        known_ref, distance = match
        return ImageFinding(
            image_ref,
            "licence:known-unlicensed",
            COPYRIGHT_BASIS,
            "更换为有授权的图片",
            note=f"与此前无授权的图片 {known_ref} 相同（pHash 距离 {distance}/64）",
        )
