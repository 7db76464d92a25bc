"""The scopes an API key may be granted: those the installed services declare in their
definitions (`ServiceDefinition.scopes`), checked by their routes with `require_scopes`."""

from __future__ import annotations

from functools import cache
from typing import Annotated

from pydantic import AfterValidator, WithJsonSchema

from yunying_shared.kit import installed, installed_scopes


@cache
def known_scopes() -> dict[str, str]:
    return installed_scopes(installed(exclude=["gateway"]))


def _known(scope: str) -> str:
    if scope not in known_scopes():
        raise ValueError(f"unknown scope; one of: {', '.join(known_scopes())}")
    return scope


ScopeName = Annotated[
    str,
    AfterValidator(_known),
    WithJsonSchema({"type": "string", "enum": list(known_scopes())}),
]
