"""Character tables behind the text normalisation, built once per process from the libraries' data.

Every table is a list indexed by code point, because ``str.translate`` with a list runs about
twice as fast as with a dict (it is the hot loop of every scan). Code points past the end of a
table are left unchanged by ``translate``.
"""

import unicodedata
from functools import cache

import opencc
from pypinyin.pinyin_dict import pinyin_dict

# Deleted characters become this sentinel first, so the masked text stays aligned one to one
# with the original; the sentinel is then removed in one C-level ``str.replace``.
SEPARATOR = "\x00"
# Covers the BMP, the mathematical alphanumerics and enclosed letters used to dodge filters
# (𝐯𝐱, 🅥🅧), emoji used as separators, and CJK extensions B–F.
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
def normalisation_table() -> list[str]:
    """Width, compatibility forms, case and traditional->simplified in one lookup per character;
    separators map to SEPARATOR."""
    t2s = traditional_to_simplified()
    table = [chr(cp) for cp in range(TABLE_SIZE)]
    for cp in range(TABLE_SIZE):
        if 0xD800 <= cp < 0xE000:
            continue  # lone surrogates cannot be normalised; leave them as they are
        table[cp] = _normalise_char(chr(cp), t2s)
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
    return {
        chr(cp): _toneless(readings.split(",")[0])
        for cp, readings in pinyin_dict.items()
        if cp < TABLE_SIZE
    }


@cache
def phonetic_table() -> list[str]:
    codes = syllable_codes()
    table = [chr(cp) for cp in range(TABLE_SIZE)]
    for ch, syllable in han_syllables().items():
        table[ord(ch)] = codes[syllable]
    return table
