"""Save-time checks of a rule tree; each problem names its path (`rule.rules.1.operator`)."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from segmentation.segments.fields import (
    EVENT_OPERATORS,
    FIELDS,
    OPERATORS,
    TAG_OPERATORS,
    FieldSpec,
    Kind,
)
from segmentation.segments.rules import (
    AllOf,
    AnyOf,
    EventCondition,
    FieldCondition,
    Not,
    RuleNode,
    TagCondition,
)
from yunying_shared.errors import Conflict, InvalidInput
from yunying_shared.storable import int64_problem, text_problem

MAX_DEPTH = 8  # nodes from the root to the deepest leaf
MAX_CONDITIONS = 50  # leaves of one rule
# Every live segment is evaluated with every batch of events of its workspace: the per-event
# cost grows with their number (docs/BENCHMARKS.md: at 200 the 1,000 events/s target is not
# met yet; the limit bounds the cost, it is not a promise of that rate).
MAX_LIVE_SEGMENTS = 200
MAX_LIST = 200
TIMESTAMP_DAYS = (1, 3650)


@dataclass(frozen=True)
class Problem:
    path: str
    message: str


class InvalidRule(InvalidInput):
    title = "Invalid segment rule"
    code = "invalid_segment_rule"


class LiveSegmentLimit(Conflict):
    title = "Too many live segments"
    code = "live_segment_limit"


def check_rule(rule: RuleNode) -> None:
    problems = _walk(rule, "rule", 1)
    count = _count_leaves(rule)
    if count > MAX_CONDITIONS:
        problems.insert(0, Problem("rule", f"{count} conditions; at most {MAX_CONDITIONS}"))
    if problems:
        raise InvalidRule(
            f"{problems[0].path}: {problems[0].message}",
            errors=[{"field": p.path, "message": p.message} for p in problems],
        )


def _count_leaves(rule: RuleNode) -> int:
    match rule:
        case AllOf() | AnyOf():
            return sum(_count_leaves(child) for child in rule.rules)
        case Not():
            return _count_leaves(rule.rule)
        case _:
            return 1


def _walk(rule: RuleNode, path: str, depth: int) -> list[Problem]:
    if depth > MAX_DEPTH:
        return [Problem(path, f"nested too deep; at most {MAX_DEPTH} levels")]
    match rule:
        case AllOf() | AnyOf():
            return [
                p
                for i, child in enumerate(rule.rules)
                for p in _walk(child, f"{path}.rules.{i}", depth + 1)
            ]
        case Not():
            return _walk(rule.rule, f"{path}.rule", depth + 1)
        case FieldCondition():
            return _check_field(rule, path)
        case TagCondition():
            if rule.operator not in TAG_OPERATORS:
                return [_bad_operator(path, rule.operator, "a tag", TAG_OPERATORS)]
            return []
        case EventCondition():
            return _check_event(rule, path)
    raise AssertionError(rule)


def _bad_operator(path: str, operator: str, what: str, allowed: frozenset[str]) -> Problem:
    return Problem(
        f"{path}.operator",
        f"operator {operator!r} does not apply to {what}; use one of {', '.join(sorted(allowed))}",
    )


def _check_field(rule: FieldCondition, path: str) -> list[Problem]:
    spec = FIELDS.get(rule.field)
    if spec is None:
        return [
            Problem(
                f"{path}.field", f"unknown field {rule.field!r}; known: {', '.join(sorted(FIELDS))}"
            )
        ]
    allowed = OPERATORS[spec.kind]
    if rule.operator not in allowed:
        return [_bad_operator(path, rule.operator, f"{rule.field} ({spec.kind})", allowed)]
    error = _value_error(spec, rule.operator, rule.value)
    return [Problem(f"{path}.value", error)] if error else []


def _value_error(spec: FieldSpec, operator: str, value: Any) -> str | None:
    if operator in ("is_set", "is_not_set"):
        return None if value is None else f"{operator} takes no value"
    if operator in ("within_days", "not_within_days"):
        low, high = TIMESTAMP_DAYS
        if not _is_int(value) or not low <= value <= high:
            return f"{operator} takes a whole number of days from {low} to {high}"
        return None
    if operator in ("in", "not_in"):
        if not isinstance(value, list) or not 1 <= len(value) <= MAX_LIST:
            return f"{operator} takes a list of 1 to {MAX_LIST} values"
        return next((e for e in (_scalar_error(spec, v) for v in value) if e), None)
    if operator == "between":
        return _between_error(value, lambda v: _scalar_error(spec, v))
    return _scalar_error(spec, value)


def _between_error(value: Any, check: Callable[[Any], str | None]) -> str | None:
    if not isinstance(value, list) or len(value) != 2:
        return "between takes [low, high]"
    error = check(value[0]) or check(value[1])
    if error:
        return error
    return "between needs low <= high" if value[0] > value[1] else None


def _scalar_error(spec: FieldSpec, value: Any) -> str | None:
    if spec.kind in (Kind.CHOICE, Kind.IDENTITY):
        if value not in spec.choices:
            return f"{value!r} is not one of {', '.join(spec.choices)}"
        return None
    if spec.kind is Kind.TEXT:
        ok = isinstance(value, str) and 0 < len(value) <= 128
        if not ok:
            return "expected a string of 1 to 128 characters"
        return text_problem(value, allow_control=True)
    numeric = _is_int(value) if spec.kind is Kind.INTEGER else _is_number(value)
    if not numeric:
        return "expected a whole number" if spec.kind is Kind.INTEGER else "expected a number"
    if spec.minimum is not None and value < spec.minimum:
        return f"must be at least {spec.minimum:g}"
    if spec.maximum is not None and value > spec.maximum:
        return f"must be at most {spec.maximum:g}"
    return None


def _check_event(rule: EventCondition, path: str) -> list[Problem]:
    if rule.operator not in EVENT_OPERATORS:
        return [_bad_operator(path, rule.operator, f"an event {rule.measure}", EVENT_OPERATORS)]

    def check(value: Any) -> str | None:
        if rule.measure == "count":
            return None if _is_int(value) and value >= 0 else "expected a count (whole number >= 0)"
        return None if _is_number(value) else "expected a number"

    error = _between_error(rule.value, check) if rule.operator == "between" else check(rule.value)
    return [Problem(f"{path}.value", error)] if error else []


def _is_int(value: Any) -> bool:
    """A whole number the databases can bind (beyond 64 bits PostgreSQL refuses the query)."""
    return isinstance(value, int) and not isinstance(value, bool) and not int64_problem(value)


def _is_number(value: Any) -> bool:
    if isinstance(value, float):
        return math.isfinite(value)
    return _is_int(value)
