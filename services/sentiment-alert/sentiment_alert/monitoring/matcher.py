"""Matching mentions against a workspace's rules with the content scanner's normalisation, so
a rule finds its terms written in full width, in traditional characters or with symbols
inserted (花.西.子, 過敏)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from ahocorasick_rs import AhoCorasick, Implementation

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
    """All terms of all rules in one Aho–Corasick automaton: a text is scanned once, however
    many rules the workspace has (checking each term with `in` grew with the terms)."""

    def __init__(self, rules: Iterable[tuple[str, str, Iterable[str]]]) -> None:
        compiled = []
        for keyword, kind, terms in rules:
            normalised = {normalize_term(t) for t in (keyword, *terms)}
            normalised.discard("")
            compiled.append(CompiledRule(keyword, kind, tuple(sorted(normalised))))
        self.rules = tuple(compiled)
        self._patterns = sorted({term for rule in compiled for term in rule.terms})
        position = {term: index for index, term in enumerate(self._patterns)}
        # Per pattern, the rules (by position) listing it: two rules may share a term.
        self._rules_of: list[list[int]] = [[] for _ in self._patterns]
        for number, rule in enumerate(compiled):
            for term in rule.terms:
                self._rules_of[position[term]].append(number)
        self._automaton = (
            AhoCorasick(self._patterns, implementation=Implementation.DFA)
            if self._patterns
            else None
        )

    def __bool__(self) -> bool:
        return bool(self.rules)

    def match(self, text: str) -> Match:
        if self._automaton is None:
            return Match((), ())
        # Overlapping: a term inside another (花西子 in 花西子散粉) is found too.
        found = self._automaton.find_matches_as_indexes(normalised_text(text), overlapping=True)
        if not found:
            return Match((), ())
        hits: dict[int, set[str]] = {}
        for pattern, _, _ in found:
            for number in self._rules_of[pattern]:
                hits.setdefault(number, set()).add(self._patterns[pattern])
        keywords: list[str] = []
        terms: list[str] = []
        for number in sorted(hits):
            keywords.append(self.rules[number].keyword)
            terms.extend(sorted(hits[number]))
        return Match(tuple(keywords), tuple(terms))

    def kinds(self) -> dict[str, str]:
        return {rule.keyword: rule.kind for rule in self.rules}
