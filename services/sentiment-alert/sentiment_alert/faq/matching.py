"""Ranked retrieval over a workspace's question variants: BM25 (Okapi; Lucene's idf, which
never goes negative) over an inverted index, best variant per entry, and a confidence.

BM25 ranks but its scores are unbounded and not comparable across FAQs, so a threshold needs
something else. The confidence of an entry is the geometric mean of two coverages of its best
variant:

- how much of the variant the message covers: BM25(message, variant) / BM25(variant, variant)
  (each term contributes the same to both, so this is the share of the variant's weight found);
- how much of the message the variant explains: the idf mass of the message's terms found in
  the variant over the idf mass of all its terms (a term no variant has gets the highest idf).

So a message that asks exactly a variant scores 1; one that shares only a common word with it,
or that asks something else besides, scores low. Pure: no database, no I/O; an index is built
once per FAQ revision and reused (`faq.service` caches it)."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

from sentiment_alert.faq.tokens import tokens

K1 = 1.2
B = 0.75


@dataclass(frozen=True, slots=True)
class Variant:
    entry_id: int
    question: str
    platforms: frozenset[str]  # empty: every platform


@dataclass(frozen=True, slots=True)
class Candidate:
    entry_id: int
    question: str  # the variant that matched best
    score: float  # BM25
    confidence: float  # in [0, 1]


class FaqIndex:
    def __init__(self, variants: Iterable[Variant]) -> None:
        self.variants = list(variants)
        counted = [Counter(tokens(v.question)) for v in self.variants]
        self._lengths = [sum(c.values()) for c in counted]
        count = len(counted)
        average = (sum(self._lengths) / count) if count else 1.0
        document_frequency: Counter[str] = Counter()
        for terms in counted:
            document_frequency.update(terms.keys())
        self._idf = {t: _idf(count, df) for t, df in document_frequency.items()}
        self._unseen_idf = _idf(count, 0)
        self._postings: dict[str, list[tuple[int, float]]] = {}
        self._self_scores = [0.0] * count
        for doc, terms in enumerate(counted):
            norm = K1 * (1 - B + B * self._lengths[doc] / (average or 1.0))
            for term, tf in terms.items():
                weight = self._idf[term] * tf * (K1 + 1) / (tf + norm)
                self._postings.setdefault(term, []).append((doc, weight))
                self._self_scores[doc] += weight

    def __len__(self) -> int:
        return len(self.variants)

    def search(self, text: str, *, platform: str | None = None, limit: int = 3) -> list[Candidate]:
        """The best entries for `text`, best first (one candidate per entry: its best variant).
        With `platform`, entries limited to other platforms are left out."""
        query = set(tokens(text))
        if not query or not self.variants:
            return []
        scores: dict[int, float] = {}
        found: dict[int, float] = {}  # idf mass of the query found in each variant
        for term in query:
            idf = self._idf.get(term)
            if idf is None:
                continue
            for doc, weight in self._postings[term]:
                scores[doc] = scores.get(doc, 0.0) + weight
                found[doc] = found.get(doc, 0.0) + idf
        query_mass = sum(self._idf.get(t, self._unseen_idf) for t in query)
        best: dict[int, Candidate] = {}
        for doc, score in scores.items():
            variant = self.variants[doc]
            if platform is not None and variant.platforms and platform not in variant.platforms:
                continue
            variant_share = min(1.0, score / self._self_scores[doc])
            query_share = found[doc] / query_mass
            candidate = Candidate(
                entry_id=variant.entry_id,
                question=variant.question,
                score=round(score, 4),
                confidence=round(math.sqrt(variant_share * query_share), 4),
            )
            held = best.get(variant.entry_id)
            if held is None or (candidate.score, candidate.confidence) > (
                held.score,
                held.confidence,
            ):
                best[variant.entry_id] = candidate
        # BM25 ranks; the confidence is what the threshold is held to.
        ranked = sorted(best.values(), key=lambda c: (-c.score, -c.confidence, c.entry_id))
        return ranked[:limit]


def _idf(count: int, document_frequency: int) -> float:
    return math.log(1 + (count - document_frequency + 0.5) / (document_frequency + 0.5))
