"""Text to search terms, for Chinese and English alike.

NFKC folds full-width forms; OpenCC's table (shared with the keyword matchers) turns
traditional characters into simplified ones, so 發貨 finds 发货; jieba's search mode segments
Chinese runs and also yields the words inside a long one (粉底液 → 粉底, 粉底液), so a variant
written with the short word still matches. English words are lower-cased and lightly stemmed
(shipping, shipped, ships → ship). Function words and particles carry no intent and are dropped;
question words (多久, 怎么, how, when) are kept, because they tell "how long" from "how much"."""

from __future__ import annotations

import logging
import re
import unicodedata
from functools import lru_cache

import jieba

from yunying_shared.text.tables import traditional_to_simplified

jieba.setLogLevel(logging.WARNING)

_WORD = re.compile(r"[0-9a-z]+|[\u3400-\u9fff]+")
_ASCII = re.compile(r"[0-9a-z]+")

# Particles, pronouns and politeness that every question shares.
_STOP_WORDS = (
    "请问 问 问下 一下 想 想问 想知道 知道 吗 呢 啊 吧 呀 哦 嘛 哈 的 了 是 我 我的 你 你们 您 "
    "我们 他 她 这个 那个 这 那 有没有 和 与 就 都 也 还 在 亲 亲亲 谢谢 麻烦 能 可以 会 要 个 "
    "a an the is are am was were be do does did i me my you your we our it its to of for in "
    "on at and or please hi hello hey thanks thank can could would will there this that with"
)
STOP_WORDS = frozenset(_STOP_WORDS.split())
# Interchangeable ways of asking the same thing (general language, not a product vocabulary).
SYNONYMS = {
    "几天": "多久",
    "多长时间": "多久",
    "多少天": "多久",
    "啥时候": "什么时候",
    "何时": "什么时候",
    "什么时间": "什么时候",
    "咋": "怎么",
    "怎样": "怎么",
    "如何": "怎么",
    "咋样": "怎么样",
    "多少钱": "价格",
    "价钱": "价格",
}


@lru_cache(maxsize=1)
def _simplify_table() -> dict[int, str]:
    return {ord(k): v for k, v in traditional_to_simplified().items() if len(k) == 1}


def normalise(text: str) -> str:
    return unicodedata.normalize("NFKC", text).lower().translate(_simplify_table())


def _stem(word: str) -> str:
    """A light English stemmer: enough to meet plural and tense forms of one word."""
    if len(word) <= 3 or not word.isalpha():
        return word
    for suffix in ("ing", "ed"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            word = word[: -len(suffix)]
            if len(word) > 3 and word[-1] == word[-2] and word[-1] not in "lsz":
                word = word[:-1]  # shipp → ship, but fill, pass stay
            return word
    if word.endswith("ies") and len(word) > 4:
        return word[:-3] + "y"
    if word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word[:-1]
    return word


def tokens(text: str) -> list[str]:
    """The search terms of a text, in order (repeats kept: BM25 counts them)."""
    found: list[str] = []
    for run in _WORD.findall(normalise(text)):
        if _ASCII.fullmatch(run):
            if run not in STOP_WORDS:
                found.append(_stem(run))
            continue
        for word in jieba.cut_for_search(run, HMM=False):
            if word in SYNONYMS:
                found.extend(_segmented(SYNONYMS[word]))
            elif word not in STOP_WORDS:
                found.append(word)
    return found


@lru_cache(maxsize=64)
def _segmented(phrase: str) -> tuple[str, ...]:
    # A synonym's target segmented as text is: 什么时候 becomes 什么, 时候 like in a variant.
    return tuple(jieba.cut_for_search(phrase, HMM=False))


def warm_up() -> None:
    """jieba builds its prefix dictionary (about a second) on first use; call this at start."""
    jieba.initialize()
