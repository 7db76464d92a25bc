"""The compliance scanner: dictionaries matched over normalised text, exceptions applied."""

from collections import OrderedDict
from dataclasses import dataclass, field
from threading import Lock

from content_review.scanner.automaton import AllowPhrase, CompiledTerms, compile_terms
from content_review.scanner.dictionaries import ContextRule, Rule, ScannerData, ShieldPhrase
from content_review.scanner.findings import Category, Finding, MatchKind, Severity
from content_review.scanner.workspace_lists import ALLOWABLE_CATEGORIES, WorkspaceLists
from yunying_shared.text import NormalizedText, normalize

# Workspaces scanned recently keep their compiled lists; building one takes milliseconds.
_WORKSPACE_CACHE_SIZE = 256
_HOMOPHONE_NOTE = "同音字变体：请确认是否为规避写法"
_PINYIN_NOTE = "拼音变体：请确认是否为规避写法"
_SENTENCE_BREAKS = frozenset("\n\r\u2028\u2029。！？!?；;…")


@dataclass(slots=True)
class _Hit:
    rule: Rule
    start: int  # normalised offsets
    end: int
    match: MatchKind
    severity: Severity
    note: str = ""


class _Cover:
    """Spans (shield or allow phrases) by start, to ask whether one covers a hit. A text can
    hold hundreds of them (every 最近, 第一次), so each question looks only at the starts
    from which a covering span could begin."""

    def __init__(self) -> None:
        self._end_by_start: dict[int, int] = {}
        self._longest = 0

    def add(self, start: int, end: int) -> None:
        if end > self._end_by_start.get(start, -1):
            self._end_by_start[start] = end
        self._longest = max(self._longest, end - start)

    def covers(self, start: int, end: int) -> bool:
        if not self._end_by_start:
            return False
        ends = self._end_by_start
        return any(
            ends.get(outer_start, -1) >= end
            for outer_start in range(max(0, end - self._longest), start + 1)
        )


@dataclass(slots=True)
class _Matches:
    hits: list[_Hit] = field(default_factory=list)
    shields: _Cover = field(default_factory=_Cover)
    allows: _Cover = field(default_factory=_Cover)


