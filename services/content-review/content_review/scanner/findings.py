"""What a scan reports."""

from enum import StrEnum
from typing import NamedTuple


class Category(StrEnum):
    POLITICS = "politics"
    RELIGION = "religion"
    PORNOGRAPHY = "pornography"
    FALSE_CLAIM = "false_claim"
    ABSOLUTE_TERM = "absolute_term"
    PLATFORM_RULE = "platform_rule"
    WORKSPACE_DENY = "workspace_deny"
    IMAGE_LICENCE = "image_licence"


class Severity(StrEnum):
    BLOCK = "block"  # cannot be approved until rewritten
    NEEDS_REVIEW = "needs_review"  # a person decides at stage 1
    HINT = "hint"  # shown to the editor, never holds the item

    @property
    def rank(self) -> int:
        return _RANK[self]


_RANK = {Severity.HINT: 0, Severity.NEEDS_REVIEW: 1, Severity.BLOCK: 2}


class MatchKind(StrEnum):
    LITERAL = "literal"  # the term itself, possibly disguised by width, case, script, symbols
    PINYIN = "pinyin"  # spelled out in pinyin, wholly or in part (weixin, 微xin)
    HOMOPHONE = "homophone"  # other characters with the same sound (威信)


class Finding(NamedTuple):
    """Immutable like a frozen dataclass, and five times cheaper to build: finding-dense copy
    makes a hundred of these per post."""

    start: int  # offsets in the ORIGINAL text, end exclusive
    end: int
    text: str  # the original text of the span, as written
    term: str  # the listed term it matched
    category: Category
    severity: Severity
    rule_id: str
    legal_basis: str
    suggestion: str
    match: MatchKind = MatchKind.LITERAL
    note: str = ""
