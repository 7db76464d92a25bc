"""Matching mentions against a workspace's rules with the content scanner's normalisation, so
a rule finds its terms written in full width, in traditional characters or with symbols
inserted (花.西.子, 過敏)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sentiment_alert.monitoring.normalised import normalised_text
from yunying_shared.text import normalize_term


@dataclass(frozen=True, slots=True)
class CompiledRule:
    keyword: str
    kind: str
    terms: tuple[str, ...]  # normalised keyword and terms


@dataclass(frozen=True, slots=True)
class Match:
    keywords: tuple[str, ...]  # rule keywords, in rule order
    terms: tuple[str, ...]  # the normalised terms found (for an alert's top terms)


class RuleMatcher:
    def __init__(self, rules: Iterable[tuple[str, str, Iterable[str]]]) -> None:
        compiled = []
        for keyword, kind, terms in rules:
            normalised = {normalize_term(t) for t in (keyword, *terms)}
            normalised.discard("")
            compiled.append(CompiledRule(keyword, kind, tuple(sorted(normalised))))
        self.rules = tuple(compiled)

    def __bool__(self) -> bool:
        return bool(self.rules)

    def match(self, text: str) -> Match:
        if not self.rules:
            return Match((), ())
        normalised = normalised_text(text)
        keywords: list[str] = []
        found: list[str] = []
        for rule in self.rules:
            hits = [term for term in rule.terms if term in normalised]
            if hits:
                keywords.append(rule.keyword)
                found.extend(hits)
        return Match(tuple(keywords), tuple(found))

    def kinds(self) -> dict[str, str]:
        return {rule.keyword: rule.kind for rule in self.rules}
