"""Live segments as evaluation needs them, and their parsed rules cached by (id, version)."""

from __future__ import annotations

from typing import NamedTuple
from uuid import UUID

from segmentation.segments.models import Segment
from segmentation.segments.rules import RuleNode, parse_rule


class LiveSegment(NamedTuple):
    id: UUID
    version: int
    name: str
    workspace_id: UUID


_rules: dict[tuple[UUID, int], RuleNode] = {}


def rule_of(segment: Segment | LiveSegment) -> RuleNode:
    """The parsed rule; a (segment, version) never changes, so it is parsed once per process
    (a save always bumps the version)."""
    key = (segment.id, segment.version)
    rule = _rules.get(key)
    if rule is None:
        if len(_rules) > 10_000:
            _rules.clear()
        assert isinstance(segment, Segment), "live_segments() parsed it"
        rule = _rules[key] = parse_rule(segment.rule)
    return rule


def is_parsed(segment: LiveSegment) -> bool:
    return (segment.id, segment.version) in _rules
