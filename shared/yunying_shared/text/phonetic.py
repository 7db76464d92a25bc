"""The phonetic channel: pinyin and homophone spellings of a listed term.

A normalised text is mapped character for character to its *phonetic* form: every Han
character becomes the code of its toneless syllable (微, 威 and 薇 all become the code of
"wei"), everything else stays. A term then matches in that channel through its variants: each
of its Han characters written either as the syllable's code or spelled out in pinyin letters, so
威信, weixin, 微xin and wei信 are all found as 微信. Because the channel is one to one with
the normalised text, its offsets are the normalised text's offsets.
"""

import itertools
import re

from pypinyin import Style, lazy_pinyin

from yunying_shared.text.normalize import normalize_term
from yunying_shared.text.tables import han_syllables, syllable_codes

# One-syllable terms would match any homophone character, and pinyin shorter than this is
# ordinary Latin text (e.g. "yi" or "an"); both would drown the real findings.
_MIN_SYLLABLES = 2
_MIN_SPELLED_LETTERS = 4
# Every mix of codes and spelled syllables is a variant: 2**n of them, so only for short terms;
# longer ones get the all-codes and all-letters variants.
_MAX_MIXED_SYLLABLES = 4
_REPEATED_LETTERS = re.compile(r"([a-z])\1+")


def _readings(term: str) -> list[list[str | None]]:
    """Syllables per character: the per-character reading the text channel uses, and the
    phrase-aware reading (重 in 重复 is chong) when it differs."""
    per_char = han_syllables()
    by_char: list[str | None] = [per_char.get(ch) for ch in term]
    readings = [by_char]
    if all(by_char):
        in_context = lazy_pinyin(term, style=Style.NORMAL)
        if len(in_context) == len(term) and in_context != by_char:
            readings.append(list(in_context))
    return readings


def _variants_of(term: str, syllables: list[str | None]) -> set[str]:
    codes = syllable_codes()
    han_positions = [i for i, syllable in enumerate(syllables) if syllable]
    if len(han_positions) < _MIN_SYLLABLES:
        return set()
    if len(han_positions) <= _MAX_MIXED_SYLLABLES:
        choices = list(itertools.product((False, True), repeat=len(han_positions)))
    else:
        choices = [(False,) * len(han_positions), (True,) * len(han_positions)]
    variants = set()
    for spelled in choices:
        spelled_at = dict(zip(han_positions, spelled, strict=True))
        parts = []
        for i, ch in enumerate(term):
            syllable = syllables[i]
            if syllable is None:
                parts.append(ch)
            else:
                parts.append(syllable if spelled_at[i] else codes[syllable])
        variant = _REPEATED_LETTERS.sub(r"\1", "".join(parts))
        if all(spelled) and sum(ch.isascii() for ch in variant) < _MIN_SPELLED_LETTERS:
            continue
        variants.add(variant)
    return variants


def phonetic_variants(term: str) -> set[str]:
    """Every phonetic-channel spelling of ``term`` (normalised first)."""
    normalised = normalize_term(term)
    variants: set[str] = set()
    for syllables in _readings(normalised):
        variants |= _variants_of(normalised, syllables)
    return variants
