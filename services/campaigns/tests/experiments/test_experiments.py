"""Experiments through the service functions on both dialects: exposures batch judged item by
item, conversions from API and from purchase events, the read-out, conclusion and roll-out."""

from datetime import timedelta
from uuid import uuid4

import pytest
from pydantic import ValidationError
from sqlalchemy import select

from campaigns.db import BUS
from campaigns.experiments import service
from campaigns.experiments.models import ExperimentExposure
from campaigns.experiments.schemas import ExperimentIn
from campaigns.user_events import apply_user_event
from yunying_shared.errors import Conflict, NotFound
from yunying_shared.events.payloads.segmentation import UserEventAccepted


def _design(campaign_id, **fields):
    data = {
        "name": "图文 vs 视频",
        "campaign_id": campaign_id,
        "element": "format",
        "variants": [
            {"key": "图文", "control": True, "config": {"format": "图文"}},
            {"key": "视频", "config": {"format": "视频"}},
        ],
        "holdout_percent": 10,
        "tuning_exposures": 500,
        **fields,
    }
    return ExperimentIn(**data)


async def _running(session, workspace_id, campaign_id, now, **fields):
    experiment = await service.create_experiment(
        session, workspace_id=workspace_id, data=_design(campaign_id, **fields), now=now
    )
    return await service.start_experiment(
        session, workspace_id=workspace_id, experiment_id=experiment.id, now=now
    )


def test_a_design_needs_one_control_and_unique_non_reserved_keys():
    variants = [{"key": "a", "control": True}, {"key": "b", "control": True}]
    with pytest.raises(ValidationError, match="exactly one variant must be the control"):
        _design(None, variants=variants)
    with pytest.raises(ValidationError, match="reserved"):
        _design(None, variants=[{"key": "holdout", "control": True}, {"key": "b"}])
    with pytest.raises(ValidationError, match="planned_exposures_per_arm"):
        _design(None, sequential=False)


async def test_an_experiment_on_a_foreign_campaign_is_refused(session, workspace_id, now):
    with pytest.raises(NotFound) as error:
        await service.create_experiment(
            session, workspace_id=workspace_id, data=_design(uuid4()), now=now
        )
    assert error.value.extensions["errors"][0]["field"] == "campaign_id"


async def test_exposures_are_judged_item_by_item_and_sticky(
    session, workspace_id, campaign_id, now
):
    experiment = await _running(session, workspace_id, campaign_id, now)
    result = await service.record_exposures(
        session,
        workspace_id=workspace_id,
        experiment_id=experiment.id,
        items=[
            {"user_id": "u1", "platform": "wechat"},
            {"user_id": "", "platform": "wechat"},
            {"user_id": "u1", "platform": "douyin"},
            "not an object",
        ],
        now=now,
    )
    assert [r.status for r in result.results] == ["recorded", "rejected", "duplicate", "rejected"]
    assert result.results[1].errors[0].field == "user_id"
    assert result.results[0].arm == result.results[2].arm
    assert result.results[0].arm == service.assignment_of(experiment, "u1").arm
    stored = await session.scalars(select(ExperimentExposure))
    assert [(e.user_id, e.platform) for e in stored] == [("u1", "wechat")]


