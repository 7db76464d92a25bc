"""Character tables behind the text normalisation, built once per process from the libraries' data.

Every table is a numpy array indexed by code point (all of Unicode): normalising a text is one
vectorised lookup over its code points instead of a Python loop or a ``str.translate`` with a
Python mapping, which is what keeps a full normalisation at tens of millions of characters per
second.
"""

import unicodedata
from functools import cache

import numpy as np
import numpy.typing as npt
import opencc
from pypinyin.pinyin_dict import pinyin_dict

CodeTable = npt.NDArray[np.uint32]
UNICODE_SIZE = 0x110000

# Deleted characters become this sentinel first, so the masked text stays aligned one to one
# with the original; the sentinel is then removed in one C-level ``str.replace``.
SEPARATOR = "\x00"
# Characters below this are looked at one by one: the BMP, the mathematical alphanumerics and
# enclosed letters used to dodge filters (𝐯𝐱, 🅥🅧), emoji, CJK extensions B–F. Above it the
# table is the identity.
TABLE_SIZE = 0x30000
# One private-use character per toneless pinyin syllable (~420 of them): the phonetic channel
# maps each Han character to the code of its syllable, so homophones become equal strings.
_SYLLABLE_CODE_BASE = 0xE000

_HAN_RANGES = (
    (0x3400, 0x4DC0),
    (0x4E00, 0xA000),
    (0xF900, 0xFB00),
    (0x20000, 0x30000),
)
# Categories whose characters only ever separate the letters of a term: punctuation, symbols
# (emoji included), spaces, controls and format characters (zero-width joiners), private use,
# and combining marks (strike-through overlays).
_SEPARATOR_CATEGORY_PREFIXES = ("P", "S", "Z", "C", "M")
# Symbols that carry meaning in a listed term: "100%有效" must not become "100有效", which is
# also how "仅需100有效期…" would read.
_SIGNIFICANT_SYMBOLS = frozenset("%")


@cache
def traditional_to_simplified() -> dict[str, str]:
    """Single-character OpenCC t2s mappings for every Han code point OpenCC changes."""
    han = [chr(cp) for start, end in _HAN_RANGES for cp in range(start, end)]
    converted = opencc.OpenCC("t2s").convert("\n".join(han)).split("\n")
    if len(converted) != len(han):  # a phrase rule merged lines: fall back to one call each
        converter = opencc.OpenCC("t2s")
        converted = [converter.convert(ch) for ch in han]
    return {
        source: target
        for source, target in zip(han, converted, strict=True)
        if source != target and len(target) == 1
    }


def _is_separator(ch: str) -> bool:
    if ch in _SIGNIFICANT_SYMBOLS:
        return False
    return unicodedata.category(ch).startswith(_SEPARATOR_CATEGORY_PREFIXES)


def _normalise_char(ch: str, t2s: dict[str, str]) -> str:
    folded = unicodedata.normalize("NFKC", ch)
    if len(folded) != 1:
        # "㈠" -> "(一)", "ﬁ" -> "fi": keep the single letter if only one survives, else the
        # character itself (a one-to-one table cannot expand a character into two).
        letters = [c for c in folded if not _is_separator(c)]
        folded = letters[0] if len(letters) == 1 else ch
    if _is_separator(folded):
        return SEPARATOR
    lowered = folded.lower()
    if len(lowered) == 1:
        folded = lowered
    return t2s.get(folded, folded)


@cache
def normalisation_table() -> CodeTable:
    """Width, compatibility forms, case and traditional->simplified in one lookup per character;
    separators map to SEPARATOR (code point 0)."""
    t2s = traditional_to_simplified()
    table = np.arange(UNICODE_SIZE, dtype=np.uint32)
    for cp in range(TABLE_SIZE):
        if 0xD800 <= cp < 0xE000:
            # A lone surrogate (JSON allows "\ud800") is no letter, and could not be encoded
            # for the matchers: drop it like any separator.
            table[cp] = ord(SEPARATOR)
            continue
        table[cp] = ord(_normalise_char(chr(cp), t2s))
    table.flags.writeable = False
    return table


def _toneless(reading: str) -> str:
    # pypinyin writes ü as "v" in toneless pinyin (lv, nv); ǜ decomposes to u + two marks.
    decomposed = unicodedata.normalize("NFD", reading).replace("u\u0308", "v")
    return "".join(c for c in decomposed if not unicodedata.combining(c))


@cache
def syllable_codes() -> dict[str, str]:
    syllables = {
        _toneless(reading) for readings in pinyin_dict.values() for reading in readings.split(",")
    }
    return {
        syllable: chr(_SYLLABLE_CODE_BASE + index)
        for index, syllable in enumerate(sorted(syllables))
    }


@cache
def han_syllables() -> dict[str, str]:
    """Each Han character's most common toneless reading (pypinyin lists that one first)."""
    return {chr(cp): _toneless(readings.split(",")[0]) for cp, readings in pinyin_dict.items()}


@cache
def phonetic_table() -> CodeTable:
    codes = syllable_codes()
    table = np.arange(UNICODE_SIZE, dtype=np.uint32)
    for ch, syllable in han_syllables().items():
        table[ord(ch)] = ord(codes[syllable])
    table.flags.writeable = False
    return table
