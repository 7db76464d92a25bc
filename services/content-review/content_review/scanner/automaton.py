"""Aho–Corasick pattern sets over the normalised text and its phonetic channel."""

from collections.abc import Iterable
from dataclasses import dataclass

from ahocorasick_rs import AhoCorasick

from content_review.scanner.dictionaries import Rule, ShieldPhrase
from yunying_shared.text import normalize_term, phonetic_variants


@dataclass(frozen=True, slots=True)
class AllowPhrase:
    """A workspace's own allowed phrase (its brand or product names)."""

    text: str


Payload = Rule | ShieldPhrase | AllowPhrase


class PatternSet:
    """Many payloads may share one pattern (a term listed in two dictionaries)."""

    def __init__(self, entries: Iterable[tuple[str, Payload]]) -> None:
        by_pattern: dict[str, list[Payload]] = {}
        for pattern, payload in entries:
            if pattern:  # a term made only of separators normalises to nothing
                by_pattern.setdefault(pattern, []).append(payload)
        self.patterns = list(by_pattern)
        self._payloads = [tuple(payloads) for payloads in by_pattern.values()]
        self._automaton = AhoCorasick(self.patterns) if self.patterns else None

    def find(self, text: str) -> list[tuple[tuple[Payload, ...], int, int]]:
        if self._automaton is None:
            return []
        # Overlapping, so a short term inside a longer one (最 in 最佳) and a shield phrase
        # around a term (最近) are all reported; precedence is decided afterwards.
        matches = self._automaton.find_matches_as_indexes(text, overlapping=True)
        return [(self._payloads[index], start, end) for index, start, end in matches]


@dataclass(frozen=True, slots=True)
class CompiledTerms:
    literal: PatternSet
    phonetic: PatternSet
    normalised_terms: dict[str, str]  # rule id -> the term as it is matched literally


def compile_terms(
    rules: Iterable[Rule],
    shields: Iterable[ShieldPhrase] = (),
    allows: Iterable[AllowPhrase] = (),
) -> CompiledTerms:
    rules = list(rules)
    normalised_terms = {rule.rule_id: normalize_term(rule.term) for rule in rules}
    literal_entries: list[tuple[str, Payload]] = [
        (normalised_terms[rule.rule_id], rule) for rule in rules
    ]
    literal_entries += [(normalize_term(shield.text), shield) for shield in shields]
    literal_entries += [(normalize_term(allow.text), allow) for allow in allows]
    phonetic_entries: list[tuple[str, Payload]] = [
        (variant, rule)
        for rule in rules
        if rule.phonetic
        for variant in phonetic_variants(rule.term)
    ]
    return CompiledTerms(
        literal=PatternSet(literal_entries),
        phonetic=PatternSet(phonetic_entries),
        normalised_terms=normalised_terms,
    )
