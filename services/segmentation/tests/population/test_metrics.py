import uuid
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from segmentation.events.models import UserEvent
from segmentation.lifecycle.models import StageChange
from segmentation.main import create_app
from segmentation.population.service import activity, churn_rate, repurchase_rate, source_mix
from segmentation.population.stages import stage_distribution
from segmentation.population.window import DateRange
from segmentation.profiles.models import Profile
from yunying_shared.errors import InvalidInput
from yunying_shared.testing.apps import internal_headers, running, user_principal
from yunying_shared.testing.databases import fresh_database

WINDOW = DateRange(date(2026, 5, 1), date(2026, 5, 3))


def at(month, day, hour=12):
    return datetime(2026, month, day, hour, tzinfo=UTC)


@pytest.fixture
async def history(session, workspace_id):
    profiles = {  # user: (created_at, first_seen_at, source)
        "a": (at(4, 1), at(4, 1), "organic"),
        "b": (at(4, 1), at(4, 1), "organic"),
        "c": (at(4, 1), at(4, 1), "organic"),
        "e": (at(4, 1), at(4, 1), "organic"),
        "d": (at(5, 2), at(5, 2), "referral"),
        "f": (at(4, 1), at(5, 3, 23), "organic"),
        "g": (at(4, 1), at(5, 1, 0), "campaign"),
        "h": (at(4, 1), at(4, 30, 23), "organic"),
    }
    for user_id, (created, first_seen, source) in profiles.items():
        session.add(
            Profile(
                workspace_id=workspace_id,
                user_id=user_id,
                identities={},
                extra={},
                complaint_reasons=[],
                source=source,
                first_seen_at=first_seen,
                created_at=created,
                updated_at=created,
            )
        )
    moves = [
        ("a", "potential", "new", at(4, 10)),
        ("a", "new", "active", at(5, 2)),
        ("b", "potential", "new", at(4, 15)),
        ("b", "new", "active", at(4, 20)),
        ("b", "active", "churned", at(5, 1)),
        ("b", "churned", "active", at(5, 3)),
        ("d", "potential", "new", at(5, 2, 13)),
        ("e", "potential", "active", at(4, 5)),
        ("e", "active", "loyal", at(4, 25)),
    ]
    for user_id, before, after, when in moves:
        session.add(
            StageChange(
                workspace_id=workspace_id,
                user_id=user_id,
                kind="stage",
                from_value=before,
                to_value=after,
                reason="test",
                changed_at=when,
            )
        )
    session.add(
        StageChange(
            workspace_id=workspace_id,
            user_id="c",
            kind="tier",
            from_value=None,
            to_value="general",
            reason="tiers are not stages",
            changed_at=at(5, 2),
        )
    )
    events = [
        ("a", "purchase", at(5, 1)),
        ("a", "purchase", at(5, 2)),
        ("a", "login", at(5, 2)),
        ("b", "purchase", at(4, 20)),
        ("b", "login", at(5, 1)),
        ("b", "purchase", at(5, 1, 23)),
        ("d", "purchase", at(5, 2)),
        ("c", "login", at(5, 4, 0)),
    ]  # the day after the range
    for user_id, kind, when in events:
        session.add(
            UserEvent(
                workspace_id=workspace_id,
                event_id=uuid.uuid4().hex,
                user_id=user_id,
                type=kind,
                occurred_at=when,
                received_at=when,
                amount=Decimal(10) if kind == "purchase" else None,
                properties={},
            )
        )
    other = uuid.uuid4()  # another workspace's history must not leak in
    session.add(
        StageChange(
            workspace_id=other,
            user_id="a",
            kind="stage",
            from_value="active",
            to_value="churned",
            reason="x",
            changed_at=at(5, 2),
        )
    )
    session.add(
        UserEvent(
            workspace_id=other,
            event_id="x",
            user_id="zz",
            type="purchase",
            occurred_at=at(5, 2),
            received_at=at(5, 2),
            properties={},
        )
    )
    await session.flush()


async def test_stage_distribution_per_day(session, workspace_id, history):
    result = await stage_distribution(session, workspace_id=workspace_id, window=WINDOW)
    counts = [
        (d.date.day, [d.counts[s] for s in ("potential", "new", "active", "loyal", "churned")])
        for d in result.days
    ]
    # users count from their first event (by event time), not from their profile's creation:
    # g (first seen 05-01) joins the potential users on day 1, f (05-03 23:00) on day 3
    assert counts == [(1, [3, 1, 0, 1, 1]), (2, [3, 1, 1, 1, 1]), (3, [4, 1, 2, 1, 0])]


async def test_repurchase_and_churn(session, workspace_id, history):
    repurchase = await repurchase_rate(session, workspace_id=workspace_id, window=WINDOW)
    assert (repurchase.purchasers, repurchase.repurchasers, repurchase.rate) == (3, 1, 0.3333)
    churn = await churn_rate(session, workspace_id=workspace_id, window=WINDOW)
    assert (churn.active_at_start, churn.churned, churn.rate) == (3, 1, 0.3333)


async def test_activity_and_sources(session, workspace_id, history):
    active = await activity(session, workspace_id=workspace_id, window=WINDOW)
    assert [(d.date.day, d.active_users) for d in active.days] == [(1, 2), (2, 2), (3, 0)]
    assert active.distinct_active_users == 3
    mix = await source_mix(session, workspace_id=workspace_id, window=WINDOW)
    assert mix.new_users == 3
    assert {s.source: (s.users, s.share) for s in mix.sources} == {
        "organic": (1, 0.3333),
        "referral": (1, 0.3333),
        "campaign": (1, 0.3333),
    }


async def test_empty_range_has_no_rates(session, workspace_id):
    empty = await repurchase_rate(session, workspace_id=workspace_id, window=WINDOW)
    assert (empty.purchasers, empty.rate) == (0, None)
    with pytest.raises(InvalidInput):
        DateRange.checked(date(2026, 5, 3), date(2026, 5, 1))
    with pytest.raises(InvalidInput):
        DateRange.checked(date(2025, 1, 1), date(2026, 5, 1))


async def test_http_metrics_need_a_valid_range(dialect, tmp_path, settings_for, local_transport):
    workspace_id = uuid.uuid4()
    async with fresh_database(dialect, tmp_path) as url:
        app = create_app(settings_for("segmentation", url), transport=local_transport)
        async with running(app) as client:
            analyst = internal_headers(app, user_principal(workspace_id, "analyst"))
            for metric in ("stages", "repurchase", "churn", "activity", "sources"):
                ok = await client.get(
                    f"/v1/population/{metric}?from=2026-05-01&to=2026-05-03", headers=analyst
                )
                assert ok.status_code == 200, (metric, ok.text)
            assert len(ok.json()["sources"]) == 3
            backwards = await client.get(
                "/v1/population/churn?from=2026-05-03&to=2026-05-01", headers=analyst
            )
            assert backwards.status_code == 422
            reviewer = internal_headers(app, user_principal(workspace_id, "reviewer"))
            assert (
                await client.get(
                    "/v1/population/churn?from=2026-05-01&to=2026-05-01", headers=reviewer
                )
            ).status_code == 403
