"""The compliance scanner: dictionaries matched over normalised text, exceptions applied.

A scan finds every match at once (two automata per dictionary set), then decides as array
operations over all of them (``hits``): platform, word boundaries, SAMR's exception phrases, the
workspace's allow list, phonetic matches across a sentence break, one finding per place and
category. Only the survivors become ``Finding`` objects, in one loop that also applies the
context rules of absolute terms.
"""

from collections import OrderedDict
from threading import Lock

import numpy as np

from content_review.scanner import hits as h
from content_review.scanner.automaton import (
    NO_PLATFORM_BIT,
    PLATFORM_BIT,
    AllowPhrase,
    CompiledTerms,
    compile_terms,
)
from content_review.scanner.dictionaries import ContextRule, Rule, ScannerData
from content_review.scanner.findings import Finding, MatchKind, Severity
from content_review.scanner.workspace_lists import WorkspaceLists
from yunying_shared.text import NormalizedText, normalize

# Workspaces scanned recently keep their compiled lists; building one takes milliseconds.
_WORKSPACE_CACHE_SIZE = 256
_HOMOPHONE_NOTE = "同音字变体：请确认是否为规避写法"
_PINYIN_NOTE = "拼音变体：请确认是否为规避写法"
_SEVERITY_BY_RANK = sorted(Severity, key=lambda severity: severity.rank)
_MATCH_KINDS = (MatchKind.LITERAL, MatchKind.PINYIN, MatchKind.HOMOPHONE)
_MATCH_NOTES = ("", _PINYIN_NOTE, _HOMOPHONE_NOTE)


class Scanner:
    def __init__(self, data: ScannerData) -> None:
        self.data = data
        self._contexts_by_term: dict[str, list[ContextRule]] = {}
        for context in data.contexts:
            for term in context.terms:
                self._contexts_by_term.setdefault(term, []).append(context)
        self._compiled = compile_terms(
            data.rules, data.shields, context_terms=frozenset(self._contexts_by_term)
        )
        self._workspaces: OrderedDict[WorkspaceLists, CompiledTerms] = OrderedDict()
        self._workspaces_lock = Lock()

    @property
    def term_count(self) -> int:
        return len(self.data.rules)

    def scan(
        self, text: str, *, platform: str | None = None, lists: WorkspaceLists | None = None
    ) -> list[Finding]:
        normalised = normalize(text)
        sets = [self._compiled]
        if lists is not None and (lists.allow or lists.deny):
            sets.append(self._workspace_terms(lists))
        found = _find(sets, normalised)
        if not len(found):
            return []
        hits, shields, allows = _split_phrases(found, sets)
        if not len(hits):
            return []
        offsets = h.Offsets(normalised)
        starts, ends = offsets.spans(hits)
        applies = _applicable(hits, platform, offsets, starts, ends, shields, allows)
        rows = np.flatnonzero(applies)
        if not len(rows):
            return []
        # Nesting first: the longer term decides what the place means, so 最 inside a 最好 that
        # turns out to be a consumer tip ("最好在睡前使用") goes with it.
        rows = rows[h.outermost(hits[rows], len(normalised.text))]
        kept = hits[rows]
        return self._findings(
            normalised,
            sets,
            kept[:, [h.RULE, h.START, h.END, h.MATCH, h.SEVERITY, h.CONTEXT]].tolist(),
            starts[rows].tolist(),
            ends[rows].tolist(),
        )

    def _findings(
        self,
        normalised: NormalizedText,
        sets: list[CompiledTerms],
        rows: list[list[int]],
        starts: list[int],
        ends: list[int],
    ) -> list[Finding]:
        shipped, workspace = sets[0].rules, sets[-1].rules
        original = normalised.original
        findings = []
        for (index, start, end, match, rank, context), original_start, original_end in zip(
            rows, starts, ends, strict=True
        ):
            rule = shipped[index] if index < len(shipped) else workspace[index - len(shipped)]
            severity = _SEVERITY_BY_RANK[rank]
            note = _MATCH_NOTES[match]
            if context:
                decided = self._in_context(rule, start, end, severity, normalised)
                if decided is None:
                    continue
                severity, note = decided[0], decided[1] or note
            findings.append(
                Finding(
                    original_start,
                    original_end,
                    original[original_start:original_end],
                    rule.term,
                    rule.category,
                    severity,
                    rule.rule_id,
                    rule.legal_basis,
                    rule.suggestion,
                    _MATCH_KINDS[match],
                    note,
                )
            )
        return findings

    def _in_context(
        self, rule: Rule, start: int, end: int, severity: Severity, normalised: NormalizedText
    ) -> tuple[Severity, str] | None:
        """The context rules of an absolute term (SAMR's exceptions that depend on the words
        around it): None when one suppresses the finding, else its severity and note."""
        note = ""
        text = normalised.text
        for context in self._contexts_by_term[rule.term]:
            before = text[max(0, start - context.window) : start]
            after = text[end : end + context.window]
            if context.before is not None and not context.before.search(before):
                continue
            if context.after is not None and not context.after.search(after):
                continue
            if context.effect is None:
                return None
            if context.effect.rank < severity.rank:
                severity = context.effect
                note = f"{context.note}（{context.clause}）" if context.note else context.clause
        return severity, note

    def _workspace_terms(self, lists: WorkspaceLists) -> CompiledTerms:
        with self._workspaces_lock:
            compiled = self._workspaces.get(lists)
            if compiled is not None:
                self._workspaces.move_to_end(lists)
                return compiled
        compiled = compile_terms(
            lists.deny_rules(),
            allows=[AllowPhrase(text) for text in lists.allow if text.strip()],
            first_rule=len(self._compiled.rules),
        )
        with self._workspaces_lock:
            self._workspaces[lists] = compiled
            if len(self._workspaces) > _WORKSPACE_CACHE_SIZE:
                self._workspaces.popitem(last=False)
        return compiled


