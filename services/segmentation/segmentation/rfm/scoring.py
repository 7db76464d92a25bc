"""RFM scores, the eight-class Chinese model, the 11 named segments and value tiers, vectorised.

Binning is tie-safe: a score is a function of the value alone (how many edges lie below it),
so equal values always share a score. Edges are the 20/40/60/80% quantiles of the workspace's
values unless the workspace fixed its own; equal quantiles are kept as they are, so a value above
a heap of ties still scores high (70% of buyers with one order: two orders score 4, not 2).
"""

from __future__ import annotations

import numpy as np

from segmentation.records.vocabulary import CLASSES, SEGMENTS, TIERS

QUANTILES = (0.2, 0.4, 0.6, 0.8)
HIGH_SCORE = 3  # a dimension counts as "high" at or above the middle score
__all__ = [
    "CLASSES",
    "SEGMENTS",
    "TIERS",
    "classify",
    "quantile_edges",
    "score_ascending",
    "score_descending",
    "segment",
    "tier",
]


_S = {name: code for code, name in enumerate(SEGMENTS)}
# Rows: R score 1..5; columns: FM score (rounded mean of F and M) 1..5.
SEGMENT_GRID = np.array(
    [
        [_S["Lost"], _S["Hibernating"], _S["At Risk"], _S["At Risk"], _S["Can't Lose Them"]],
        [_S["Hibernating"], _S["Hibernating"], _S["At Risk"], _S["At Risk"], _S["Can't Lose Them"]],
        [
            _S["About To Sleep"],
            _S["About To Sleep"],
            _S["Need Attention"],
            _S["Loyal"],
            _S["Loyal"],
        ],
        [
            _S["Promising"],
            _S["Potential Loyalist"],
            _S["Potential Loyalist"],
            _S["Loyal"],
            _S["Loyal"],
        ],
        [
            _S["New"],
            _S["Potential Loyalist"],
            _S["Potential Loyalist"],
            _S["Champions"],
            _S["Champions"],
        ],
    ],
    dtype=np.int8,
)


def quantile_edges(values: np.ndarray) -> list[float]:
    if values.size == 0:
        return [0.0, 0.0, 0.0, 0.0]
    return [float(edge) for edge in np.quantile(values, QUANTILES)]


def score_ascending(values: np.ndarray, edges: list[float]) -> np.ndarray:
    """Higher value, higher score: 1 + number of edges strictly below the value."""
    return (1 + np.searchsorted(np.asarray(edges, dtype=float), values, side="left")).astype(
        np.int8
    )


def score_descending(values: np.ndarray, edges: list[float]) -> np.ndarray:
    """Lower value, higher score (recency in days): 1 + number of edges at or above the value."""
    below = np.searchsorted(np.asarray(edges, dtype=float), values, side="left")
    return (1 + len(edges) - below).astype(np.int8)


def classify(r: np.ndarray, f: np.ndarray, m: np.ndarray) -> np.ndarray:
    """Eight-class codes (index into CLASSES)."""
    r_low = (r < HIGH_SCORE).astype(np.int8)
    f_low = (f < HIGH_SCORE).astype(np.int8)
    m_low = (m < HIGH_SCORE).astype(np.int8)
    return (m_low * 4 + r_low * 2 + f_low).astype(np.int8)


def segment(r: np.ndarray, f: np.ndarray, m: np.ndarray) -> np.ndarray:
    """11-segment codes (index into SEGMENTS) from R and the rounded mean of F and M."""
    fm = np.floor((f.astype(np.int16) + m.astype(np.int16)) / 2 + 0.5).astype(np.int16)
    return SEGMENT_GRID[r.astype(np.int16) - 1, np.clip(fm, 1, 5) - 1]


def tier(classes: np.ndarray) -> np.ndarray:
    """high value: all three high; potential high value: recent and large but infrequent;
    low value: all three low; general: the rest."""
    tiers = np.full(classes.shape, TIERS.index("general"), dtype=np.int8)
    tiers[classes == CLASSES.index("重要价值")] = TIERS.index("high_value")
    tiers[classes == CLASSES.index("重要发展")] = TIERS.index("potential_high_value")
    tiers[classes == CLASSES.index("一般挽留")] = TIERS.index("low_value")
    return tiers
