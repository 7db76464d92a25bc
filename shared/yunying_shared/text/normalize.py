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
spans of the text the author wrote. The steps run as numpy operations over the text's code
points (a table lookup and two masks), with the kept positions falling out as a by-product.
"""

from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from yunying_shared.text.tables import normalisation_table, phonetic_table

_ENCODING = "utf-32-le"
_ERRORS = "surrogatepass"  # a lone surrogate passes through instead of failing the scan
_SEPARATOR = 0
_DIGIT_0, _DIGIT_9 = ord("0"), ord("9")

Positions = npt.NDArray[np.intp]
CodePoints = npt.NDArray[np.uint32]


def _decode(code_points: CodePoints) -> str:
    return code_points.tobytes().decode(_ENCODING, _ERRORS)


@dataclass(slots=True)
class NormalizedText:
    original: str
    text: str
    mapped: CodePoints  # one code point per original character; removed ones are 0
    kept: Positions  # original offset of each normalised character
    _code_points: CodePoints = field(repr=False)
    _phonetic: str | None = field(default=None, repr=False)
    _kept_list: list[int] | None = field(default=None, repr=False)

    @property
    def phonetic(self) -> str:
        """``text`` with every Han character replaced by its syllable's code, one to one."""
        if self._phonetic is None:
            self._phonetic = _decode(phonetic_table()[self._code_points])
        return self._phonetic

    def original_index(self, index: int) -> int:
        """Offset in the original text of the normalised character at ``index``."""
        return self._positions()[index]

    def original_span(self, start: int, end: int) -> tuple[int, int]:
        """The original span of normalised ``[start, end)`` (end exclusive): separators inside
        it belong to it, and so do the collapsed repeats of its last character ("病病")."""
        kept = self._positions()
        last = kept[end - 1]
        stop = kept[end] if end < len(kept) else len(self.original)
        original_end = last + 1
        if stop > original_end:  # separators or collapsed repeats follow: a few characters
            table, value = normalisation_table(), self._code_points[end - 1]
            for offset, ch in enumerate(self.original[last + 1 : stop], start=last + 1):
                if table[ord(ch)] == value:
                    original_end = offset + 1
        return kept[start], original_end

    def latin_word_bounded(self, start: int, end: int) -> bool:
        """False when a match starting or ending with a Latin letter or digit is glued to
        another one in the original ("vx" inside "nvxa"); a removed separator is a boundary."""
        text = self.text
        glued_before = (
            start > 0
            and _is_latin(text[start])
            and _is_latin(text[start - 1])
            and not self._separated(start - 1, start)
        )
        glued_after = (
            end < len(text)
            and _is_latin(text[end - 1])
            and _is_latin(text[end])
            and not self._separated(end - 1, end)
        )
        return not (glued_before or glued_after)

    def _positions(self) -> list[int]:
        # Python ints index faster than numpy scalars, and spans are asked for one by one.
        if self._kept_list is None:
            self._kept_list = self.kept.tolist()
        return self._kept_list

    def _separated(self, left: int, right: int) -> bool:
        kept, table = self._positions(), normalisation_table()
        return any(
            table[ord(ch)] == _SEPARATOR for ch in self.original[kept[left] + 1 : kept[right]]
        )


def _is_latin(ch: str) -> bool:
    return ch.isascii() and ch.isalnum()


def normalize(text: str) -> NormalizedText:
    original = np.frombuffer(text.encode(_ENCODING, _ERRORS), dtype=np.uint32)
    mapped = normalisation_table()[original]
    kept = np.flatnonzero(mapped != _SEPARATOR)
    values = mapped[kept]
    if len(values) > 1:
        repeat = np.empty(len(values), dtype=bool)
        repeat[0] = False
        np.equal(values[1:], values[:-1], out=repeat[1:])
        repeat &= (values < _DIGIT_0) | (values > _DIGIT_9)
        if repeat.any():
            keep = ~repeat
            kept, values = kept[keep], values[keep]
    return NormalizedText(
        original=text, text=_decode(values), mapped=mapped, kept=kept, _code_points=values
    )


def normalize_term(term: str) -> str:
    """A dictionary term in the form it is matched in: the same pipeline as the texts."""
    return normalize(term).text
