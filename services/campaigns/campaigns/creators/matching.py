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
from scipy.special import rel_entr

from campaigns.authenticity.analysis import DEFAULT_NORM, TIER_NORMS

DIMENSIONS = ("gender", "age_band", "region", "interests")
WEIGHTS = {"gender": 0.25, "age_band": 0.30, "region": 0.20, "interests": 0.25}
OVERALL = {"match": 0.5, "quality": 0.3, "cost": 0.2}
UNCHECKED_AUTHENTICITY = 0.8
RATE_CAP = 1.5
LN2 = float(np.log(2.0))
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
    prices: dict[str, Decimal]  # the lowest price per platform
    authenticity_score: float | None
    authenticity_verdict: str | None
    platforms: frozenset[str] = frozenset()  # where the creator has accounts

    def price(self, platform: str | None) -> Decimal | None:
        if platform is not None:
            return self.prices.get(platform)
        return min(self.prices.values()) if self.prices else None


@dataclass(frozen=True)
class Ranked:
    candidate: Candidate
    score: float
    match: float
    by_dimension: dict[str, float]
    quality: float
    price: Decimal | None
    cost_per_engagement: float | None
    cost_score: float
    explanation: str


def make_up(counts: dict[str, dict[str, float]]) -> dict[str, dict[str, float]]:
    """Shares per dimension from members counted per value ("unknown" left out); a
    dimension nobody has a value for is left out."""
    shares: dict[str, dict[str, float]] = {}
    for dimension in DIMENSIONS:
        values = {k: v for k, v in counts.get(dimension, {}).items() if k != "unknown"}
        total = sum(values.values())
        if total > 0:
            shares[dimension] = {k: round(v / total, 4) for k, v in sorted(values.items())}
    return shares


def _share_matrix(rows: list[dict[str, float]]) -> tuple[dict[str, int], np.ndarray]:
    """One row per creator, one column per label, each row normalised to sum 1 (an empty row
    stays 0). Flattened first, so the per-cell work is numpy's, not a Python loop's."""
    lengths = np.fromiter((len(row) for row in rows), dtype=np.int64, count=len(rows))
    total = int(lengths.sum())
    keys = [label for row in rows for label in row]
    values = np.fromiter((v for row in rows for v in row.values()), dtype=float, count=total)
    names, columns = np.unique(np.array(keys, dtype=str), return_inverse=True)
    matrix = np.zeros((len(rows), len(names)))
    matrix[np.repeat(np.arange(len(rows)), lengths), columns] = values
    sums = matrix.sum(axis=1, keepdims=True)
    np.divide(matrix, sums, out=matrix, where=sums > 0)
    return {str(name): i for i, name in enumerate(names)}, matrix


class Pool:
    """The candidates as arrays: one matrix of shares per dimension (a column per label),
    rates, authenticity factors, prices per platform. Building it walks every creator in
    Python; ranking against any target afterwards is numpy only, so the service keeps one
    per workspace until a creator changes."""

    def __init__(self, candidates: Sequence[Candidate]) -> None:
        self.candidates = list(candidates)
        n = len(self.candidates)
        self.labels: dict[str, dict[str, int]] = {}
        self.matrices: dict[str, np.ndarray] = {}
        for dimension in DIMENSIONS:
            self.labels[dimension], self.matrices[dimension] = _share_matrix(
                [c.audience.get(dimension) or {} for c in self.candidates]
            )
        self.known = {d: m.sum(axis=1) > 0 for d, m in self.matrices.items()}
        self.tiers = np.array([c.tier for c in self.candidates])
        self.norms = np.array([TIER_NORMS.get(c.tier, DEFAULT_NORM) for c in self.candidates])
        self.rates = np.array(
            [np.nan if c.engagement_rate is None else c.engagement_rate for c in self.candidates]
        )
        self.per_post = np.array(
            [c.engagements_per_post or np.nan for c in self.candidates], dtype=float
        )
        self.authenticity = np.array(
            [
                0.0
                if c.authenticity_verdict == "suspicious"
                else UNCHECKED_AUTHENTICITY
                if c.authenticity_score is None
                else c.authenticity_score / 100
                for c in self.candidates
            ]
        )
        platforms = sorted({p for c in self.candidates for p in c.prices})
        self.prices: dict[str | None, np.ndarray] = {
            platform: np.array(
                [
                    float(c.prices[platform]) if platform in c.prices else np.nan
                    for c in self.candidates
                ]
            )
            for platform in platforms
        }
        self.on_platform = {
            platform: np.array([platform in c.platforms for c in self.candidates], dtype=bool)
            for platform in sorted({p for c in self.candidates for p in c.platforms})
        }
        self.prices[None] = (
            np.fmin.reduce(np.vstack(list(self.prices.values())), axis=0)
            if platforms
            else np.full(n, np.nan)
        )

    def __len__(self) -> int:
        return len(self.candidates)

    def similarities(
        self, dimension: str, target: dict[str, float], rows: np.ndarray
    ) -> np.ndarray:
        """1 − JS distance (base 2) for the given rows; NaN where a creator has no shares.

        Only the target's labels are visited: where the target is 0 the mixture is p/2, so
        those columns add p·ln 2 each, ln 2 × (1 − the row's mass on the target's labels) in
        all; a target label no creator has adds q·ln 2. Exactly scipy's figure (a test
        compares them), at the cost of the target's few columns instead of every label."""
        labels = self.labels[dimension]
        total = sum(target.values())
        result = np.full(len(rows), np.nan)
        known = self.known[dimension][rows]
        if total <= 0 or not known.any():
            return result
        inside = [(labels[k], v / total) for k, v in target.items() if k in labels and v > 0]
        outside = sum(v for k, v in target.items() if k not in labels) / total
        chosen = rows[known]
        divergence = np.full(len(chosen), LN2 * outside)
        if inside:
            columns = np.array([c for c, _ in inside])
            q = np.array([v for _, v in inside])
            p = self.matrices[dimension][np.ix_(chosen, columns)]
            m = (p + q) / 2.0
            divergence += rel_entr(p, m).sum(axis=1) + rel_entr(q, m).sum(axis=1)
            divergence += LN2 * (1.0 - p.sum(axis=1))
        else:
            divergence += LN2
        result[known] = 1.0 - np.sqrt(np.clip(divergence / (2.0 * LN2), 0.0, 1.0))
        return result


