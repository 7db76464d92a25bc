"""The lexicon-and-rules layer: finds sentiment words, emoji and slang, and applies negation,
intensifiers and contrast ("但是", "but") the way VADER does, for Chinese and English alike.
Its two sums are features of the linear model (model.py), which learns how far to trust them."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from functools import cache
from importlib.resources import files
from typing import Final, Literal

from sentiment_alert.sentiment import lexicon
from sentiment_alert.sentiment.text import TokenKind

UnitKind = Literal["senti", "emoji", "negator", "intensifier", "either", "contrast", "gap", "break"]

# VADER's factor for a negated word: "not good" is about three quarters as bad as "good" is good.
NEGATION_FACTOR: Final = -0.74
SOFT_NEGATION_FACTOR: Final = -0.5
# A negator or intensifier reaches this many unknown characters or words ahead (没有想象中好).
MODIFIER_REACH: Final = 3
BEFORE_CONTRAST_WEIGHT: Final = 0.5
AFTER_CONTRAST_WEIGHT: Final = 1.5
EXCLAMATION_BOOST: Final = 0.08
MAX_EXCLAMATIONS: Final = 4


@dataclass(frozen=True, slots=True)
class Unit:
    kind: UnitKind
    value: float  # valence, multiplier, negation factor, gap length; for "either": the valence
    multiplier: float = 1.0  # for "either": the multiplier when used as an intensifier


@dataclass(frozen=True, slots=True)
class Evidence:
    positive: float
    negative: float  # magnitude of the negative valences
    hits: int

    @property
    def net(self) -> float:
        return self.positive - self.negative


_FILLER: Final = Unit("gap", 1.0)  # an unknown character or word: it only counts distance
_BREAK: Final = Unit("break", 0.0)  # punctuation: ends every modifier's reach


def _unit_for(term: str, valence: float | None, multiplier: float | None) -> Unit:
    if valence is not None and multiplier is not None:
        return Unit("either", valence, multiplier)
    if multiplier is not None:
        return Unit("intensifier", multiplier)
    assert valence is not None
    return Unit("senti", valence)


@cache
def _chinese_table() -> dict[str, Unit]:
    table: dict[str, Unit] = {}
    for term in lexicon.CHINESE_NEUTRAL_PHRASES:
        table[term] = _FILLER
    for term in set(lexicon.CHINESE_VALENCE) | set(lexicon.CHINESE_INTENSIFIERS):
        table[term] = _unit_for(
            term, lexicon.CHINESE_VALENCE.get(term), lexicon.CHINESE_INTENSIFIERS.get(term)
        )
    for term in lexicon.CHINESE_NEGATORS:
        table[term] = Unit("negator", NEGATION_FACTOR)
    for term in lexicon.CHINESE_SOFT_NEGATORS:
        table[term] = Unit("negator", SOFT_NEGATION_FACTOR)
    for term in lexicon.CONTRAST_WORDS:
        table[term] = Unit("contrast", 0.0)
    return table


@cache
def _english_table() -> dict[str, Unit]:
    valences = dict(_vader_lexicon())
    valences.update(lexicon.ENGLISH_SLANG)
    valences.update({k: v for k, v in lexicon.CHINESE_VALENCE.items() if k.isascii()})
    table: dict[str, Unit] = {}
    for term in set(valences) | set(lexicon.ENGLISH_INTENSIFIERS):
        table[term] = _unit_for(term, valences.get(term), lexicon.ENGLISH_INTENSIFIERS.get(term))
    for term in lexicon.ENGLISH_NEGATORS:
        table[term] = Unit("negator", NEGATION_FACTOR)
    for term in lexicon.CONTRAST_WORDS:
        if term.isascii():
            table[term] = Unit("contrast", 0.0)
    return table


def _vader_lexicon() -> dict[str, float]:
    text = files("sentiment_alert.sentiment").joinpath("data/vader_lexicon.tsv").read_text("utf-8")
    entries: dict[str, float] = {}
    for line in text.splitlines():
        if line and not line.startswith("#"):
            word, valence = line.split("\t")
            entries[word] = float(valence)
    return entries


@cache
def _term_lengths_by_first_character() -> dict[str, tuple[int, ...]]:
    lengths: dict[str, set[int]] = {}
    for term in _chinese_table():
        lengths.setdefault(term[0], set()).add(len(term))
    return {first: tuple(sorted(sizes, reverse=True)) for first, sizes in lengths.items()}


@cache
def _term_start() -> re.Pattern[str]:
    """Finds the next character that starts some term: the scan jumps over the characters in
    between in C instead of looking each one up in Python."""
    return re.compile("[" + re.escape("".join(sorted(_term_lengths_by_first_character()))) + "]")


@cache
def _gap(length: int) -> Unit:
    """The gap of `length` unknown characters (units are immutable: one per length)."""
    return Unit("gap", float(length))


def _han_units(run: str) -> list[Unit]:
    table, lengths_of, term_start = (
        _chinese_table(),
        _term_lengths_by_first_character(),
        _term_start(),
    )
    units: list[Unit] = []
    position, end = 0, len(run)
    while position < end:
        found = term_start.search(run, position)
        start = found.start() if found else end
        if start > position:
            units.append(_gap(start - position))
        if found is None:
            break
        for size in lengths_of[run[start]]:
            unit = table.get(run[start : start + size]) if start + size <= end else None
            if unit is not None:
                units.append(unit)
                position = start + size
                break
        else:
            units.append(_FILLER)
            position = start + 1
    return units


def units_of(token_list: list[tuple[TokenKind, str]]) -> tuple[list[Unit], int]:
    """The units of a tokenised text, and how many exclamation marks it has."""
    english = _english_table()
    units: list[Unit] = []
    exclamations = 0
    for kind, value in token_list:
        if kind == "han":
            units.extend(_han_units(value))
        elif kind == "word":
            units.append(english.get(value.replace("'", ""), _FILLER))
        elif kind == "emoji":
            valence = lexicon.EMOJI_VALENCE.get(value)
            units.append(Unit("emoji", valence) if valence is not None else _FILLER)
        elif kind == "emoticon":
            valence = lexicon.EMOTICON_VALENCE.get(value)
            units.append(Unit("emoji", valence) if valence is not None else _FILLER)
        elif kind == "bang":
            exclamations += value == "!"
            units.append(_BREAK)
        else:
            units.append(_BREAK)
    return units, exclamations


def _next_is_sentiment(units: list[Unit], index: int) -> bool:
    skipped = 0.0
    for unit in units[index + 1 : index + 1 + MODIFIER_REACH]:
        if unit.kind in ("senti", "either"):
            return True
        if unit.kind != "gap":
            return False
        skipped += unit.value
        if skipped >= MODIFIER_REACH:
            return False
    return False


def evaluate(token_list: list[tuple[TokenKind, str]]) -> Evidence:
    units, exclamations = units_of(token_list)
    scored: list[tuple[float, int]] = []  # (valence, clause number counted in contrast words)
    clause = 0
    factor, multiplier, distance = 1.0, 1.0, 0
    for index, unit in enumerate(units):
        kind = unit.kind
        if kind == "either":
            kind = "intensifier" if _next_is_sentiment(units, index) else "senti"
        if kind == "senti":
            scored.append((unit.value * multiplier * factor, clause))
            factor, multiplier, distance = 1.0, 1.0, 0
        elif kind == "intensifier":
            multiplier *= unit.multiplier if unit.kind == "either" else unit.value
            distance = 0
        elif kind == "negator":
            factor *= unit.value
            distance = 0
        elif kind == "emoji":
            scored.append((unit.value, clause))
        elif kind == "contrast":
            clause += 1
            factor, multiplier, distance = 1.0, 1.0, 0
        elif kind == "gap":
            distance += int(unit.value)
            if distance > MODIFIER_REACH:
                factor, multiplier, distance = 1.0, 1.0, 0
        else:
            factor, multiplier, distance = 1.0, 1.0, 0
    boost = 1.0 + EXCLAMATION_BOOST * min(exclamations, MAX_EXCLAMATIONS)
    positive = negative = 0.0
    for valence, number in scored:
        weight = boost
        if clause:
            weight *= AFTER_CONTRAST_WEIGHT if number == clause else BEFORE_CONTRAST_WEIGHT
        if valence > 0:
            positive += valence * weight
        else:
            negative -= valence * weight
    return Evidence(positive, negative, len(scored))


def squash(total: float) -> float:
    """Compresses a sum of valences so one long review does not outweigh its n-grams."""
    return math.log1p(total)
