"""The shared normalisation (yunying_shared.text.normalize) as the matcher needs it: the text
only, without the offsets back into the original.

`normalize` runs numpy over each text's code points, which costs ~40 µs for a short mention;
the matcher needs no offsets, so this applies the same table (`normalisation_table`: width,
compatibility forms, case, traditional → simplified, separators dropped) through `str.translate`
with a mapping filled lazily per character, then collapses runs of one repeated character
except digits, as `normalize` does. Same output (a test compares them), a few µs per text."""

from __future__ import annotations

import re

from yunying_shared.text.tables import normalisation_table

_SEPARATOR = 0
_REPEATS = re.compile(r"([^0-9])\1+")


class _CharMap(dict[int, str]):
    """ord(char) → its normalised form ('' for a separator), looked up once per character."""

    def __missing__(self, code: int) -> str:
        mapped = int(normalisation_table()[code]) if code < len(normalisation_table()) else code
        value = "" if mapped == _SEPARATOR else chr(mapped)
        self[code] = value
        return value


_CHARS = _CharMap()


def normalised_text(text: str) -> str:
    return _REPEATS.sub(r"\1", text.translate(_CHARS))
