"""Synthetic hourly mention series with a daily and weekly rhythm (seeded, so reproducible)."""

from __future__ import annotations

import math
from datetime import datetime, timedelta

import numpy as np

from sentiment_alert.spikes import Bucket

START = datetime(2026, 3, 2)  # a Monday


def expected_mentions(moment: datetime) -> float:
    daily = 60 + 40 * math.sin((moment.hour - 9) / 24 * 2 * math.pi)  # busy afternoons
    return daily * (0.6 if moment.weekday() >= 5 else 1.0)


def seasonal_buckets(days: int, seed: int = 7) -> list[Bucket]:
    rng = np.random.default_rng(seed)
    buckets = []
    for hour in range(days * 24):
        moment = START + timedelta(hours=hour)
        mentions = int(rng.poisson(expected_mentions(moment)))
        authors = round(mentions * 0.9)
        negative = int(rng.binomial(mentions, 0.1))
        buckets.append(Bucket(moment, mentions, authors, negative, negative))
    return buckets