def _find(sets: list[CompiledTerms], normalised: NormalizedText) -> h.Matrix:
    """Every hit of every set, in the order the sets list them: each set's literal hits, then
    its phonetic ones. A phonetic hit whose text is the term itself duplicates a literal hit
    of the same rule and span, and goes with the nesting (a literal hit sorts first)."""
    blocks = []
    for compiled in sets:
        blocks.append(compiled.literal.find(normalised.text))
        if compiled.phonetic.patterns:
            blocks.append(compiled.phonetic.find(normalised.phonetic))
    return np.concatenate(blocks)


def _split_phrases(
    found: h.Matrix, sets: list[CompiledTerms]
) -> tuple[h.Matrix, h.Matrix, h.Matrix]:
    """The rule hits, and the spans of the exception and allowed phrases found."""
    none = found[:0, h.START : h.END + 1]
    if not any(compiled.has_phrases for compiled in sets):
        return found, none, none
    kinds = found[:, h.KIND]
    terms = kinds == h.TERM
    if terms.all():
        return found, none, none
    return found[terms], h.spans_of(found, h.SHIELD), h.spans_of(found, h.ALLOW)


def _applicable(
    hits: h.Matrix,
    platform: str | None,
    offsets: h.Offsets,
    original_starts: h.Indexes,
    original_ends: h.Indexes,
    shields: h.Matrix,
    allows: h.Matrix,
) -> h.Flags:
    """Per hit: does it stand, before nesting?"""
    bit = PLATFORM_BIT.get(platform or "", NO_PLATFORM_BIT)
    applies: h.Flags = (hits[:, h.PLATFORMS] & bit) != 0
    if len(shields):
        # SAMR's exception phrases (最近, 最佳饮用期) around an absolute term.
        applies &= ~(hits[:, h.ABSOLUTE].astype(bool) & h.covered(hits, shields))
    if len(allows):
        applies &= ~(hits[:, h.ALLOWABLE].astype(bool) & h.covered(hits, allows))
    # Sounds that happen to line up across a line or sentence break (服\n周 -> 符咒) are not
    # a spelling of anything. Literal matches may cross one (vertical writing is an evasion);
    # phonetic ones may not.
    phonetic = hits[:, h.MATCH] != h.LITERAL
    if phonetic.any():
        applies &= ~(phonetic & offsets.crosses_a_sentence(original_starts, original_ends))
    # Latin matches must sit on word boundaries of the original.
    glued = offsets.glued()
    if glued is not None:
        applies &= ~(glued[hits[:, h.START]] | glued[hits[:, h.END]])
    return applies