def rank(
    pool: Pool | Sequence[Candidate],
    target: dict[str, dict[str, float]],
    *,
    sort: SortKey = "overall",
    limit: int = 10,
    platform: str | None = None,
    tier: str | None = None,
    rows: np.ndarray | None = None,
) -> list[Ranked]:
    """The best `limit` of the pool (or of `rows` of it) for the target, explained."""
    if not isinstance(pool, Pool):
        pool = Pool(pool)
    if rows is None:
        rows = np.arange(len(pool))
    if tier is not None:
        rows = rows[pool.tiers[rows] == tier]
    if platform is not None:
        rows = rows[pool.on_platform.get(platform, np.zeros(len(pool), dtype=bool))[rows]]
    n = len(rows)
    if n == 0:
        return []
    by_dimension: dict[str, np.ndarray] = {}
    weighted = np.zeros(n)
    weight_sum = np.zeros(n)
    for dimension in DIMENSIONS:
        if not target.get(dimension):
            continue
        similarity = pool.similarities(dimension, target[dimension], rows)
        by_dimension[dimension] = similarity
        present = ~np.isnan(similarity)
        weighted[present] += WEIGHTS[dimension] * similarity[present]
        weight_sum[present] += WEIGHTS[dimension]
    match = np.divide(weighted, weight_sum, out=np.zeros(n), where=weight_sum > 0)

    rates = pool.rates[rows]
    norms = pool.norms[rows]
    rate_score = np.where(np.isnan(rates), 0.5, np.clip(rates / norms, 0, RATE_CAP) / RATE_CAP)
    quality = rate_score * pool.authenticity[rows]

    prices = pool.prices.get(platform, np.full(len(pool), np.nan))[rows]
    cpe = prices / pool.per_post[rows]
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
        candidate = pool.candidates[rows[i]]
        dims = {d: round(float(v[i]), 4) for d, v in by_dimension.items() if not np.isnan(v[i])}
        per_engagement = None if np.isnan(cpe[i]) else float(cpe[i])
        ranked.append(
            Ranked(
                candidate=candidate,
                score=round(float(overall[i]), 4),
                match=round(float(match[i]), 4),
                by_dimension=dims,
                quality=round(float(quality[i]), 4),
                price=candidate.price(platform),
                cost_per_engagement=None if per_engagement is None else round(per_engagement, 4),
                cost_score=round(float(cost_score[i]), 4),
                explanation=_explain(
                    candidate,
                    dims,
                    float(match[i]),
                    float(quality[i]),
                    float(norms[i]),
                    candidate.price(platform),
                    per_engagement,
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
    price: Decimal | None,
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
        else f"¥{cpe:.2f} per expected engagement (¥{price} / "
        f"{candidate.engagements_per_post:.0f} per post; score {cost_score:.2f})"
    )
    return (
        f"audience match {match:.2f} (1 − JS distance: {parts}); quality {quality:.2f} "
        f"({rate}, {checked}); {cost}; overall 0.5·{match:.2f} + 0.3·{quality:.2f} + "
        f"0.2·{cost_score:.2f} = {overall:.2f}"
    )
