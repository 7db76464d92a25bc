"""The shipped linear model: logistic regression over character n-grams, word n-grams, emoji and
the two sums of the rules layer. Weights are in data/model.tsv.gz (written by
scripts/train_sentiment.py) and read once, on first use."""

from __future__ import annotations

import gzip
from dataclasses import dataclass
from functools import cache
from importlib.resources import files
from itertools import repeat
from typing import Final

from sentiment_alert.sentiment.rules import Evidence, squash

MODEL_FILE: Final = "data/model.tsv.gz"
POSITIVE_FEATURE: Final = "__lexicon_positive__"
NEGATIVE_FEATURE: Final = "__lexicon_negative__"
BIAS_FEATURE: Final = "__bias__"


@dataclass(frozen=True, slots=True)
class LinearModel:
    weights: dict[str, float]
    bias: float
    positive_weight: float
    negative_weight: float

    def logit(self, features: set[str], lexicon_positive: float, lexicon_negative: float) -> float:
        feature_sum = sum(map(self.weights.get, features, repeat(0.0)))
        return self.logit_of(feature_sum, lexicon_positive, lexicon_negative)

    def logit_of(
        self, feature_sum: float, lexicon_positive: float, lexicon_negative: float
    ) -> float:
        """The logit from the summed weights of the text's features (batch.py sums them)."""
        total = self.bias
        total += self.positive_weight * lexicon_positive
        total += self.negative_weight * lexicon_negative
        return total + feature_sum


def parse_model(text: str) -> LinearModel:
    weights: dict[str, float] = {}
    for line in text.splitlines():
        if line and not line.startswith("#"):
            feature, weight = line.rsplit("\t", 1)
            weights[feature] = float(weight)
    return LinearModel(
        weights=weights,
        bias=weights.pop(BIAS_FEATURE),
        positive_weight=weights.pop(POSITIVE_FEATURE),
        negative_weight=weights.pop(NEGATIVE_FEATURE),
    )


@cache
def shipped_model() -> LinearModel:
    packed = files("sentiment_alert.sentiment").joinpath(MODEL_FILE).read_bytes()
    return parse_model(gzip.decompress(packed).decode("utf-8"))


def evidence_features(evidence: Evidence) -> tuple[float, float]:
    return squash(evidence.positive), squash(evidence.negative)
