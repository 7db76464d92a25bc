"""`score(text)`: the one entry point the service calls."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Final

from sentiment_alert.sentiment import rules, text
from sentiment_alert.sentiment.corpus import Label
from sentiment_alert.sentiment.model import evidence_features, shipped_model

# |score| below this is neutral. The training sentences are only positive or negative, so the
# model has no neutral class of its own; texts without any lexicon evidence (no sentiment word,
# slang, emoji) need a firmer n-gram verdict, because review n-grams say little about a plain
# announcement or question.
NEUTRAL_BAND: Final = 0.2
NEUTRAL_BAND_WITHOUT_EVIDENCE: Final = 0.6


@dataclass(frozen=True, slots=True)
class Sentiment:
    label: Label
    score: float  # in [-1, 1]: 2·P(positive) − 1

    @property
    def probability_positive(self) -> float:
        return (self.score + 1.0) / 2.0


def score(raw_text: str) -> Sentiment:
    token_list = text.tokens(text.normalise(raw_text))
    evidence = rules.evaluate(token_list)
    features = text.ngram_features(token_list)
    if not features and not evidence.hits:
        return Sentiment("neu", 0.0)
    positive, negative = evidence_features(evidence)
    return verdict(shipped_model().logit(features, positive, negative), evidence)


def verdict(logit: float, evidence: rules.Evidence) -> Sentiment:
    """The label and score of a logit; the neutral band depends on the lexicon evidence."""
    value = 2.0 / (1.0 + math.exp(-max(-50.0, min(50.0, logit)))) - 1.0
    band = NEUTRAL_BAND if evidence.hits else NEUTRAL_BAND_WITHOUT_EVIDENCE
    if value >= band:
        return Sentiment("pos", value)
    if value <= -band:
        return Sentiment("neg", value)
    return Sentiment("neu", value)
