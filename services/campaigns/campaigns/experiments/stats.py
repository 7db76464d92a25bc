"""Experiment statistics: pure functions of counts, no database, no clock.

Conversion is a binary metric per exposed user (converted at least once, or not), so every arm
is a binomial sample and every function takes (conversions, exposures) pairs.

- Intervals for one arm: Wilson score (scipy's `binomtest(...).proportion_ci`), which stays
  inside [0, 1] and behaves at 0 or n conversions where the Wald interval does not.
- Fixed-horizon test: two-sided two-proportion z-test with the pooled standard error.
- Lift: absolute difference with an unpooled (Wald) interval; relative lift with a delta-method
  interval, as GrowthBook's frequentist engine reports it.
- Bayesian: chance to beat control P(p_variant > p_control) under Beta(1, 1) priors, in closed
  form (Evan Miller, "Formulas for Bayesian A/B testing", 2015), summed in log space.
- Sample-ratio mismatch: chi-squared goodness of fit of the observed arm sizes against the
  configured weights; a mismatch is flagged at p < 0.001.
- Sequential: the mixture sequential probability ratio test (mSPRT) of Johari, Pekelis and
  Walsh ("Always valid inference", 2017) with a normal mixing distribution on the difference.
  Its p-value is valid at every look, so peeking does not inflate the false-positive rate.
- Multiple variants: Holm's step-down adjustment of the p-values against the one control.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import special, stats

SRM_THRESHOLD = 0.001


@dataclass(frozen=True)
class Interval:
    estimate: float
    low: float
    high: float


@dataclass(frozen=True)
class ZTest:
    z: float
    p_value: float


@dataclass(frozen=True)
class SampleRatioCheck:
    statistic: float
    p_value: float
    expected: tuple[float, ...]
    mismatch: bool


def _rate(conversions: int, exposures: int) -> float:
    return conversions / exposures if exposures else 0.0


def _z_quantile(confidence: float) -> float:
    return float(stats.norm.ppf(0.5 + confidence / 2))


def conversion_interval(conversions: int, exposures: int, confidence: float = 0.95) -> Interval:
    if exposures == 0:
        return Interval(0.0, 0.0, 1.0)
    ci = stats.binomtest(conversions, exposures).proportion_ci(
        confidence_level=confidence, method="wilson"
    )
    return Interval(_rate(conversions, exposures), float(ci.low), float(ci.high))


def two_proportion_ztest(
    control_conversions: int, control_exposures: int, conversions: int, exposures: int
) -> ZTest:
    """H0: both arms convert at the same rate; z > 0 when the variant converts more."""
    if control_exposures == 0 or exposures == 0:
        return ZTest(0.0, 1.0)
    pooled = (control_conversions + conversions) / (control_exposures + exposures)
    variance = pooled * (1 - pooled) * (1 / control_exposures + 1 / exposures)
    if variance == 0:
        return ZTest(0.0, 1.0)
    difference = _rate(conversions, exposures) - _rate(control_conversions, control_exposures)
    z = difference / math.sqrt(variance)
    return ZTest(z, float(2 * stats.norm.sf(abs(z))))


def _unpooled_variance(conversions: int, exposures: int) -> float:
    if exposures == 0:
        return 0.0
    rate = conversions / exposures
    return rate * (1 - rate) / exposures


def difference_interval(
    control_conversions: int,
    control_exposures: int,
    conversions: int,
    exposures: int,
    confidence: float = 0.95,
) -> Interval:
    """Variant rate minus control rate (absolute lift), Wald interval."""
    difference = _rate(conversions, exposures) - _rate(control_conversions, control_exposures)
    se = math.sqrt(
        _unpooled_variance(control_conversions, control_exposures)
        + _unpooled_variance(conversions, exposures)
    )
    margin = _z_quantile(confidence) * se
    return Interval(difference, difference - margin, difference + margin)


def relative_lift_interval(
    control_conversions: int,
    control_exposures: int,
    conversions: int,
    exposures: int,
    confidence: float = 0.95,
) -> Interval | None:
    """(variant / control) - 1 with a delta-method interval; None while control has no
    conversions (the ratio is undefined)."""
    control_rate = _rate(control_conversions, control_exposures)
    if control_rate == 0:
        return None
    rate = _rate(conversions, exposures)
    lift = rate / control_rate - 1
    # Var(B/A) ~ (B/A)^2 (Var(A)/A^2 + Var(B)/B^2); with B = 0 the second term is Var(B)/A^2.
    variance = (rate / control_rate) ** 2 * (
        _unpooled_variance(control_conversions, control_exposures) / control_rate**2
    ) + _unpooled_variance(conversions, exposures) / control_rate**2
    margin = _z_quantile(confidence) * math.sqrt(variance)
    return Interval(lift, lift - margin, lift + margin)


def chance_to_beat_control(
    control_conversions: int, control_exposures: int, conversions: int, exposures: int
) -> float:
    """P(p_variant > p_control) with Beta(1 + conversions, 1 + failures) posteriors.

    Exact for integer Beta parameters: sum over i < alpha_B of
    B(alpha_A + i, beta_A + beta_B) / ((beta_B + i) B(1 + i, beta_B) B(alpha_A, beta_A)).
    The sum runs over the smaller alpha (P(B > A) = 1 - P(A > B)), vectorised in numpy.
    """
    a_alpha = 1 + control_conversions
    a_beta = 1 + control_exposures - control_conversions
    b_alpha = 1 + conversions
    b_beta = 1 + exposures - conversions
    if b_alpha <= a_alpha:
        return _probability_greater(a_alpha, a_beta, b_alpha, b_beta)
    return 1.0 - _probability_greater(b_alpha, b_beta, a_alpha, a_beta)


def _probability_greater(a_alpha: int, a_beta: int, b_alpha: int, b_beta: int) -> float:
    """P(X_B > X_A) for X_A ~ Beta(a_alpha, a_beta), X_B ~ Beta(b_alpha, b_beta)."""
    i = np.arange(b_alpha, dtype=np.float64)
    gammaln = special.gammaln
    # The betas written out as log-gammas: gammaln over an array is several times faster than
    # betaln, and the constant parts are computed once.
    log_terms = (
        gammaln(a_alpha + i)
        - gammaln(a_alpha + a_beta + b_beta + i)
        + gammaln(a_beta + b_beta)
        - np.log(b_beta + i)
        - gammaln(1 + i)
        + gammaln(1 + b_beta + i)
        - gammaln(b_beta)
        - special.betaln(a_alpha, a_beta)
    )
    return float(min(1.0, max(0.0, math.exp(special.logsumexp(log_terms)))))


def sample_ratio_mismatch(
    observed: Sequence[int], weights: Sequence[float], threshold: float = SRM_THRESHOLD
) -> SampleRatioCheck:
    """Chi-squared goodness of fit of the arm sizes against the configured weights."""
    if len(observed) != len(weights) or len(observed) < 2:
        raise ValueError("one observed count per weight, at least two arms")
    total = sum(observed)
    weight_sum = float(sum(weights))
    expected = tuple(total * w / weight_sum for w in weights)
    if total == 0:
        return SampleRatioCheck(0.0, 1.0, expected, False)
    result = stats.chisquare(observed, f_exp=expected)
    p_value = float(result.pvalue)
    return SampleRatioCheck(float(result.statistic), p_value, expected, p_value < threshold)


def _msprt_variances(
    control_conversions: int,
    control_exposures: int,
    conversions: int,
    exposures: int,
    tuning_exposures: int,
) -> tuple[float, float, float] | None:
    """(difference, V, tau^2): the observed difference, its variance under H0 (pooled rate),
    and the mixing variance, set to V at `tuning_exposures` users per arm so the test is most
    powerful around that size (GrowthBook tunes its sequential intervals the same way)."""
    if control_exposures == 0 or exposures == 0:
        return None
    pooled = (control_conversions + conversions) / (control_exposures + exposures)
    unit_variance = pooled * (1 - pooled)
    if unit_variance == 0:
        return None
    v = unit_variance * (1 / control_exposures + 1 / exposures)
    tau2 = unit_variance * 2 / tuning_exposures
    difference = _rate(conversions, exposures) - _rate(control_conversions, control_exposures)
    return difference, v, tau2


def always_valid_p_value(
    control_conversions: int,
    control_exposures: int,
    conversions: int,
    exposures: int,
    tuning_exposures: int = 5000,
) -> float:
    """mSPRT p-value: min(1, 1 / Lambda) with the normal-mixture likelihood ratio
    Lambda = sqrt(V / (V + tau^2)) exp(tau^2 d^2 / (2 V (V + tau^2))).

    Under H0 Lambda is a martingale, so P(ever Lambda >= 1/alpha) <= alpha (Ville): checking
    this value after every new user keeps the false-positive rate at alpha. Reported at the
    current look (not the running minimum over past looks), which is conservative.
    """
    parts = _msprt_variances(
        control_conversions, control_exposures, conversions, exposures, tuning_exposures
    )
    if parts is None:
        return 1.0
    difference, v, tau2 = parts
    log_lambda = 0.5 * math.log(v / (v + tau2)) + tau2 * difference**2 / (2 * v * (v + tau2))
    return float(min(1.0, math.exp(-log_lambda)))


def always_valid_interval(
    control_conversions: int,
    control_exposures: int,
    conversions: int,
    exposures: int,
    alpha: float = 0.05,
    tuning_exposures: int = 5000,
) -> Interval:
    """The confidence sequence matching `always_valid_p_value`: every difference d whose
    mSPRT would not reject at alpha, d_hat +- sqrt(V (V + tau^2) / tau^2 (log((V + tau^2) / V)
    - 2 log alpha))."""
    parts = _msprt_variances(
        control_conversions, control_exposures, conversions, exposures, tuning_exposures
    )
    if parts is None:
        return Interval(0.0, -1.0, 1.0)
    difference, v, tau2 = parts
    half_width = math.sqrt(v * (v + tau2) / tau2 * (math.log((v + tau2) / v) - 2 * math.log(alpha)))
    return Interval(difference, difference - half_width, difference + half_width)


def holm_adjust(p_values: Sequence[float]) -> list[float]:
    """Holm's step-down adjusted p-values (same order as given): the k-th smallest is
    multiplied by (m - k + 1), made monotone, capped at 1."""
    m = len(p_values)
    order = sorted(range(m), key=lambda index: p_values[index])
    adjusted = [0.0] * m
    running = 0.0
    for rank, index in enumerate(order):
        running = max(running, min(1.0, (m - rank) * p_values[index]))
        adjusted[index] = running
    return adjusted
