"""An experiment's read-out and decision from its per-arm counts (pure: no database).

Decision rule, in order:
1. Sample-ratio mismatch (chi-squared p < 0.001 against the configured split, holdout
   included): `invalid`, no winner; the assignment or the logging is broken.
2. Each variant against the control: the p-value is the mSPRT always-valid one when the
   experiment is sequential, else the fixed-horizon z-test's; Holm-adjusted across variants.
3. A fixed-horizon experiment decides nothing before every compared arm reached its planned
   exposures (`continue`): reading it early is what inflates false positives.
4. A variant wins when its adjusted p < alpha, its lift is positive and its chance to beat
   control is at least `min_chance_to_beat`; the best such (highest conversion rate) is shipped.
5. Otherwise the control is kept once the planned size is reached (or, sequentially, when every
   variant is significantly worse); before that the experiment continues.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from uuid import UUID

from campaigns.experiments import stats
from campaigns.experiments.assignment import HOLDOUT, Allocation
from campaigns.experiments.schemas import ArmResult, ExperimentResults, SampleRatio

DECISION_RULE = (
    "invalid when the sample-ratio check fails (p < 0.001); each variant against control by "
    "{test}, Holm-adjusted; a variant ships when adjusted p < {alpha}, lift > 0 and chance to "
    "beat control >= {chance}; else control is kept {keep}."
)


@dataclass(frozen=True)
class Design:
    experiment_id: UUID
    status: str
    plan: Allocation
    control: str
    alpha: float
    sequential: bool
    tuning_exposures: int
    planned_exposures_per_arm: int | None
    min_chance_to_beat: float


def _pair(interval: stats.Interval | None) -> tuple[float, float] | None:
    return None if interval is None else (interval.low, interval.high)


def _arm(design: Design, arm: str, share: float, n: int, x: int, cn: int, cx: int) -> ArmResult:
    rate = stats.conversion_interval(x, n)
    compared = arm not in (design.control, HOLDOUT)
    if not compared:
        return ArmResult(
            arm=arm,
            control=arm == design.control,
            holdout=arm == HOLDOUT,
            exposures=n,
            conversions=x,
            conversion_rate=rate.estimate,
            conversion_interval=(rate.low, rate.high),
            expected_share=share,
            lift=None,
            lift_interval=None,
            relative_lift=None,
            relative_lift_interval=None,
            z=None,
            p_value=None,
            sequential_p_value=None,
            sequential_interval=None,
            adjusted_p_value=None,
            chance_to_beat_control=None,
        )
    difference = stats.difference_interval(cx, cn, x, n)
    relative = stats.relative_lift_interval(cx, cn, x, n)
    z_test = stats.two_proportion_ztest(cx, cn, x, n)
    sequential_p = stats.always_valid_p_value(cx, cn, x, n, design.tuning_exposures)
    sequential_ci = stats.always_valid_interval(cx, cn, x, n, design.alpha, design.tuning_exposures)
    return ArmResult(
        arm=arm,
        control=False,
        holdout=False,
        exposures=n,
        conversions=x,
        conversion_rate=rate.estimate,
        conversion_interval=(rate.low, rate.high),
        expected_share=share,
        lift=difference.estimate,
        lift_interval=_pair(difference),
        relative_lift=None if relative is None else relative.estimate,
        relative_lift_interval=_pair(relative),
        z=z_test.z,
        p_value=z_test.p_value,
        sequential_p_value=sequential_p,
        sequential_interval=_pair(sequential_ci),
        adjusted_p_value=None,
        chance_to_beat_control=stats.chance_to_beat_control(cx, cn, x, n),
    )


def read_out(
    design: Design, exposures: Mapping[str, int], conversions: Mapping[str, int]
) -> ExperimentResults:
    cn, cx = exposures.get(design.control, 0), conversions.get(design.control, 0)
    shares = design.plan.bucket_shares()
    arms = [
        _arm(design, arm, share, exposures.get(arm, 0), conversions.get(arm, 0), cn, cx)
        for arm, share in zip(design.plan.arms, shares, strict=True)
    ]
    srm = stats.sample_ratio_mismatch([a.exposures for a in arms], shares)
    variants = [a for a in arms if not a.control and not a.holdout]
    raw = [(a.sequential_p_value if design.sequential else a.p_value) or 1.0 for a in variants]
    for variant, adjusted in zip(variants, stats.holm_adjust(raw), strict=True):
        variant.adjusted_p_value = adjusted
    recommendation, winner, decision = _decide(design, arms, variants, srm.mismatch)
    keep = (
        "when every variant is significantly worse or the planned size is reached"
        if design.sequential
        else "once every arm reached the planned exposures"
    )
    test = "the mSPRT always-valid p-value" if design.sequential else "a two-sided z-test"
    return ExperimentResults(
        experiment_id=design.experiment_id,
        status=design.status,
        arms=arms,
        sample_ratio=SampleRatio(
            statistic=srm.statistic, p_value=srm.p_value, mismatch=srm.mismatch
        ),
        recommendation=recommendation,
        winner=winner,
        decision=decision,
        decision_rule=DECISION_RULE.format(
            test=test, alpha=design.alpha, chance=design.min_chance_to_beat, keep=keep
        ),
    )


def _decide(
    design: Design, arms: list[ArmResult], variants: list[ArmResult], mismatch: bool
) -> tuple[str, str | None, str]:
    if mismatch:
        return "invalid", None, "Sample-ratio mismatch: arm sizes differ from the configured split."
    compared = [a for a in arms if not a.holdout]
    planned = design.planned_exposures_per_arm
    reached = planned is not None and all(a.exposures >= planned for a in compared)
    if not design.sequential and not reached:
        return "continue", None, f"Fixed horizon: waiting for {planned} exposures per arm."
    significant = [
        a
        for a in variants
        if (a.adjusted_p_value or 1.0) < design.alpha
        and (a.lift or 0.0) > 0
        and (a.chance_to_beat_control or 0.0) >= design.min_chance_to_beat
    ]
    if significant:
        best = max(significant, key=lambda a: a.conversion_rate)
        return (
            "ship",
            best.arm,
            f"{best.arm} beats {design.control}: lift {best.lift:+.4f}, adjusted p "
            f"{best.adjusted_p_value:.4g}, chance to beat control "
            f"{best.chance_to_beat_control:.3f}.",
        )
    all_worse = all(
        (a.adjusted_p_value or 1.0) < design.alpha and (a.lift or 0.0) < 0 for a in variants
    )
    if reached or all_worse:
        return "keep_control", None, f"No variant beat {design.control}; it is kept."
    return "continue", None, "No variant is conclusively better yet."
