"""The statistics against published reference values (each source cited at its test) and a
seeded simulation of the sequential test under repeated peeking."""

import math

import numpy as np
import pytest
from scipy import stats as scipy_stats

from campaigns.experiments import stats


def test_z_test_matches_a_published_two_proportion_example():
    # usablestats.com/askstats/question/866: 80 of 3303 vs 118 of 3303, pooled SE .004196,
    # "test statistic ... 2.74195", "2-sided p-value of .00611".
    result = stats.two_proportion_ztest(80, 3303, 118, 3303)
    assert result.z == pytest.approx(2.74195, abs=1e-4)
    assert result.p_value == pytest.approx(0.00611, abs=1e-5)


def test_z_test_matches_a_second_worked_example_with_unequal_sizes():
    # homeworksource.com/p/1008622: 140 of 200 vs 255 of 340, pooled 0.7314815,
    # SE 0.03949401, "Test statistic = -1.266015" (their p-value uses a t table, so only the
    # statistic is compared; the p-value is the normal tail's).
    result = stats.two_proportion_ztest(255, 340, 140, 200)
    assert result.z == pytest.approx(-1.266015, abs=1e-6)
    assert result.p_value == pytest.approx(2 * scipy_stats.norm.cdf(-1.266015), abs=1e-6)


def test_z_squared_is_the_uncorrected_chi_square_of_the_two_by_two_table():
    table = [[118, 3303 - 118], [80, 3303 - 80]]
    chi2 = scipy_stats.chi2_contingency(table, correction=False)
    result = stats.two_proportion_ztest(80, 3303, 118, 3303)
    assert result.z**2 == pytest.approx(chi2.statistic, rel=1e-9)
    assert result.p_value == pytest.approx(chi2.pvalue, rel=1e-9)


def test_no_exposures_or_no_variance_is_no_evidence():
    assert stats.two_proportion_ztest(0, 0, 5, 10).p_value == 1.0
    assert stats.two_proportion_ztest(0, 100, 0, 100).p_value == 1.0


def test_sample_ratio_check_reproduces_scipys_documented_chisquare_examples():
    # scipy.stats.chisquare docs: chisquare([16, 18, 16, 14, 12, 12]) -> statistic 2.0,
    # pvalue 0.84914503608460956; with f_exp=[16, 16, 16, 16, 16, 8] -> 3.5, 0.62338762774958223.
    even = stats.sample_ratio_mismatch([16, 18, 16, 14, 12, 12], [1, 1, 1, 1, 1, 1])
    assert even.statistic == pytest.approx(2.0)
    assert even.p_value == pytest.approx(0.84914503608460956)
    weighted = stats.sample_ratio_mismatch([16, 18, 16, 14, 12, 12], [2, 2, 2, 2, 2, 1])
    assert weighted.expected == (16, 16, 16, 16, 16, 8)
    assert weighted.statistic == pytest.approx(3.5)
    assert weighted.p_value == pytest.approx(0.62338762774958223)
    assert not weighted.mismatch


def test_sample_ratio_mismatch_is_flagged_below_one_in_a_thousand():
    # A 50/50 split that came out 5,000 vs 5,400: chi2 = 2 * 200^2 / 5,200 = 15.4, p ~ 9e-5.
    check = stats.sample_ratio_mismatch([5000, 5400], [50, 50])
    assert check.statistic == pytest.approx(2 * 200**2 / 5200)
    assert check.p_value < 0.001 and check.mismatch
    assert not stats.sample_ratio_mismatch([5000, 5100], [50, 50]).mismatch
    with pytest.raises(ValueError):
        stats.sample_ratio_mismatch([1, 2], [1])


@pytest.mark.parametrize(
    ("control", "variant", "expected"),
    [
        # Beta(1, 1) against itself: symmetric, 1/2.
        ((0, 0), (0, 0), 0.5),
        # Beta(2, 1) (one conversion of one) against Beta(1, 1): integral of 2x * x = 2/3.
        ((0, 0), (1, 1), 2 / 3),
        # Beta(a, 1) against Beta(b, 1): P = a / (a + b); here a = 4 (3 of 3), b = 2 (1 of 1).
        ((1, 1), (3, 3), 4 / 6),
        # Beta(1, 2) (zero of one) against Beta(1, 1): integral of x * 2(1 - x) = 1/3.
        ((0, 0), (0, 1), 1 / 3),
    ],
)
def test_chance_to_beat_control_matches_closed_form_beta_probabilities(control, variant, expected):
    # The closed forms follow from the Beta densities (Evan Miller, "Formulas for Bayesian
    # A/B testing", 2015, gives the general sum these special cases reduce to).
    assert stats.chance_to_beat_control(*control, *variant) == pytest.approx(expected, abs=1e-12)


