"""The rule tree a segment is defined by: `and` / `or` / `not` over leaf conditions.

Structure is checked here (pydantic, a discriminated union on `type`); what a leaf may say about
its field (known field, operator fitting the field's type, value shape) is checked in
`validation.py`, so every error names its path in the tree.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from yunying_shared.storable import Identifier


class _Node(BaseModel):
    model_config = ConfigDict(extra="forbid")


class AllOf(_Node):
    type: Literal["and"]
    rules: list[RuleNode] = Field(min_length=1, max_length=50)


class AnyOf(_Node):
    type: Literal["or"]
    rules: list[RuleNode] = Field(min_length=1, max_length=50)


class Not(_Node):
    type: Literal["not"]
    rule: RuleNode


class FieldCondition(_Node):
    """A profile field: stage, tier, scores, RFM class, attributes, aggregates, timestamps."""

    type: Literal["field"]
    field: str = Field(max_length=64, examples=["stage"])
    operator: str = Field(max_length=32, examples=["in"])
    value: Any = Field(default=None, examples=[["active", "loyal"]])


class TagCondition(_Node):
    """The user carries the tag (not expired), optionally with at least some confidence."""

    type: Literal["tag"]
    tag: Identifier = Field(min_length=1, max_length=64, examples=["敏感肌"])
    operator: str = Field(default="has", max_length=32, examples=["has", "has_not"])
    min_confidence: float | None = Field(default=None, ge=0, le=1)


class EventCondition(_Node):
    """A count of raw events of one type, or the sum of their amounts, within the last N days."""

    type: Literal["event"]
    event_type: Identifier = Field(min_length=1, max_length=64, examples=["product_view"])
    measure: Literal["count", "sum_amount"] = "count"
    within_days: int = Field(ge=1, le=3650)
    operator: str = Field(max_length=32, examples=["gte"])
    value: Any = Field(examples=[3])


RuleNode = Annotated[
    AllOf | AnyOf | Not | FieldCondition | TagCondition | EventCondition,
    Field(discriminator="type"),
]
Leaf = FieldCondition | TagCondition | EventCondition

AllOf.model_rebuild()
AnyOf.model_rebuild()
Not.model_rebuild()


class RuleHolder(BaseModel):
    """Parses a rule stored as JSON (segments keep the tree as saved)."""

    rule: RuleNode


def parse_rule(raw: dict[str, Any]) -> RuleNode:
    return RuleHolder.model_validate({"rule": raw}).rule


def leaves(rule: RuleNode, path: str = "rule") -> list[tuple[str, Leaf]]:
    """Every leaf with its path, left to right."""
    match rule:
        case AllOf() | AnyOf():
            return [
                pair
                for i, child in enumerate(rule.rules)
                for pair in leaves(child, f"{path}.rules.{i}")
            ]
        case Not():
            return leaves(rule.rule, f"{path}.rule")
        case _:
            return [(path, rule)]


def fields_read(rule: RuleNode) -> frozenset[str]:
    """The profile fields a rule's field conditions name (tags and events not included)."""
    return frozenset(leaf.field for _, leaf in leaves(rule) if isinstance(leaf, FieldCondition))
