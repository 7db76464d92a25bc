"""Fuzzing finding: an id beyond 64 bits in a path was a driver overflow (500)."""

import uuid

import pytest

from sentiment_alert.main import create_app
from yunying_shared.testing.apps import internal_headers, running, user_principal


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/v1/monitoring/rules/1625500727329041090870837178307444736"),
        ("DELETE", "/v1/monitoring/rules/9223372036854775808"),
        ("GET", "/v1/monitoring/rules/0"),
    ],
)
async def test_ids_beyond_64_bits_are_a_422_naming_the_path(settings_for, method, path):
    app = create_app(settings_for("sentiment-alert"))
    async with running(app) as client:
        headers = internal_headers(app, user_principal(uuid.uuid4(), "admin"))
        response = await client.request(method, path, headers=headers)
    assert response.status_code == 422, response.text
    assert response.json()["errors"][0]["field"] == "path.rule_id"