def test_chance_to_beat_control_agrees_with_seeded_monte_carlo():
    rng = np.random.default_rng(20261130)
    control = rng.beta(1 + 100, 1 + 900, size=400_000)
    variant = rng.beta(1 + 130, 1 + 870, size=400_000)
    simulated = float(np.mean(variant > control))
    exact = stats.chance_to_beat_control(100, 1000, 130, 1000)
    assert exact == pytest.approx(simulated, abs=0.002)
    assert exact + stats.chance_to_beat_control(130, 1000, 100, 1000) == pytest.approx(1.0)


def test_wilson_interval_matches_its_formula():
    # Wilson (1927): (p + z^2/2n +- z sqrt(p(1-p)/n + z^2/4n^2)) / (1 + z^2/n).
    x, n, z = 80, 3303, scipy_stats.norm.ppf(0.975)
    p = x / n
    centre = (p + z**2 / (2 * n)) / (1 + z**2 / n)
    half = z * math.sqrt(p * (1 - p) / n + z**2 / (4 * n**2)) / (1 + z**2 / n)
    interval = stats.conversion_interval(x, n)
    assert interval.low == pytest.approx(centre - half)
    assert interval.high == pytest.approx(centre + half)
    assert stats.conversion_interval(0, 0) == stats.Interval(0.0, 0.0, 1.0)


def test_lift_intervals_contain_the_estimate_and_exclude_zero_when_significant():
    absolute = stats.difference_interval(80, 3303, 118, 3303)
    assert absolute.estimate == pytest.approx(118 / 3303 - 80 / 3303)
    assert 0 < absolute.low < absolute.estimate < absolute.high
    relative = stats.relative_lift_interval(80, 3303, 118, 3303)
    assert relative is not None
    assert relative.estimate == pytest.approx(118 / 80 - 1)
    assert 0 < relative.low < relative.estimate < relative.high
    assert stats.relative_lift_interval(0, 100, 5, 100) is None


def test_holm_adjustment_reproduces_the_textbook_example():
    # Holm-Bonferroni method, Wikipedia's example: p = 0.01, 0.04, 0.03, 0.005 at alpha 0.05
    # rejects H1 and H4 only. Adjusted: 4*0.005 = 0.02, 3*0.01 = 0.03, then max(2*0.03,
    # 0.03) = 0.06 and max(1*0.04, 0.06) = 0.06 (monotone).
    adjusted = stats.holm_adjust([0.01, 0.04, 0.03, 0.005])
    assert adjusted == pytest.approx([0.03, 0.06, 0.06, 0.02])
    assert [p < 0.05 for p in adjusted] == [True, False, False, True]


def test_always_valid_p_is_more_conservative_than_the_fixed_horizon_p_and_its_interval_wider():
    fixed = stats.two_proportion_ztest(80, 3303, 118, 3303)
    sequential = stats.always_valid_p_value(80, 3303, 118, 3303)
    assert fixed.p_value < sequential <= 1.0
    fixed_interval = stats.difference_interval(80, 3303, 118, 3303)
    always = stats.always_valid_interval(80, 3303, 118, 3303)
    assert always.low < fixed_interval.low and always.high > fixed_interval.high
    # A large true effect is still found.
    assert stats.always_valid_p_value(1000, 10_000, 1300, 10_000) < 0.001


def _peeking_false_positive_rates(seed: int) -> tuple[float, float]:
    """A/A tests (both arms convert at 10%) looked at every 100 users per arm up to 4,000:
    the share of runs that ever look significant at 0.05."""
    rng = np.random.default_rng(seed)
    runs, users, step, alpha = 300, 4000, 100, 0.05
    control = np.cumsum(rng.random((runs, users)) < 0.10, axis=1)
    variant = np.cumsum(rng.random((runs, users)) < 0.10, axis=1)
    naive_hits = sequential_hits = 0
    for run in range(runs):
        naive = sequential = False
        for n in range(step, users + 1, step):
            a, b = int(control[run, n - 1]), int(variant[run, n - 1])
            naive = naive or stats.two_proportion_ztest(a, n, b, n).p_value < alpha
            sequential = sequential or stats.always_valid_p_value(a, n, b, n) < alpha
        naive_hits += naive
        sequential_hits += sequential
    return naive_hits / runs, sequential_hits / runs


def test_peeking_inflates_the_fixed_horizon_test_but_not_the_sequential_one():
    naive, sequential = _peeking_false_positive_rates(seed=7)
    # 40 looks at a fixed-horizon z-test roughly quadruple its error rate...
    assert naive > 0.2
    # ...while the mSPRT stays at or under alpha (300 runs: 0.05 + ~2 standard errors).
    assert sequential <= 0.075
