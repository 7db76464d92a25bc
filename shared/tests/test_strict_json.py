import pytest
from fastapi import FastAPI
from httpx import ASGITransport, AsyncClient

from yunying_shared.errors import install_error_handlers
from yunying_shared.http.strict_json import StrictJsonMiddleware, strict_json_problem

PROBLEM = "application/problem+json"


def app_echoing_bodies() -> FastAPI:
    app = FastAPI()
    install_error_handlers(app)
    app.add_middleware(StrictJsonMiddleware)

    @app.post("/echo")
    async def echo(body: dict) -> dict:
        return body

    return app


@pytest.fixture
async def client():
    transport = ASGITransport(app=app_echoing_bodies())
    async with AsyncClient(transport=transport, base_url="http://test") as http:
        yield http


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (b'{"x": NaN}', "body.x"),
        (b'{"x": -Infinity}', "body.x"),
        (b'{"a": {"b": NaN}}', "body.a.b"),
    ],
)
async def test_non_finite_numbers_are_refused_naming_the_field(client, body, field):
    response = await client.post(
        "/echo", content=body, headers={"content-type": "application/json"}
    )
    assert response.status_code == 422
    assert response.headers["content-type"] == PROBLEM
    assert response.json()["errors"] == [
        {"field": field, "message": response.json()["errors"][0]["message"]}
    ]
    assert "not a JSON number" in response.json()["errors"][0]["message"]


async def test_deep_nesting_is_refused(client):
    deep = b"[" * 10_000 + b"]" * 10_000
    with_nan = b'{"x": ' + deep + b', "y": NaN}'
    json_type = {"content-type": "application/json"}
    response = await client.post("/echo", content=with_nan, headers=json_type)
    assert response.status_code == 422
    assert response.json()["errors"][0] == {"field": "body", "message": "nested too deeply"}
    plain = b'{"x": ' + deep + b"}"
    response = await client.post("/echo", content=plain, headers=json_type)
    assert response.status_code == 400  # FastAPI's own answer to a body it cannot parse
    assert response.headers["content-type"] == PROBLEM


@pytest.mark.parametrize(
    "value",
    [{"text": "NaN and Infinity are just words here"}, {"n": 1.5, "list": [[1], [2]]}, {}],
)
async def test_valid_json_reaches_the_endpoint_unchanged(client, value):
    response = await client.post("/echo", json=value)
    assert response.status_code == 200
    assert response.json() == value


async def test_bodies_of_other_types_are_left_alone(client):
    assert strict_json_problem(b'{"x": NaN}') is not None
    response = await client.post("/echo", content=b"NaN", headers={"content-type": "text/plain"})
    assert response.status_code == 422  # the endpoint's own verdict: not a JSON object
    assert response.json()["errors"][0]["field"] == "body"


def test_malformed_json_is_left_to_the_endpoint():
    assert strict_json_problem(b'{"x": "NaN"') is None
    assert strict_json_problem(b'{"x": 1') is None


async def test_values_inside_arrays_are_left_to_the_endpoint(client):
    """A batch judges each item alone: a NaN in one item must not refuse the whole request."""
    body = b'{"items": [{"n": 1}, {"n": NaN}]}'
    response = await client.post(
        "/echo", content=body, headers={"content-type": "application/json"}
    )
    assert response.status_code == 200
