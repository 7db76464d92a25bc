"""Assignment: deterministic, sticky, weighted, independent across experiments."""

from collections import Counter
from uuid import UUID, uuid4

import pytest

from campaigns.experiments import stats
from campaigns.experiments.assignment import BUCKETS, HOLDOUT, allocation, assign, bucket

EXPERIMENT = UUID("00000000-0000-4000-8000-000000000001")


def test_the_same_user_gets_the_same_bucket_and_arm_every_time():
    plan = allocation([("a", 1), ("b", 1)], holdout_percent=10)
    arms = {assign(EXPERIMENT, "user-42", plan) for _ in range(5)}
    assert len(arms) == 1
    assert 0 <= bucket(EXPERIMENT, "user-42") < BUCKETS


def test_allocation_splits_the_buckets_by_holdout_and_weight():
    plan = allocation([("control", 1), ("video", 3)], holdout_percent=20)
    assert plan.arms == (HOLDOUT, "control", "video")
    assert plan.boundaries() == [2000, 4000, 10000]
    assert plan.bucket_shares() == pytest.approx([0.2, 0.2, 0.6])


def test_realised_split_matches_the_weights_and_passes_the_srm_check():
    plan = allocation([("control", 1), ("b", 1), ("c", 2)], holdout_percent=10)
    counts = Counter(assign(EXPERIMENT, f"u{i}", plan) for i in range(40_000))
    observed = [counts[arm] for arm in plan.arms]
    check = stats.sample_ratio_mismatch(observed, plan.bucket_shares())
    assert not check.mismatch
    for arm, share in zip(plan.arms, plan.bucket_shares(), strict=True):
        assert counts[arm] / 40_000 == pytest.approx(share, abs=0.01)


def test_two_experiments_assign_independently():
    plan = allocation([("a", 1), ("b", 1)], holdout_percent=0)
    other = uuid4()
    pairs = Counter(
        (assign(EXPERIMENT, f"u{i}", plan), assign(other, f"u{i}", plan)) for i in range(20_000)
    )
    # Independent halves: each of the four combinations near a quarter.
    for combination in [("a", "a"), ("a", "b"), ("b", "a"), ("b", "b")]:
        assert pairs[combination] / 20_000 == pytest.approx(0.25, abs=0.015)
