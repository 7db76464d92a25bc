"""A scan's matches as one integer matrix, a row per hit, and the decisions over it as numpy
operations: the precedence and exception checks cost the same few dozen array operations
whether a post holds one finding or two hundred.

A row starts as the row of the matched pattern's payload (the rule's facts, built once with the
dictionary); the scan fills in START and END, offsets in the normalised text (end exclusive).
"""

from functools import cache

import numpy as np
import numpy.typing as npt

from yunying_shared.text import NormalizedText

Matrix = npt.NDArray[np.int64]
Indexes = npt.NDArray[np.intp]
Flags = npt.NDArray[np.bool_]

# Columns of a hit row. RULE indexes the scan's rules: the shipped ones, then the workspace's.
RULE, START, END, KIND, MATCH, SEVERITY, CATEGORY, PLATFORMS, ABSOLUTE, ALLOWABLE, CONTEXT = range(
    11
)
COLUMNS = 11
# KIND: what the matched phrase is.
TERM, SHIELD, ALLOW = 0, 1, 2
# MATCH, in MatchKind's order.
LITERAL, PINYIN, HOMOPHONE = 0, 1, 2

_ENCODING = "utf-32-le"
_ERRORS = "surrogatepass"
_UNICODE_SIZE = 0x110000
_SENTENCE_BREAKS = "\n\r\u2028\u2029。！？!?；;…"


def code_points(text: str) -> npt.NDArray[np.uint32]:
    return np.frombuffer(text.encode(_ENCODING, _ERRORS), dtype=np.uint32)


@cache
def _sentence_breaks() -> Flags:
    table = np.zeros(_UNICODE_SIZE, dtype=bool)
    table[[ord(ch) for ch in _SENTENCE_BREAKS]] = True
    table.flags.writeable = False
    return table


@cache
def _latin() -> Flags:
    """ASCII letters and digits, for code points clipped to 127 (DEL: not one)."""
    table = np.array([chr(cp).isalnum() for cp in range(128)])
    table.flags.writeable = False
    return table


def spans_of(hits: Matrix, kind: int) -> Matrix:
    spans: Matrix = hits[hits[:, KIND] == kind][:, START : END + 1]
    return spans


def covered(hits: Matrix, spans: Matrix) -> Flags:
    """Per hit: does one of ``spans`` (rows of start, end) contain it? Among the spans starting
    at or before a hit, the one reaching furthest decides."""
    spans = spans[np.argsort(spans[:, 0], kind="stable")]
    reach = np.maximum.accumulate(spans[:, 1])
    last = np.searchsorted(spans[:, 0], hits[:, START], side="right") - 1
    return (last >= 0) & (reach[last] >= hits[:, END])


class Offsets:
    """Where the normalised characters came from in the original, for whole columns of hits."""

    def __init__(self, normalised: NormalizedText) -> None:
        self.normalised = normalised
        # Original offsets of every character normalisation did not drop as a separator:
        # the kept ones and the collapsed repeats.
        self.letters = np.flatnonzero(normalised.mapped)

    def spans(self, hits: Matrix) -> tuple[Indexes, Indexes]:
        """Each hit's span in the original text, as ``NormalizedText.original_span`` gives it
        (separators inside belong to it, and so do the collapsed repeats of its last
        character). Between a hit's last character and the next kept one the original holds
        only separators and repeats of that last character, so the span ends after the last
        character there that is not a separator."""
        kept = np.append(self.normalised.kept, len(self.normalised.original))
        stops = kept[hits[:, END]]
        last_letter = self.letters[np.searchsorted(self.letters, stops) - 1]
        return kept[hits[:, START]], last_letter + 1

    def glued(self) -> Flags | None:
        """Per normalised position i (0..len): characters i-1 and i are both ASCII letters or
        digits with no separator between them in the original ("vx" inside "canvxas"; "v x"
        is separated). A Latin match must not be glued at either end. None: no two Latin
        characters in a row anywhere."""
        normalised = self.normalised
        latin = np.take(_latin(), code_points(normalised.text), mode="clip")
        if len(latin) < 2 or not (latin[1:] & latin[:-1]).any():
            return None
        glued = np.zeros(len(latin) + 1, dtype=bool)
        # Separators before each original offset; a pair is separated when that count grows.
        separators = np.cumsum(normalised.mapped == 0)
        kept = normalised.kept
        glued[1:-1] = latin[1:] & latin[:-1] & (separators[kept[1:]] == separators[kept[:-1]])
        return glued

    def crosses_a_sentence(self, starts: Indexes, ends: Indexes) -> Flags:
        """Per original span: does it hold a line or sentence break?"""
        breaks = _sentence_breaks()[code_points(self.normalised.original)]
        before = np.concatenate(([0], np.cumsum(breaks)))
        return before[ends] > before[starts]


def outermost(hits: Matrix, text_length: int) -> Indexes:
    """Row indexes of the hits to keep, in report order (start, longest first, a literal
    before a phonetic hit of the same span, then the order found): a hit inside an earlier
    hit of its category goes (最 inside 最佳), so one place has one finding per category."""
    width = text_length + 1
    key = (hits[:, START] * width + (text_length - hits[:, END])) * 2 + (hits[:, MATCH] != LITERAL)
    order = np.argsort(key, kind="stable")
    # Group by category, keeping the report order inside each group: a hit is nested exactly
    # when an earlier hit of its group reaches at least as far. Offsetting each group's ends
    # by the category makes one running maximum serve all groups.
    grouped = order[np.argsort(hits[order, CATEGORY], kind="stable")]
    reach = hits[grouped, END] + hits[grouped, CATEGORY] * width
    previous = np.empty_like(reach)
    previous[0] = -1
    np.maximum.accumulate(reach[:-1], out=previous[1:])
    keep = np.empty(len(hits), dtype=bool)
    keep[grouped] = reach > previous
    return order[keep[order]]
