import pytest

from segmentation.segments.rules import parse_rule
from segmentation.segments.validation import MAX_DEPTH, InvalidRule, check_rule


def _problems(raw):
    with pytest.raises(InvalidRule) as caught:
        check_rule(parse_rule(raw))
    return {e["field"]: e["message"] for e in caught.value.extensions["errors"]}


def _stage_in(*stages):
    return {"type": "field", "field": "stage", "operator": "in", "value": list(stages)}


def test_unknown_field_is_named_by_its_path():
    problems = _problems(
        {
            "type": "and",
            "rules": [
                _stage_in("active"),
                {
                    "type": "or",
                    "rules": [
                        {"type": "field", "field": "shoe_size", "operator": "eq", "value": 42}
                    ],
                },
            ],
        }
    )
    assert list(problems) == ["rule.rules.1.rules.0.field"]
    assert "unknown field 'shoe_size'" in problems["rule.rules.1.rules.0.field"]


def test_operator_must_fit_the_field_type():
    problems = _problems(
        {
            "type": "and",
            "rules": [
                {"type": "field", "field": "stage", "operator": "gte", "value": "active"},
                {
                    "type": "not",
                    "rule": {
                        "type": "field",
                        "field": "last_purchase_at",
                        "operator": "eq",
                        "value": 3,
                    },
                },
                {
                    "type": "event",
                    "event_type": "purchase",
                    "within_days": 30,
                    "operator": "in",
                    "value": [1],
                },
                {"type": "tag", "tag": "敏感肌", "operator": "eq"},
            ],
        }
    )
    assert set(problems) == {
        "rule.rules.0.operator",
        "rule.rules.1.rule.operator",
        "rule.rules.2.operator",
        "rule.rules.3.operator",
    }
    assert "'gte' does not apply to stage (choice)" in problems["rule.rules.0.operator"]


def test_values_are_checked_against_the_field():
    problems = _problems(
        {
            "type": "or",
            "rules": [
                _stage_in("active", "sleeping"),
                {"type": "field", "field": "r_score", "operator": "gte", "value": 7},
                {"type": "field", "field": "order_count", "operator": "between", "value": [5, 2]},
                {
                    "type": "field",
                    "field": "last_purchase_at",
                    "operator": "within_days",
                    "value": True,
                },
                {
                    "type": "event",
                    "event_type": "product_view",
                    "within_days": 7,
                    "operator": "gte",
                    "value": 2.5,
                },
                {"type": "field", "field": "identity", "operator": "has", "value": "myspace_id"},
            ],
        }
    )
    assert set(problems) == {f"rule.rules.{i}.value" for i in range(6)}
    assert "'sleeping'" in problems["rule.rules.0.value"]
    assert "at most 5" in problems["rule.rules.1.value"]


def test_too_deep_is_rejected_at_the_first_level_past_the_limit():
    rule = _stage_in("active")
    for _ in range(MAX_DEPTH):
        rule = {"type": "not", "rule": rule}
    problems = _problems(rule)
    path = "rule" + ".rule" * MAX_DEPTH
    assert problems == {path: f"nested too deep; at most {MAX_DEPTH} levels"}


def test_too_many_conditions():
    rule = {
        "type": "or",
        "rules": [
            {"type": "and", "rules": [_stage_in("active")] * 30},
            {"type": "and", "rules": [_stage_in("loyal")] * 21},
        ],
    }
    assert "51 conditions; at most 50" in _problems(rule)["rule"]


def test_a_sound_rule_passes():
    check_rule(
        parse_rule(
            {
                "type": "and",
                "rules": [
                    _stage_in("active", "loyal"),
                    {"type": "field", "field": "tier", "operator": "ne", "value": "low_value"},
                    {"type": "field", "field": "monetary_total", "operator": "gte", "value": 99.5},
                    {
                        "type": "field",
                        "field": "last_purchase_at",
                        "operator": "within_days",
                        "value": 30,
                    },
                    {"type": "field", "field": "region", "operator": "is_set"},
                    {
                        "type": "field",
                        "field": "identity",
                        "operator": "has",
                        "value": "wechat_openid",
                    },
                    {"type": "tag", "tag": "职场妈妈", "min_confidence": 0.5},
                    {
                        "type": "event",
                        "event_type": "purchase",
                        "measure": "sum_amount",
                        "within_days": 30,
                        "operator": "gte",
                        "value": 500,
                    },
                ],
            }
        )
    )
