"""Property-based API testing from the gateway's merged API document (schemathesis), against
the embedded mode as a user starts it, as an admin and as an API key: no input may produce a
5xx, and every response must match the document (status, content type, schema, headers).
The budget is bounded and derandomized, so a CI failure reproduces locally; every finding
becomes a regression test beside the code it concerns."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from schemathesis import checks

# What the document promises. Left out: `positive_data_acceptance` (rules across fields, such as
# `to` after `from`, cannot be written in a schema, so schema-valid input may rightly get a 422)
# and `ignored_auth` (credentials are passed per call here, which that check cannot remove;
# tests/test_authorization_matrix.py covers who may call what).
CHECKS = [
    checks.not_a_server_error,
    checks.status_code_conformance,
    checks.content_type_conformance,
    checks.response_schema_conformance,
    checks.response_headers_conformance,
    checks.negative_data_rejection,
    checks.unsupported_method,
]

BUDGET = settings(
    max_examples=10,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    derandomize=True,
    database=None,
)


def _fuzz(api_schema, headers: dict[str, str]) -> list[str]:
    failures: list[str] = []
    for result in api_schema.get_all_operations():
        operation = result.ok()

        @BUDGET
        @given(case=operation.as_strategy())
        def check(case) -> None:
            case.call_and_validate(headers=headers, checks=CHECKS)

        try:
            check()
        except (Exception, BaseExceptionGroup) as exc:  # schemathesis' FailureGroup is the latter
            failures.append(f"{operation.label}: {exc}"[:2000])
    return failures


@pytest.mark.parametrize("caller", ["admin_headers", "api_key_headers"])
def test_no_input_breaks_the_api_and_answers_match_the_document(api_schema, caller, request):
    failures = _fuzz(api_schema, request.getfixturevalue(caller))
    assert not failures, "\n\n".join(failures)
