"""The pure part of a re-score: from a snapshot's arrays to new scores, classes, tiers, stages."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from segmentation.lifecycle.rules import DAY, LifecycleRules, evaluate_stages
from segmentation.rfm import scoring
from segmentation.rfm.snapshot import Snapshot


@dataclass
class Scored:
    edges: dict[str, list[float]]
    r: np.ndarray  # int8, 0 = not scored (never purchased)
    f: np.ndarray
    m: np.ndarray
    rfm_class: np.ndarray  # int8 codes, -1 = none
    segment: np.ndarray
    tier: np.ndarray
    stage: np.ndarray

    def changed(self, before: Snapshot) -> np.ndarray:
        moved: np.ndarray = (
            (self.r != before.r)
            | (self.f != before.f)
            | (self.m != before.m)
            | (self.rfm_class != before.rfm_class)
            | (self.segment != before.segment)
            | (self.tier != before.tier)
            | (self.stage != before.stage)
        )
        return moved


def compute(
    snapshot: Snapshot, *, now: float, custom_edges: dict[str, Any], rules: LifecycleRules
) -> Scored:
    purchased = ~np.isnan(snapshot.last_purchase)
    recency = (now - snapshot.last_purchase[purchased]) / DAY
    frequency = snapshot.frequency[purchased]
    monetary = snapshot.monetary[purchased]
    edges = {
        "recency": custom_edges.get("recency") or scoring.quantile_edges(recency),
        "frequency": custom_edges.get("frequency") or scoring.quantile_edges(frequency),
        "monetary": custom_edges.get("monetary") or scoring.quantile_edges(monetary),
    }
    size = len(snapshot)
    r, f, m = (np.zeros(size, dtype=np.int8) for _ in range(3))
    r[purchased] = scoring.score_descending(recency, edges["recency"])
    f[purchased] = scoring.score_ascending(frequency, edges["frequency"])
    m[purchased] = scoring.score_ascending(monetary, edges["monetary"])
    rfm_class, segment, tier = (np.full(size, -1, dtype=np.int8) for _ in range(3))
    rfm_class[purchased] = scoring.classify(r[purchased], f[purchased], m[purchased])
    segment[purchased] = scoring.segment(r[purchased], f[purchased], m[purchased])
    tier[purchased] = scoring.tier(rfm_class[purchased])
    stage = evaluate_stages(
        rules,
        now=now,
        first_purchase=snapshot.first_purchase,
        last_purchase=snapshot.last_purchase,
        last_active=snapshot.last_active,
        f_score=np.where(purchased, f, np.nan),
        m_score=np.where(purchased, m, np.nan),
    )
    return Scored(
        edges=edges, r=r, f=f, m=m, rfm_class=rfm_class, segment=segment, tier=tier, stage=stage
    )
