"""Image licences in the item scan, and the persisted perceptual-hash index: the same
unlicensed picture uploaded again under another name is caught in a later request."""

import io
import random
from datetime import date, timedelta

from PIL import Image, ImageDraw


def _jpeg(seed: int, size: tuple[int, int]) -> bytes:
    rng = random.Random(seed)
    image = Image.new("RGB", (640, 480), tuple(rng.randrange(256) for _ in range(3)))
    draw = ImageDraw.Draw(image)
    for _ in range(25):
        x0, y0 = rng.randrange(640), rng.randrange(480)
        box = (x0, y0, x0 + rng.randrange(40, 300), y0 + rng.randrange(40, 300))
        draw.rectangle(box, fill=tuple(rng.randrange(256) for _ in range(3)))
    buffer = io.BytesIO()
    image.resize(size).save(buffer, format="JPEG", quality=80)
    return buffer.getvalue()


async def _upload(service, ref, data):
    return await service.client.post(
        "/v1/content/images",
        params={"ref": ref},
        headers={**service.author, "content-type": "image/jpeg"},
        content=data,
    )


async def _submit(service, images):
    item = await service.create(images=images)
    response = await service.step(item["id"], "submit", service.author)
    assert response.status_code == 200, response.text
    return response.json()


async def test_an_unlicensed_image_uploaded_again_is_caught_in_a_later_request(service):
    first = await _upload(service, "cdn://shoot/a.jpg", _jpeg(7, (640, 480)))
    assert first.status_code == 200, first.text
    assert len(first.json()["phash"]) == 16 and first.json()["findings"] == []

    unlicensed = await _submit(service, [{"ref": "cdn://shoot/a.jpg"}])
    assert unlicensed["state"] == "draft"
    (finding,) = unlicensed["current"]["findings"]
    assert (finding["rule_id"], finding["field"], finding["severity"]) == (
        "licence:missing",
        "images[0]",
        "block",
    )

    # The same picture, smaller and re-encoded, under another name and claimed as owned.
    again = await _upload(service, "cdn://repost/b.jpg", _jpeg(7, (320, 240)))
    assert [f["rule_id"] for f in again.json()["findings"]] == ["licence:known-unlicensed"]
    claimed = await _submit(service, [{"ref": "cdn://repost/b.jpg", "licence": {"kind": "owned"}}])
    assert claimed["state"] == "draft"
    (caught,) = claimed["current"]["findings"]
    assert caught["rule_id"] == "licence:known-unlicensed"
    assert "cdn://shoot/a.jpg" in caught["note"]

    other = await _upload(service, "cdn://shoot/c.jpg", _jpeg(99, (640, 480)))
    assert other.json()["findings"] == []
    fine = await _submit(service, [{"ref": "cdn://shoot/c.jpg", "licence": {"kind": "owned"}}])
    assert fine["state"] == "scanned" and fine["current"]["findings"] == []


async def test_licence_records_are_checked_against_the_publish_date(service):
    expired = {
        "kind": "licensed",
        "source": "某图库",
        "expires_on": (date.today() + timedelta(days=1)).isoformat(),
    }
    no_consent = {"kind": "user_generated", "author": "小红", "consent": False}
    result = await _submit(
        service,
        [{"ref": "stock.jpg", "licence": expired}, {"ref": "ugc.jpg", "licence": no_consent}],
    )
    assert {(f["field"], f["rule_id"]) for f in result["current"]["findings"]} == {
        ("images[0]", "licence:expired"),
        ("images[1]", "licence:no-consent"),
    }


async def test_an_unreadable_upload_is_422_naming_the_body(service):
    response = await _upload(service, "x.jpg", b"not an image")
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "body"