async def test_a_clear_winner_is_shipped_rolled_out_and_announced(
    session, workspace_id, campaign_id, now
):
    experiment = await _running(session, workspace_id, campaign_id, now)
    users = [f"u{i}" for i in range(1500)]
    await service.record_exposures(
        session,
        workspace_id=workspace_id,
        experiment_id=experiment.id,
        items=[{"user_id": u} for u in users],
        now=now,
    )
    # Video converts every 4th exposed user, the control every 12th: a large true effect.
    arms = {u: service.arm_for(experiment, u) for u in users}
    converting = [
        u
        for i, u in enumerate(users)
        if (arms[u] == "视频" and i % 4 == 0) or (arms[u] != "视频" and i % 12 == 0)
    ]
    for index, user in enumerate(converting):
        event = UserEventAccepted(
            event_id=f"order-{index}",
            user_id=user,
            kind="purchase",
            occurred_at=now + timedelta(hours=1),
            amount="99.00",
        )
        await apply_user_event(session, workspace_id, event)

    read = await service.results(session, workspace_id=workspace_id, experiment_id=experiment.id)
    by_arm = {a.arm: a for a in read.arms}
    assert set(by_arm) == {"holdout", "图文", "视频"}
    assert sum(a.exposures for a in read.arms) == 1500
    assert sum(a.conversions for a in read.arms) == len(converting)
    video = by_arm["视频"]
    assert video.lift is not None and video.lift > 0
    assert video.lift_interval is not None and video.lift_interval[0] > 0
    assert video.sequential_p_value is not None and video.sequential_p_value < 0.05
    assert video.chance_to_beat_control is not None and video.chance_to_beat_control > 0.99
    assert not read.sample_ratio.mismatch
    assert read.recommendation == "ship" and read.winner == "视频"

    concluded, _ = await service.conclude(
        session, workspace_id=workspace_id, experiment_id=experiment.id, now=now
    )
    assert concluded.status == "concluded" and concluded.winner == "视频"
    # Roll-out: everyone, the holdout included, now gets the winner.
    assert {service.arm_for(concluded, u) for u in users} == {"视频"}
    outbox = await session.execute(select(BUS.outbox.c.headers, BUS.outbox.c.key))
    assert [(h["ce_type"], k) for h, k in outbox] == [
        ("yunying.experiment.concluded.v1", str(experiment.id))
    ]
    with pytest.raises(Conflict):
        await service.conclude(session, workspace_id=workspace_id, experiment_id=experiment.id)


async def test_conversions_before_exposure_or_without_one_do_not_count(
    session, workspace_id, campaign_id, now
):
    experiment = await _running(session, workspace_id, campaign_id, now)
    await service.record_exposures(
        session,
        workspace_id=workspace_id,
        experiment_id=experiment.id,
        items=[{"user_id": "u1", "occurred_at": now.isoformat()}],
    )
    result = await service.record_conversions(
        session,
        workspace_id=workspace_id,
        experiment_id=experiment.id,
        items=[
            {"user_id": "u1", "occurred_at": (now - timedelta(minutes=1)).isoformat()},
            {"user_id": "stranger", "occurred_at": now.isoformat()},
            {"user_id": "u1", "occurred_at": (now + timedelta(minutes=1)).isoformat()},
            {"user_id": "u1", "occurred_at": (now + timedelta(minutes=2)).isoformat()},
            {"user_id": "u1", "value": -3},
        ],
    )
    assert [r.status for r in result.results] == [
        "duplicate",
        "duplicate",
        "recorded",
        "duplicate",
        "rejected",
    ]
    assert result.results[4].errors[0].field == "value"


async def test_a_fixed_horizon_experiment_waits_for_its_planned_size(
    session, workspace_id, campaign_id, now
):
    experiment = await _running(
        session,
        workspace_id,
        campaign_id,
        now,
        sequential=False,
        planned_exposures_per_arm=1000,
    )
    await service.record_exposures(
        session,
        workspace_id=workspace_id,
        experiment_id=experiment.id,
        items=[{"user_id": f"u{i}"} for i in range(50)],
    )
    read = await service.results(session, workspace_id=workspace_id, experiment_id=experiment.id)
    assert read.recommendation == "continue"
    with pytest.raises(Conflict) as refused:
        await service.conclude(session, workspace_id=workspace_id, experiment_id=experiment.id)
    assert refused.value.extensions["recommendation"] == "continue"


async def test_a_sample_ratio_mismatch_invalidates_the_read_out(
    session, workspace_id, campaign_id, now
):
    experiment = await _running(session, workspace_id, campaign_id, now, holdout_percent=0)
    # A broken logger that only reported the control's exposures.
    session.add_all(
        ExperimentExposure(
            workspace_id=workspace_id,
            experiment_id=experiment.id,
            user_id=f"u{i}",
            arm="图文" if i % 10 else "视频",
            exposed_at=now,
        )
        for i in range(1000)
    )
    await session.flush()
    read = await service.results(session, workspace_id=workspace_id, experiment_id=experiment.id)
    assert read.sample_ratio.mismatch and read.sample_ratio.p_value < 0.001
    assert read.recommendation == "invalid" and read.winner is None
