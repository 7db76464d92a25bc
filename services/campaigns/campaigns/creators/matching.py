"""Ranking creators against a target audience, vectorised (numpy, scipy): pure, no I/O.

**Audience match.** Per dimension (gender, age band, region, interests) the creator's shares
and the segment's are two distributions over the union of their labels; their similarity is
1 − the Jensen–Shannon distance (base 2, so it lies in [0, 1]: 1 for the same make-up, 0 for
disjoint ones). The match is the weighted mean over the dimensions both sides know (weights
`WEIGHTS`, re-normalised over those dimensions); a creator sharing no dimension matches 0.

**Engagement quality.** The creator's engagement rate against its tier's norm (capped at 1.5×:
more is no better, and far more is a sign of bought likes, which authenticity judges), times
the authenticity score / 100 (0.8 when never checked; 0 when judged suspicious).

**Cost per expected engagement.** The creator's lowest price (on the platform asked for, else
any) divided by its engagements per post in the history; scored as the cheapest candidate's
cost divided by this one's.

**Overall** = 0.5 × match + 0.3 × quality + 0.2 × cost score.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Literal

import numpy as np
from scipy.spatial.distance import jensenshannon

from campaigns.authenticity.analysis import DEFAULT_NORM, TIER_NORMS

DIMENSIONS = ("gender", "age_band", "region", "interests")
WEIGHTS = {"gender": 0.25, "age_band": 0.30, "region": 0.20, "interests": 0.25}
OVERALL = {"match": 0.5, "quality": 0.3, "cost": 0.2}
UNCHECKED_AUTHENTICITY = 0.8
RATE_CAP = 1.5
SortKey = Literal["overall", "match", "quality", "cost"]
METHOD = (
    "match: weighted mean over shared dimensions of 1 − Jensen–Shannon distance (base 2) "
    f"between the creator's audience shares and the segment's, weights {WEIGHTS}; quality: "
    f"engagement rate / tier norm (capped at {RATE_CAP}) × authenticity score/100 "
    f"({UNCHECKED_AUTHENTICITY} if never checked, 0 if suspicious); cost: lowest price / "
    "engagements per post, scored cheapest/this; overall: 0.5·match + 0.3·quality + 0.2·cost"
)


@dataclass(frozen=True)
class Candidate:
    id: Any
    name: str
    tier: str
    audience: dict[str, dict[str, float]]
    engagement_rate: float | None
    engagements_per_post: float | None
    price: Decimal | None
    authenticity_score: float | None
    authenticity_verdict: str | None


@dataclass(frozen=True)
class Ranked:
    candidate: Candidate
    score: float
    match: float
    by_dimension: dict[str, float]
    quality: float
    cost_per_engagement: float | None
    cost_score: float
    explanation: str


def make_up(
    rows: Sequence[tuple[str | None, str | None, str | None, Sequence[str]]],
) -> dict[str, dict[str, float]]:
    """A segment's shares per dimension from its members' attributes (unknown values left
    out); a member with several interests counts 1/n towards each."""
    counts: dict[str, dict[str, float]] = {d: {} for d in DIMENSIONS}
    for gender, age_band, region, interests in rows:
        for dimension, value in (("gender", gender), ("age_band", age_band), ("region", region)):
            if value and value != "unknown":
                counts[dimension][value] = counts[dimension].get(value, 0.0) + 1.0
        for interest in interests:
            bucket = counts["interests"]
            bucket[interest] = bucket.get(interest, 0.0) + 1.0 / len(interests)
    shares: dict[str, dict[str, float]] = {}
    for dimension, values in counts.items():
        total = sum(values.values())
        if total > 0:
            shares[dimension] = {k: round(v / total, 4) for k, v in sorted(values.items())}
    return shares


def _similarities(
    candidates: Sequence[Candidate], target: dict[str, float], dimension: str
) -> np.ndarray:
    """1 − JS distance per candidate for one dimension; NaN where the creator has no shares."""
    labels = {label: i for i, label in enumerate(target)}
    rows = [c.audience.get(dimension) or {} for c in candidates]
    for row in rows:
        for label in row:
            labels.setdefault(label, len(labels))
    matrix = np.zeros((len(candidates), len(labels)))
    for i, row in enumerate(rows):
        for label, share in row.items():
            matrix[i, labels[label]] = share
    q = np.zeros(len(labels))
    for label, share in target.items():
        q[labels[label]] = share
    result = np.full(len(candidates), np.nan)
    known = matrix.sum(axis=1) > 0
    if known.any() and q.sum() > 0:
        distance = jensenshannon(matrix[known], q[None, :], axis=1, base=2)
        result[known] = 1.0 - np.clip(distance, 0.0, 1.0)
    return result


def rank(
    candidates: Sequence[Candidate],
    target: dict[str, dict[str, float]],
    *,
    sort: SortKey = "overall",
    limit: int = 10,
) -> list[Ranked]:
    if not candidates:
        return []
    n = len(candidates)
    by_dimension: dict[str, np.ndarray] = {}
    weighted = np.zeros(n)
    weight_sum = np.zeros(n)
    for dimension in DIMENSIONS:
        if not target.get(dimension):
            continue
        similarity = _similarities(candidates, target[dimension], dimension)
        by_dimension[dimension] = similarity
        present = ~np.isnan(similarity)
        weighted[present] += WEIGHTS[dimension] * similarity[present]
        weight_sum[present] += WEIGHTS[dimension]
    match = np.divide(weighted, weight_sum, out=np.zeros(n), where=weight_sum > 0)

    norms = np.array([TIER_NORMS.get(c.tier, DEFAULT_NORM) for c in candidates])
    rates = np.array(
        [np.nan if c.engagement_rate is None else c.engagement_rate for c in candidates]
    )
    rate_score = np.where(np.isnan(rates), 0.5, np.clip(rates / norms, 0, RATE_CAP) / RATE_CAP)
    authenticity = np.array(
        [
            0.0
            if c.authenticity_verdict == "suspicious"
            else UNCHECKED_AUTHENTICITY
            if c.authenticity_score is None
            else c.authenticity_score / 100
            for c in candidates
        ]
    )
    quality = rate_score * authenticity

    cpe = np.array(
        [
            float(c.price) / c.engagements_per_post
            if c.price is not None and c.engagements_per_post
            else np.nan
            for c in candidates
        ]
    )
    cheapest = np.nanmin(cpe) if not np.isnan(cpe).all() else np.nan
    cost_score = np.where(
        np.isnan(cpe), 0.0, np.divide(cheapest, cpe, where=cpe > 0, out=np.ones(n))
    )
    overall = OVERALL["match"] * match + OVERALL["quality"] * quality + OVERALL["cost"] * cost_score

    key = {
        "overall": -overall,
        "match": -match,
        "quality": -quality,
        "cost": np.where(np.isnan(cpe), np.inf, cpe),
    }[sort]
    count = min(limit, n)
    top = np.argpartition(key, count - 1)[:count] if count < n else np.arange(n)
    top = top[np.argsort(key[top], kind="stable")]
    ranked = []
    for i in top:
        dims = {d: round(float(v[i]), 4) for d, v in by_dimension.items() if not np.isnan(v[i])}
        ranked.append(
            Ranked(
                candidate=candidates[i],
                score=round(float(overall[i]), 4),
                match=round(float(match[i]), 4),
                by_dimension=dims,
                quality=round(float(quality[i]), 4),
                cost_per_engagement=None if np.isnan(cpe[i]) else round(float(cpe[i]), 4),
                cost_score=round(float(cost_score[i]), 4),
                explanation=_explain(
                    candidates[i],
                    dims,
                    float(match[i]),
                    float(quality[i]),
                    float(norms[i]),
                    float(authenticity[i]),
                    None if np.isnan(cpe[i]) else float(cpe[i]),
                    float(cost_score[i]),
                    float(overall[i]),
                ),
            )
        )
    return ranked


def _explain(
    candidate: Candidate,
    dims: dict[str, float],
    match: float,
    quality: float,
    norm: float,
    authenticity: float,
    cpe: float | None,
    cost_score: float,
    overall: float,
) -> str:
    parts = ", ".join(f"{d} {s:.2f}" for d, s in dims.items()) or "no shared dimension"
    if candidate.engagement_rate is None:
        rate = "no performance history (rate scored 0.5)"
    else:
        rate = f"engagement {candidate.engagement_rate:.2%} vs {candidate.tier} norm {norm:.1%}"
    if candidate.authenticity_verdict == "suspicious":
        checked = "authenticity: suspicious (quality 0)"
    elif candidate.authenticity_score is None:
        checked = f"authenticity not checked (×{UNCHECKED_AUTHENTICITY})"
    else:
        checked = f"authenticity {candidate.authenticity_score:.0f}/100"
    cost = (
        "no price or history for a cost"
        if cpe is None
        else f"¥{cpe:.2f} per expected engagement (¥{candidate.price} / "
        f"{candidate.engagements_per_post:.0f} per post; score {cost_score:.2f})"
    )
    return (
        f"audience match {match:.2f} (1 − JS distance: {parts}); quality {quality:.2f} "
        f"({rate}, {checked}); {cost}; overall 0.5·{match:.2f} + 0.3·{quality:.2f} + "
        f"0.2·{cost_score:.2f} = {overall:.2f}"
    )
