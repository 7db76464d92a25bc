"""A workspace's own allow and deny lists, passed in by the caller (stored by the service)."""

from dataclasses import dataclass

from content_review.scanner.dictionaries import Rule
from content_review.scanner.findings import Category, Severity

WORKSPACE_BASIS = "工作区自定义规则（品牌规范）"


@dataclass(frozen=True, slots=True)
class DenyTerm:
    term: str
    severity: Severity = Severity.NEEDS_REVIEW
    suggestion: str = ""


@dataclass(frozen=True, slots=True)
class WorkspaceLists:
    """``allow``: the brand's own names and phrases; an absolute term, a platform term or a
    deny-list term inside one is no finding (SAMR's guide allows names and trademarks that
    contain an absolute term). Law-based categories (sensitive topics, false claims) are never
    allowed away by a workspace. ``deny``: extra terms, matched like the shipped ones."""

    allow: tuple[str, ...] = ()
    deny: tuple[DenyTerm, ...] = ()

    def deny_rules(self) -> list[Rule]:
        return [
            Rule(
                rule_id=f"workspace:{entry.term}",
                term=entry.term,
                category=Category.WORKSPACE_DENY,
                severity=entry.severity,
                legal_basis=WORKSPACE_BASIS,
                suggestion=entry.suggestion,
                phonetic=True,
            )
            for entry in self.deny
            if entry.term.strip()
        ]


ALLOWABLE_CATEGORIES = frozenset(
    {Category.ABSOLUTE_TERM, Category.PLATFORM_RULE, Category.WORKSPACE_DENY}
)
