"""The same unlicensed image uploaded again is recognised; a different image is not."""

import io
import random

import pytest
from PIL import Image, ImageDraw, ImageEnhance

from content_review.licences import (
    ImageUnreadable,
    UnlicensedImageIndex,
    hash_distance,
    perceptual_hash,
)


def _picture(seed: int, size: tuple[int, int] = (640, 480)) -> Image.Image:
    rng = random.Random(seed)
    image = Image.new("RGB", size, tuple(rng.randrange(256) for _ in range(3)))
    draw = ImageDraw.Draw(image)
    for _ in range(25):
        x0, y0 = rng.randrange(size[0]), rng.randrange(size[1])
        x1, y1 = x0 + rng.randrange(40, 300), y0 + rng.randrange(40, 300)
        colour = tuple(rng.randrange(256) for _ in range(3))
        if rng.random() < 0.5:
            draw.ellipse((x0, y0, x1, y1), fill=colour)
        else:
            draw.rectangle((x0, y0, x1, y1), fill=colour)
    return image


def _encode(image: Image.Image, fmt: str = "PNG", **options: object) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format=fmt, **options)
    return buffer.getvalue()


ORIGINAL = _picture(1)


@pytest.mark.parametrize(
    "variant",
    [
        _encode(ORIGINAL, "JPEG", quality=55),
        _encode(ORIGINAL.resize((320, 240))),
        _encode(ImageEnhance.Brightness(ORIGINAL).enhance(1.15)),
        _encode(ORIGINAL.convert("L")),
    ],
    ids=["re-encoded", "resized", "brightened", "greyscale"],
)
def test_the_same_image_uploaded_again_is_recognised(variant: bytes) -> None:
    index = UnlicensedImageIndex()
    index.add("first-upload.png", perceptual_hash(_encode(ORIGINAL)))
    finding = index.check_reupload("again.jpg", perceptual_hash(variant))
    assert finding is not None
    assert finding.rule_id == "licence:known-unlicensed"
    assert finding.image_ref == "again.jpg"
    assert "first-upload.png" in finding.note


def test_a_different_image_is_not_taken_for_it() -> None:
    index = UnlicensedImageIndex()
    index.add("first-upload.png", perceptual_hash(_encode(ORIGINAL)))
    for seed in range(2, 12):
        other = perceptual_hash(_encode(_picture(seed)))
        assert index.check_reupload(f"other-{seed}.png", other) is None


def test_the_closest_known_image_is_named() -> None:
    index = UnlicensedImageIndex()
    near = perceptual_hash(_encode(ORIGINAL))
    index.add("far.png", perceptual_hash(_encode(_picture(7))))
    index.add("near.png", near)
    variant = perceptual_hash(_encode(ORIGINAL, "JPEG", quality=70))
    match = index.closest(variant)
    assert match is not None and match[0] == "near.png"
    assert match[1] == hash_distance(variant, near)


def test_bytes_that_are_not_an_image_are_refused_clearly() -> None:
    with pytest.raises(ImageUnreadable, match="not a readable image"):
        perceptual_hash(b"<script>alert(1)</script>")
