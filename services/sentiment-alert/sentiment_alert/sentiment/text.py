"""Normalisation and tokenisation shared by the rules layer, the linear model and its training."""

from __future__ import annotations

import re
import unicodedata
from operator import add
from typing import Final, Literal

TokenKind = Literal["han", "word", "emoji", "emoticon", "bang", "break"]

# Skin tones, variation selectors and zero-width joiners only change how an emoji is drawn.
# One run of Han characters, as the tokeniser finds them (the linear model's n-grams are theirs).
HAN_RUN: Final = re.compile("[\u3400-\u4dbf\u4e00-\u9fff]+")
_EMOJI_MODIFIERS: Final = re.compile("[\ufe0e\ufe0f\u200d\U0001f3fb-\U0001f3ff]")
_TOKEN: Final = re.compile(
    r"(?P<emoticon>\[[\u4e00-\u9fffa-z]{1,6}\])"  # Weibo-style [怒] [赞] [good]
    r"|(?P<han>[\u3400-\u4dbf\u4e00-\u9fff]+)"
    r"|(?P<word>[a-z0-9]+(?:'[a-z]+)?)"
    r"|(?P<emoji>[\U0001f000-\U0001faff\u2600-\u27bf\u2b50\u2764])"
    r"|(?P<bang>[!?])"
    r"|(?P<break>[,.;:。、~…\n]+)"
)


def normalise(text: str) -> str:
    """Full-width forms to half-width (NFKC), lower case, emoji modifiers dropped."""
    return _EMOJI_MODIFIERS.sub("", unicodedata.normalize("NFKC", text).lower())


def tokens(normalised: str) -> list[tuple[TokenKind, str]]:
    found: list[tuple[TokenKind, str]] = []
    for match in _TOKEN.finditer(normalised):
        kind = match.lastgroup
        found.append((kind, match.group()))  # type: ignore[arg-type]
    return found


def ngram_features(token_list: list[tuple[TokenKind, str]]) -> set[str]:
    """Binary features of the linear model: character 1-3-grams inside each Han run (Chinese has
    no spaces, and character n-grams need no segmenter), and `non_han_features`."""
    features = non_han_features(token_list)
    for kind, value in token_list:
        if kind == "han":
            # map/zip keep the per-character work in C: about twice as fast as slicing in a loop.
            features.update(value)
            bigrams = list(map(add, value, value[1:]))
            features.update(bigrams)
            features.update(map(add, bigrams, value[2:]))
    return features


def non_han_features(token_list: list[tuple[TokenKind, str]]) -> set[str]:
    """Word unigrams and bigrams for Latin text (a bigram never spans another token), and emoji
    and emoticons as themselves."""
    features: set[str] = set()
    previous_word = ""
    for kind, value in token_list:
        if kind == "word":
            features.add("w:" + value)
            if previous_word:
                features.add("w:" + previous_word + "_" + value)
            previous_word = value
        else:
            if kind in ("emoji", "emoticon"):
                features.add(value)
            previous_word = ""
    return features
