"""The read-out's decision over several variants, from counts alone."""

import uuid

import pytest

from campaigns.experiments import stats
from campaigns.experiments.assignment import allocation
from campaigns.experiments.results import Design, read_out


def _design(sequential=True, planned=None):
    return Design(
        experiment_id=uuid.uuid4(),
        status="running",
        plan=allocation([("control", 1), ("b", 1), ("c", 1), ("d", 1)], holdout_percent=0),
        control="control",
        alpha=0.05,
        sequential=sequential,
        tuning_exposures=5000,
        planned_exposures_per_arm=planned,
        min_chance_to_beat=0.95,
    )


EXPOSURES = {"control": 10_000, "b": 10_000, "c": 10_000, "d": 10_000}


def test_holm_is_applied_across_the_variants_and_the_best_significant_one_ships():
    conversions = {"control": 1000, "b": 1010, "c": 1150, "d": 1200}
    read = read_out(_design(sequential=False, planned=10_000), EXPOSURES, conversions)
    variants = [a for a in read.arms if not a.control]
    raw = [a.p_value for a in variants]
    assert [a.adjusted_p_value for a in variants] == pytest.approx(stats.holm_adjust(raw))
    assert read.recommendation == "ship" and read.winner == "d"
    assert "two-sided z-test" in read.decision_rule


def test_a_variant_significant_alone_can_fail_after_holm():
    # c's raw p is just under 0.05; with three comparisons Holm multiplies it up to 3x.
    conversions = {"control": 1000, "b": 1000, "c": 1085, "d": 1000}
    read = read_out(_design(sequential=False, planned=10_000), EXPOSURES, conversions)
    c = next(a for a in read.arms if a.arm == "c")
    assert c.p_value is not None and c.p_value < 0.05
    assert c.adjusted_p_value is not None and c.adjusted_p_value >= 0.05
    assert read.recommendation == "keep_control" and read.winner is None


def test_sequential_read_out_keeps_running_while_unclear():
    conversions = {"control": 1000, "b": 1040, "c": 990, "d": 1010}
    read = read_out(_design(), EXPOSURES, conversions)
    assert read.recommendation == "continue"
    assert "mSPRT" in read.decision_rule
