"""Aho–Corasick pattern sets over the normalised text and its phonetic channel.

Each pattern's payloads (the rules it stands for, or an exception or allowed phrase) are hit
rows built once with the dictionary (see ``hits``), so turning a scan's matches into hits is
one array lookup, however many matches there are.
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from itertools import chain

import numpy as np
from ahocorasick_rs import AhoCorasick, Implementation

from content_review.scanner import hits
from content_review.scanner.dictionaries import PLATFORMS, Rule, ShieldPhrase
from content_review.scanner.findings import Category, Severity
from content_review.scanner.workspace_lists import ALLOWABLE_CATEGORIES
from yunying_shared.text import normalize_term, phonetic_variants

CATEGORY_CODE = {category: code for code, category in enumerate(Category)}
# The PLATFORMS column is a mask of the platforms a rule applies on. A scan without a platform
# (or an unknown one) carries a bit of its own, which only rules for every platform have.
PLATFORM_BIT = {platform: 1 << index for index, platform in enumerate(sorted(PLATFORMS))}
NO_PLATFORM_BIT = 1 << len(PLATFORMS)
_EVERY_PLATFORM = (1 << (len(PLATFORMS) + 1)) - 1


@dataclass(frozen=True, slots=True)
class AllowPhrase:
    """A workspace's own allowed phrase (its brand or product names)."""

    text: str


def _rule_row(index: int, rule: Rule, contexts: frozenset[str]) -> list[int]:
    row = [0] * hits.COLUMNS
    row[hits.RULE] = index
    row[hits.KIND] = hits.TERM
    row[hits.SEVERITY] = rule.severity.rank
    row[hits.CATEGORY] = CATEGORY_CODE[rule.category]
    row[hits.PLATFORMS] = (
        sum(PLATFORM_BIT[platform] for platform in rule.platforms)
        if rule.platforms
        else _EVERY_PLATFORM
    )
    row[hits.ABSOLUTE] = rule.category is Category.ABSOLUTE_TERM
    row[hits.ALLOWABLE] = rule.category in ALLOWABLE_CATEGORIES
    row[hits.CONTEXT] = rule.category is Category.ABSOLUTE_TERM and rule.term in contexts
    return row


def _phrase_row(kind: int) -> list[int]:
    row = [0] * hits.COLUMNS
    row[hits.RULE] = -1
    row[hits.KIND] = kind
    return row


class PatternSet:
    """Many payloads may share one pattern (a term listed in two dictionaries)."""

    def __init__(self, entries: Iterable[tuple[str, list[int]]]) -> None:
        """``entries``: (pattern, the payload's hit row)."""
        by_pattern: dict[str, list[list[int]]] = {}
        for pattern, row in entries:
            if pattern:  # a term made only of separators normalises to nothing
                by_pattern.setdefault(pattern, []).append(row)
        self.patterns = list(by_pattern)
        groups = list(by_pattern.values())
        # Each pattern's first payload row at the pattern's index, so the common case (one
        # payload) is a single lookup; further payloads of a pattern follow all of those.
        first = [group[0] for group in groups]
        more = [(index, row) for index, group in enumerate(groups) for row in group[1:]]
        self.rows: hits.Matrix = np.array(first + [row for _, row in more], dtype=np.int64)
        self.rows = self.rows.reshape(-1, hits.COLUMNS)
        self.rows.flags.writeable = False
        self._more_of = np.array([index for index, _ in more], dtype=np.int64)
        self._more_rows = len(first) + np.arange(len(more), dtype=np.int64)
        # A DFA: the fastest search ahocorasick-rs offers, at a few MB for 20,000 terms.
        self._automaton = (
            AhoCorasick(self.patterns, implementation=Implementation.DFA) if self.patterns else None
        )

    def find(self, text: str) -> hits.Matrix:
        """A hit row for every payload of every pattern found in ``text``, in the order
        found."""
        if self._automaton is None or not text:
            return _NO_HITS
        # Overlapping, so a short term inside a longer one (最 in 最佳) and a shield phrase
        # around a term (最近) are all reported; precedence is decided afterwards.
        matches = self._automaton.find_matches_as_indexes(text, overlapping=True)
        if not matches:
            return _NO_HITS
        found = np.fromiter(chain.from_iterable(matches), dtype=np.int64, count=3 * len(matches))
        found = found.reshape(-1, 3)
        rows = self.rows[found[:, 0]]  # a copy: fancy indexing
        rows[:, hits.START : hits.END + 1] = found[:, 1:]
        if len(self._more_of):
            rows = self._with_more_payloads(found, rows)
        return rows

    def _with_more_payloads(self, found: hits.Matrix, rows: hits.Matrix) -> hits.Matrix:
        """Inserts, after each match of a pattern with several payloads, the rows of the others."""
        extra = [rows]
        position = [np.arange(len(rows)) * 2]
        for more, row_index in zip(self._more_of.tolist(), self._more_rows.tolist(), strict=True):
            at = np.flatnonzero(found[:, 0] == more)
            if len(at):
                added = np.repeat(self.rows[row_index : row_index + 1], len(at), axis=0)
                added[:, hits.START : hits.END + 1] = found[at, 1:]
                extra.append(added)
                position.append(at * 2 + 1)
        order = np.argsort(np.concatenate(position), kind="stable")
        return np.concatenate(extra)[order]


_NO_HITS = np.empty((0, hits.COLUMNS), dtype=np.int64)


@dataclass(frozen=True, slots=True)
class CompiledTerms:
    rules: tuple[Rule, ...]
    literal: PatternSet
    phonetic: PatternSet
    has_phrases: bool  # shield or allowed phrases among the literal patterns


def compile_terms(
    rules: Sequence[Rule],
    shields: Iterable[ShieldPhrase] = (),
    allows: Iterable[AllowPhrase] = (),
    *,
    first_rule: int = 0,
    context_terms: frozenset[str] = frozenset(),
) -> CompiledTerms:
    """``first_rule``: the RULE number of ``rules[0]`` (a workspace's rules come after the
    shipped ones); ``context_terms``: absolute terms with context rules."""
    rule_rows = [
        _rule_row(first_rule + index, rule, context_terms) for index, rule in enumerate(rules)
    ]
    literal_entries = [
        (normalize_term(rule.term), row) for rule, row in zip(rules, rule_rows, strict=True)
    ]
    phrases = [(normalize_term(shield.text), _phrase_row(hits.SHIELD)) for shield in shields]
    phrases += [(normalize_term(allow.text), _phrase_row(hits.ALLOW)) for allow in allows]
    return CompiledTerms(
        rules=tuple(rules),
        literal=PatternSet(literal_entries + phrases),
        phonetic=PatternSet(
            (variant, _phonetic_row(variant, row))
            for rule, row in zip(rules, rule_rows, strict=True)
            if rule.phonetic
            for variant in phonetic_variants(rule.term)
        ),
        has_phrases=any(pattern for pattern, _ in phrases),
    )


def _phonetic_row(variant: str, rule_row: list[int]) -> list[int]:
    row = list(rule_row)
    # The phonetic channel keeps every non-Han character as written, so a match holds Latin
    # letters exactly when its pattern does: spelled in pinyin, not a homophone.
    if any(ch.isascii() and ch.isalpha() for ch in variant):
        row[hits.MATCH] = hits.PINYIN
    else:
        row[hits.MATCH] = hits.HOMOPHONE
        # A homophone may be an innocent word (威信 is "prestige"): a person decides.
        row[hits.SEVERITY] = min(row[hits.SEVERITY], Severity.NEEDS_REVIEW.rank)
    return row
