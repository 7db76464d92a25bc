"""Sentiment-alert benchmarks: the sentiment model's quality and speed, and the spike detector on
the NAB Twitter-volume series.

Quality, next to SnowNLP's own classifier on the same texts:
  - the held-out tenth of SnowNLP's labelled review sentences (corpus.is_held_out; training
    never saw it; SnowNLP itself was trained on these sentences, so its figure is optimistic);
    gold labels are pos/neg, so our neutral verdicts count as errors;
  - the hand-written social-media set (services/sentiment-alert/evaluation/
    social_sentences.jsonl: slang, emoji, negation, neutral questions; Chinese and English).
    SnowNLP has no neutral class: its probability in [0.4, 0.6] is read as neutral.
Speed: score() over the social set's texts, repeated to BENCH_MENTIONS (default 50,000), one
process, one core. NAB: `yunying spikes eval` on ../shared/data/nab-realTweets with the default
settings. No database or broker is needed.
"""

from __future__ import annotations

import json
import os
import platform
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from sklearn.metrics import accuracy_score, f1_score
from snownlp import SnowNLP

from sentiment_alert.sentiment import score
from sentiment_alert.sentiment.corpus import held_out_split
from sentiment_alert.spikes.nab import evaluate_directory, totals
from sentiment_alert.spikes.settings import DetectorSettings

ROOT = Path(__file__).resolve().parents[1]
SOCIAL_SET = ROOT / "services" / "sentiment-alert" / "evaluation" / "social_sentences.jsonl"
NAB_DIR = Path(os.environ.get("BENCH_NAB_DIR", ROOT.parent / "shared" / "data" / "nab-realTweets"))
RESULTS = Path(__file__).parent / "results" / "sentiment_alert.json"
MENTIONS = int(os.environ.get("BENCH_MENTIONS", "50000"))
SNOWNLP_NEUTRAL = (0.4, 0.6)


def ours(text: str) -> str:
    return score(text).label


def snownlp_label(text: str, *, neutral_band: bool) -> str:
    probability = float(SnowNLP(text).sentiments)
    if neutral_band and SNOWNLP_NEUTRAL[0] <= probability <= SNOWNLP_NEUTRAL[1]:
        return "neu"
    return "pos" if probability >= 0.5 else "neg"


def quality(gold: Sequence[str], predicted: Sequence[str], labels: list[str]) -> dict[str, Any]:
    return {
        "texts": len(gold),
        "accuracy": round(float(accuracy_score(gold, predicted)), 4),
        "macro_f1": round(float(f1_score(gold, predicted, labels=labels, average="macro")), 4),
    }


def compare(
    texts: list[str], gold: Sequence[str], labels: list[str], snownlp: Callable[[str], str]
) -> dict[str, Any]:
    return {
        "ours": quality(gold, [ours(t) for t in texts], labels),
        "snownlp": quality(gold, [snownlp(t) for t in texts], labels),
    }


def sentiment_quality() -> dict[str, Any]:
    held_out = held_out_split()
    texts, gold = [i.text for i in held_out], [i.label for i in held_out]
    held = compare(texts, gold, ["pos", "neg"], lambda t: snownlp_label(t, neutral_band=False))
    signs = ["pos" if score(t).score >= 0 else "neg" for t in texts]
    held["ours_sign_of_score"] = quality(gold, signs, ["pos", "neg"])
    rows = [json.loads(line) for line in SOCIAL_SET.read_text("utf-8").splitlines() if line]
    social: dict[str, Any] = {}
    for language in ("all", "zh", "en"):
        chosen = [r for r in rows if language in ("all", r["lang"])]
        social[language] = compare(
            [r["text"] for r in chosen],
            [r["label"] for r in chosen],
            ["pos", "neu", "neg"],
            lambda t: snownlp_label(t, neutral_band=True),
        )
    return {"held_out_snownlp_reviews": held, "social_set": social}


def speed() -> dict[str, Any]:
    rows = [json.loads(line) for line in SOCIAL_SET.read_text("utf-8").splitlines() if line]
    texts = [r["text"] for r in rows]
    mentions = (texts * (MENTIONS // len(texts) + 1))[:MENTIONS]
    score(mentions[0])  # loads the model: start-up is not part of the rate
    wall, cpu = time.perf_counter(), time.process_time()
    for text in mentions:
        score(text)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    reviews = [i.text for i in held_out_split()]
    review_cpu = time.process_time()
    for text in reviews:
        score(text)
    review_cpu = time.process_time() - review_cpu
    return {
        "mentions": len(mentions),
        "mean_characters": round(sum(map(len, mentions)) / len(mentions), 1),
        "mentions_per_second_wall": round(len(mentions) / wall),
        "mentions_per_second_cpu": round(len(mentions) / cpu),
        "held_out_reviews_per_second_cpu": round(len(reviews) / review_cpu),
        "held_out_reviews_mean_characters": round(sum(map(len, reviews)) / len(reviews), 1),
    }


def nab() -> dict[str, Any]:
    settings = DetectorSettings()
    results = evaluate_directory(NAB_DIR, settings)
    return {
        "settings": settings.as_dict(),
        "totals": totals(results),
        "series": {
            r.name: {
                "windows": len(r.windows),
                "detected": sum(r.detected),
                "recall": round(r.recall, 3),
                "false_positives": r.false_positives,
                "false_positives_by_peak_level": r.false_positive_levels(),
                "delays_hours": [round(d, 1) for d in r.delays_hours],
                "anomaly_offsets_hours": [round(d, 1) for d in r.anomaly_offsets_hours],
            }
            for r in results
        },
    }


def main() -> None:
    report = {
        "machine": {"python": platform.python_version(), "cpus": os.cpu_count()},
        "sentiment": sentiment_quality(),
        "speed": speed(),
        "nab": nab() if NAB_DIR.exists() else None,
    }
    print(json.dumps(report, indent=2, ensure_ascii=False))
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n", "utf-8")


if __name__ == "__main__":
    main()