class Scanner:
    def __init__(self, data: ScannerData) -> None:
        self.data = data
        self._compiled = compile_terms(data.rules, data.shields)
        self._contexts_by_term: dict[str, list[ContextRule]] = {}
        for context in data.contexts:
            for term in context.terms:
                self._contexts_by_term.setdefault(term, []).append(context)
        self._workspaces: OrderedDict[WorkspaceLists, CompiledTerms] = OrderedDict()
        self._workspaces_lock = Lock()

    @property
    def term_count(self) -> int:
        return len(self.data.rules)

    def scan(
        self, text: str, *, platform: str | None = None, lists: WorkspaceLists | None = None
    ) -> list[Finding]:
        normalised = normalize(text)
        matches = _Matches()
        self._collect(self._compiled, normalised, matches)
        if lists is not None and (lists.allow or lists.deny):
            self._collect(self._workspace_terms(lists), normalised, matches)
        hits = [hit for hit in matches.hits if self._applies(hit, normalised, platform, matches)]
        # Nesting first: the longer term decides what the place means, so 最 inside a 最好 that
        # turns out to be a consumer tip ("最好在睡前使用") goes with it.
        hits = _without_nested(hits)
        hits = [adjusted for hit in hits if (adjusted := self._in_context(hit, normalised))]
        return [self._finding(hit, normalised) for hit in hits]

    def _collect(
        self, compiled: CompiledTerms, normalised: NormalizedText, matches: _Matches
    ) -> None:
        for payloads, start, end in compiled.literal.find(normalised.text):
            for payload in payloads:
                if isinstance(payload, Rule):
                    matches.hits.append(
                        _Hit(payload, start, end, MatchKind.LITERAL, payload.severity)
                    )
                elif isinstance(payload, ShieldPhrase):
                    matches.shields.add(start, end)
                else:
                    matches.allows.add(start, end)
        if not compiled.phonetic.patterns:
            return
        for payloads, start, end in compiled.phonetic.find(normalised.phonetic):
            written = normalised.text[start:end]
            if _crosses_a_sentence(normalised, start, end):
                continue
            for payload in payloads:
                assert isinstance(payload, Rule)
                if written == compiled.normalised_terms[payload.rule_id]:
                    continue  # the term itself: already a literal hit
                if any(ch.isascii() and ch.isalpha() for ch in written):
                    hit = _Hit(payload, start, end, MatchKind.PINYIN, payload.severity)
                    hit.note = _PINYIN_NOTE
                else:
                    # A homophone may be an innocent word (威信 is "prestige"): a person decides.
                    severity = min(payload.severity, Severity.NEEDS_REVIEW, key=_rank)
                    hit = _Hit(payload, start, end, MatchKind.HOMOPHONE, severity)
                    hit.note = _HOMOPHONE_NOTE
                matches.hits.append(hit)

    def _applies(
        self, hit: _Hit, normalised: NormalizedText, platform: str | None, matches: _Matches
    ) -> bool:
        rule = hit.rule
        if rule.platforms and platform not in rule.platforms:
            return False
        text = normalised.text
        if (text[hit.start].isascii() or text[hit.end - 1].isascii()) and not (
            normalised.latin_word_bounded(hit.start, hit.end)
        ):
            return False
        if rule.category is Category.ABSOLUTE_TERM and matches.shields.covers(hit.start, hit.end):
            return False
        return not (
            rule.category in ALLOWABLE_CATEGORIES and matches.allows.covers(hit.start, hit.end)
        )

    def _in_context(self, hit: _Hit, normalised: NormalizedText) -> _Hit | None:
        if hit.rule.category is not Category.ABSOLUTE_TERM:
            return hit
        for context in self._contexts_by_term.get(hit.rule.term, ()):
            before = normalised.text[max(0, hit.start - context.window) : hit.start]
            after = normalised.text[hit.end : hit.end + context.window]
            if context.before is not None and not context.before.search(before):
                continue
            if context.after is not None and not context.after.search(after):
                continue
            if context.effect is None:
                return None
            if _rank(context.effect) < _rank(hit.severity):
                hit.severity = context.effect
                hit.note = f"{context.note}（{context.clause}）" if context.note else context.clause
        return hit

    def _finding(self, hit: _Hit, normalised: NormalizedText) -> Finding:
        start, end = normalised.original_span(hit.start, hit.end)
        rule = hit.rule
        return Finding(
            start=start,
            end=end,
            text=normalised.original[start:end],
            term=rule.term,
            category=rule.category,
            severity=hit.severity,
            rule_id=rule.rule_id,
            legal_basis=rule.legal_basis,
            suggestion=rule.suggestion,
            match=hit.match,
            note=hit.note,
        )

    def _workspace_terms(self, lists: WorkspaceLists) -> CompiledTerms:
        with self._workspaces_lock:
            compiled = self._workspaces.get(lists)
            if compiled is not None:
                self._workspaces.move_to_end(lists)
                return compiled
        compiled = compile_terms(
            lists.deny_rules(), allows=[AllowPhrase(text) for text in lists.allow if text.strip()]
        )
        with self._workspaces_lock:
            self._workspaces[lists] = compiled
            if len(self._workspaces) > _WORKSPACE_CACHE_SIZE:
                self._workspaces.popitem(last=False)
        return compiled


def _crosses_a_sentence(normalised: NormalizedText, start: int, end: int) -> bool:
    """Sounds that happen to line up across a line or sentence break (服\n周 -> 符咒) are not
    a spelling of anything. Literal matches may cross one (vertical writing is an evasion);
    phonetic ones may not."""
    original_start, original_end = normalised.original_span(start, end)
    return not _SENTENCE_BREAKS.isdisjoint(normalised.original[original_start:original_end])


def _rank(severity: Severity) -> int:
    return severity.rank


def _without_nested(hits: list[_Hit]) -> list[_Hit]:
    """One finding per place and category: a hit inside a longer hit of its category goes (最
    inside 最佳), and of hits on one span a literal one wins over a phonetic one."""
    ordered = sorted(
        hits, key=lambda hit: (hit.start, -hit.end, hit.match is not MatchKind.LITERAL)
    )
    kept: list[_Hit] = []
    # Every kept hit starts at or before the current one, so it is nested exactly when a kept
    # hit of its category reaches at least as far.
    furthest_end: dict[Category, int] = {}
    for hit in ordered:
        if furthest_end.get(hit.rule.category, -1) >= hit.end:
            continue
        furthest_end[hit.rule.category] = hit.end
        kept.append(hit)
    return kept
