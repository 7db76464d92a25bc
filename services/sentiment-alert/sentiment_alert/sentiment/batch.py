"""`score_many(texts)`: the scorer over a whole batch, with the Chinese n-grams as arrays.

Most of the linear model's features are character 1–3-grams of Han runs. Per text they cost a
set of short strings and a dictionary look-up each; over a batch they are array operations: the
runs of every text are joined (a 0 code point between runs, so no n-gram spans two), each
n-gram becomes one integer (the code points in 21-bit fields), found in the model's sorted
n-gram codes with one `searchsorted`, deduplicated per text (the features are binary) and
summed per text with `bincount`. Words, emoji and the rules layer stay per text, as `score`
does them. Same verdicts and scores as `score` (a test compares them); only the order in which
the weights are added differs.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache

import numpy as np
import numpy.typing as npt

from sentiment_alert.sentiment import rules, text
from sentiment_alert.sentiment.model import evidence_features, shipped_model
from sentiment_alert.sentiment.scorer import Sentiment, verdict

_BITS = 21  # every code point fits in 21 bits, so a trigram fits in 63
_SEPARATOR = "\x00"


@dataclass(frozen=True, slots=True)
class HanWeights:
    """The model's Han n-gram weights by n-gram code, sorted by code; the other features (words,
    emoji, emoticons) stay in the model's dictionary."""

    codes: npt.NDArray[np.int64]
    weights: npt.NDArray[np.float64]


def ngram_code(gram: str) -> int:
    code = 0
    for character in gram:
        code = (code << _BITS) | ord(character)
    return code


def _is_han_ngram(feature: str) -> bool:
    return 1 <= len(feature) <= 3 and text.HAN_RUN.fullmatch(feature) is not None


@cache
def han_weights() -> HanWeights:
    weights = shipped_model().weights
    grams = sorted((ngram_code(f), w) for f, w in weights.items() if _is_han_ngram(f))
    return HanWeights(
        codes=np.array([code for code, _ in grams], dtype=np.int64),
        weights=np.array([weight for _, weight in grams], dtype=np.float64),
    )


def _han_sums(runs: list[str], owners: list[int], texts: int, table: HanWeights) -> list[float]:
    """Per text, the summed weights of the distinct Han n-grams of its runs."""
    if not runs or not len(table.codes):
        return [0.0] * texts
    joined = _SEPARATOR.join(runs)
    codes = np.frombuffer(joined.encode("utf-32-le"), dtype=np.uint32).astype(np.int64)
    lengths = np.fromiter(map(len, runs), dtype=np.int64, count=len(runs)) + 1
    owner = np.repeat(np.asarray(owners, dtype=np.int64), lengths)[: len(codes)]
    present = codes != 0
    first, second, third = codes[:-2], codes[1:-1], codes[2:]
    grams = np.concatenate(
        (
            codes[present],
            ((codes[:-1] << _BITS) | codes[1:])[present[:-1] & present[1:]],
            ((first << 2 * _BITS) | (second << _BITS) | third)[
                present[:-2] & present[1:-1] & present[2:]
            ],
        )
    )
    gram_owner = np.concatenate(
        (
            owner[present],
            owner[:-1][present[:-1] & present[1:]],
            owner[:-2][present[:-2] & present[1:-1] & present[2:]],
        )
    )
    # Sorted queries: searchsorted then walks the table in order (several times faster).
    order = np.argsort(grams)
    grams, gram_owner = grams[order], gram_owner[order]
    size = len(table.codes)
    position = np.minimum(np.searchsorted(table.codes, grams), size - 1)
    known = table.codes[position] == grams
    # One (text, feature) pair per distinct feature of a text: the features are binary. A
    # sort and a mask of changes (np.unique hashes, several times slower here).
    pairs = np.sort(gram_owner[known] * size + position[known])
    if len(pairs):
        first_of_each = np.empty(len(pairs), dtype=np.bool_)
        first_of_each[0] = True
        np.not_equal(pairs[1:], pairs[:-1], out=first_of_each[1:])
        pairs = pairs[first_of_each]
    sums = np.bincount(pairs // size, weights=table.weights[pairs % size], minlength=texts)
    return [float(value) for value in sums]


def score_many(texts: Sequence[str]) -> list[Sentiment]:
    model = shipped_model()
    runs: list[str] = []
    owners: list[int] = []
    evidences: list[rules.Evidence] = []
    others: list[float] = []
    featureless: list[bool] = []
    get = model.weights.get
    for index, raw in enumerate(texts):
        token_list = text.tokens(text.normalise(raw))
        evidences.append(rules.evaluate(token_list))
        has_han = False
        for kind, value in token_list:
            if kind == "han":
                runs.append(value)
                owners.append(index)
                has_han = True
        other = text.non_han_features(token_list)
        others.append(sum(get(feature, 0.0) for feature in other))
        featureless.append(not has_han and not other)
    han = _han_sums(runs, owners, len(texts), han_weights())
    results: list[Sentiment] = []
    for evidence, other_sum, han_sum, empty in zip(
        evidences, others, han, featureless, strict=True
    ):
        if empty and not evidence.hits:
            results.append(Sentiment("neu", 0.0))
            continue
        positive, negative = evidence_features(evidence)
        logit = model.logit_of(han_sum + other_sum, positive, negative)
        results.append(verdict(logit, evidence))
    return results
