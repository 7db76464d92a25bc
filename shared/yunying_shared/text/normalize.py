"""Normalisation that defeats the usual ways of dodging a keyword filter.

One pipeline for every matcher in Yunying (content-review's compliance scanner and
sentiment-alert's keyword rules), so a term listed once is found in all its disguises:

- full-width / half-width and other compatibility forms (ＶＸ, 𝐯𝐱, ①) -> their plain letter;
- traditional -> simplified (OpenCC's character table);
- case;
- symbols, punctuation, spaces, emoji and zero-width characters between letters are dropped;
- runs of one repeated character collapse to one (digits excepted: 100 is not 10);
- pinyin and homophones, through the phonetic channel (see ``phonetic.py``).

Each step maps one original character to one or zero normalised characters, so every
normalised offset points back at exactly one original character: findings are reported as
spans of the text the author wrote. That map is only built when a caller asks for a span,
because most scanned texts produce no finding.
"""

import re
from dataclasses import dataclass, field

from yunying_shared.text.tables import SEPARATOR, normalisation_table, phonetic_table

_REPEATS = re.compile(r"(\D)\1+")
# The same collapse on the masked text, where removed separators may sit between the repeats.
_MASKED_REPEATS = re.compile(r"([^\x00\d])(?:\x00*\1)+")


def _mask_repeats(match: re.Match[str]) -> str:
    return match.group(1) + SEPARATOR * (match.end() - match.start() - 1)


@dataclass(slots=True)
class NormalizedText:
    original: str
    masked: str  # one character per original character; removed ones are SEPARATOR
    text: str
    _kept: list[int] | None = field(default=None, repr=False)
    _phonetic: str | None = field(default=None, repr=False)

    @property
    def phonetic(self) -> str:
        """``text`` with every Han character replaced by its syllable's code, one to one."""
        if self._phonetic is None:
            self._phonetic = self.text.translate(phonetic_table())
        return self._phonetic

    def original_index(self, index: int) -> int:
        """Offset in the original text of the normalised character at ``index``."""
        return self._kept_positions()[index]

    def original_span(self, start: int, end: int) -> tuple[int, int]:
        """The original span of normalised ``[start, end)`` (end exclusive): separators inside
        it belong to it, and so do the collapsed repeats of its last character ("病病")."""
        kept = self._kept_positions()
        last = kept[end - 1]
        stop = kept[end] if end < len(kept) else len(self.masked)
        original_end = last + 1
        for position in range(last + 1, stop):
            if self.masked[position] == self.masked[last]:
                original_end = position + 1
        return kept[start], original_end

    def latin_word_bounded(self, start: int, end: int) -> bool:
        """False when a match starting or ending with a Latin letter or digit is glued to
        another one in the original ("vx" inside "nvxa"); a removed separator is a boundary."""
        kept = self._kept_positions()
        glued_before = (
            start > 0
            and _is_latin(self.text[start])
            and _is_latin(self.text[start - 1])
            and SEPARATOR not in self.masked[kept[start - 1] + 1 : kept[start]]
        )
        glued_after = (
            end < len(kept)
            and _is_latin(self.text[end - 1])
            and _is_latin(self.text[end])
            and SEPARATOR not in self.masked[kept[end - 1] + 1 : kept[end]]
        )
        return not (glued_before or glued_after)

    def _kept_positions(self) -> list[int]:
        if self._kept is None:
            collapsed = _MASKED_REPEATS.sub(_mask_repeats, self.masked)
            self._kept = [i for i, ch in enumerate(collapsed) if ch != SEPARATOR]
            if len(self._kept) != len(self.text):  # both paths implement one rule
                raise AssertionError("normalised text and its offset map disagree")
        return self._kept


def _is_latin(ch: str) -> bool:
    return ch.isascii() and ch.isalnum()


def normalize(text: str) -> NormalizedText:
    masked = text.translate(normalisation_table())
    return NormalizedText(
        original=text,
        masked=masked,
        text=_REPEATS.sub(r"\1", masked.replace(SEPARATOR, "")),
    )


def normalize_term(term: str) -> str:
    """A dictionary term in the form it is matched in: the same pipeline as the texts."""
    return normalize(term).text
