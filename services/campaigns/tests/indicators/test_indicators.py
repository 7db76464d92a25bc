"""Workspace-wide campaign indicators over a date range, against a small data set whose
figures are counted by hand: range bounds, distinct users, other workspaces, zero
denominators; over HTTP, bad ranges name the field."""

import uuid
from datetime import UTC, date, datetime

import pytest

from campaigns.funnels.models import FunnelOutcome, FunnelTouch
from campaigns.indicators.service import Window, indicators
from campaigns.main import create_app
from campaigns.referrals.models import InviteCode, ReferralAttribution
from yunying_shared.testing.apps import internal_headers, running, user_principal
from yunying_shared.testing.databases import fresh_database

DAY = date(2026, 11, 10)
IN = datetime(2026, 11, 10, 9, tzinfo=UTC)
LATE = datetime(2026, 11, 11, 23, 59, tzinfo=UTC)  # last day of the range, still in
BEFORE = datetime(2026, 11, 9, 23, 59, tzinfo=UTC)
AFTER = datetime(2026, 11, 12, 0, 0, tzinfo=UTC)


def _touch(workspace, user, kind, at, n):
    return FunnelTouch(
        workspace_id=workspace,
        campaign_id=uuid.uuid4(),
        user_id=user,
        kind=kind,
        variant="",
        platform="wechat",
        touch_id=f"t-{n}",
        occurred_at=at,
    )


def _outcome(workspace, user, kind, at, n, first=False):
    return FunnelOutcome(
        workspace_id=workspace,
        campaign_id=uuid.uuid4(),
        user_id=user,
        kind=kind,
        variant="",
        platform="wechat",
        event_id=f"e-{n}",
        first_order=first,
        amount=None,
        occurred_at=at,
    )


def _signup(workspace, invitee, status, at):
    return ReferralAttribution(
        workspace_id=workspace,
        campaign_id=uuid.uuid4(),
        invitee_user_id=invitee,
        inviter_user_id="inviter-1",
        invite_code="CODE1",
        event_id=f"s-{invitee}",
        level=1,
        status=status,
        signed_up_at=at,
        attributed_at=at,
    )


def _code(workspace, user, code, at):
    return InviteCode(
        workspace_id=workspace,
        campaign_id=uuid.uuid4(),
        user_id=user,
        code=code,
        shares=1,
        created_at=at,
    )


async def _seed(session, workspace):
    other = uuid.uuid4()
    rows = [
        # Reach 4 (u1..u4), 6 exposures in range; u5 exposed only before, u6 only after.
        *[_touch(workspace, f"u{i}", "exposure", IN, i) for i in (1, 2, 3, 4)],
        _touch(workspace, "u1", "exposure", LATE, 11),
        _touch(workspace, "u2", "exposure", LATE, 12),
        _touch(workspace, "u5", "exposure", BEFORE, 13),
        _touch(workspace, "u6", "exposure", AFTER, 14),
        # Clicks: 3 in range by 2 users.
        _touch(workspace, "u1", "click", IN, 21),
        _touch(workspace, "u1", "click", LATE, 22),
        _touch(workspace, "u2", "click", IN, 23),
        # Another workspace's exposure never counts.
        _touch(other, "u1", "exposure", IN, 31),
        # Purchases: u1 twice (first order then repurchase), u2 first order; u3's is after.
        _outcome(workspace, "u1", "purchase", IN, 41, first=True),
        _outcome(workspace, "u1", "purchase", LATE, 42),
        _outcome(workspace, "u2", "purchase", IN, 43, first=True),
        _outcome(workspace, "u3", "purchase", AFTER, 44, first=True),
        _outcome(workspace, "u4", "share", IN, 45),
        _outcome(other, "u9", "purchase", IN, 46, first=True),
        # Referral sign-ups: 3 accepted in range, 1 fraud, 1 before the range.
        _signup(workspace, "n1", "accepted", IN),
        _signup(workspace, "n2", "accepted", IN),
        _signup(workspace, "n3", "accepted", LATE),
        _signup(workspace, "n4", "fraud", IN),
        _signup(workspace, "n5", "accepted", BEFORE),
        # Inviters: two codes by the range end, one created after it.
        _code(workspace, "inviter-1", "CODE1", BEFORE),
        _code(workspace, "inviter-2", "CODE2", IN),
        _code(workspace, "inviter-3", "CODE3", AFTER),
    ]
    session.add_all(rows)
    await session.flush()


async def test_figures_of_a_known_data_set(session):
    workspace = uuid.uuid4()
    await _seed(session, workspace)
    found = await indicators(
        session, workspace_id=workspace, window=Window.checked(DAY, date(2026, 11, 11))
    )
    assert found.awareness.model_dump() == {
        "exposures": 6,
        "reach": 4,
        "clicks": 3,
        "clicked_users": 2,
        "ctr": 0.5,
    }
    assert found.conversion.model_dump() == {
        "converted_users": 2,
        "conversion_rate": 0.5,
        "first_order_users": 2,
        "first_order_conversion_rate": 0.5,
    }
    assert found.fission.model_dump() == {
        "sharing_users": 1,
        "share_rate": 0.25,
        "referral_signups": 3,
        "inviters": 2,
        "k_factor": 1.5,
    }


async def test_an_empty_range_has_no_rates(session):
    found = await indicators(session, workspace_id=uuid.uuid4(), window=Window.checked(DAY, DAY))
    assert found.awareness.reach == 0
    assert found.awareness.ctr is None
    assert found.conversion.conversion_rate is None
    assert found.fission.k_factor is None


@pytest.fixture
async def api(tmp_path, settings_for, local_transport):
    async with fresh_database("sqlite", tmp_path) as url:
        app = create_app(settings_for("campaigns", url), transport=local_transport)
        async with running(app) as client:
            yield app, client


async def test_http_route_checks_the_range_and_the_role(api):
    app, client = api
    workspace = uuid.uuid4()
    analyst = internal_headers(app, user_principal(workspace, "analyst"))
    reviewer = internal_headers(app, user_principal(workspace, "reviewer"))
    ok = await client.get(
        "/v1/campaigns/indicators",
        params={"from": "2026-11-01", "to": "2026-11-30"},
        headers=analyst,
    )
    assert ok.status_code == 200, ok.text
    assert ok.json()["awareness"]["reach"] == 0
    reversed_range = await client.get(
        "/v1/campaigns/indicators",
        params={"from": "2026-11-30", "to": "2026-11-01"},
        headers=analyst,
    )
    assert reversed_range.status_code == 422
    assert [e["field"] for e in reversed_range.json()["errors"]] == ["query.to"]
    missing = await client.get("/v1/campaigns/indicators", headers=analyst)
    assert missing.status_code == 422
    forbidden = await client.get(
        "/v1/campaigns/indicators",
        params={"from": "2026-11-01", "to": "2026-11-30"},
        headers=reviewer,
    )
    assert forbidden.status_code == 403
