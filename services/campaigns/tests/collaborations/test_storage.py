"""The new tables on both dialects: the traits projection (an older update loses), a
segment's make-up, follower counts and posts stored idempotently, a creator judged from
them, and conversions attributed once per event."""

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from sqlalchemy import func, select

from campaigns.audience.service import audience_counts, record_membership, record_traits
from campaigns.authenticity import service as authenticity
from campaigns.authenticity.schemas import FollowersIn, PostIn
from campaigns.campaigns.models import Campaign
from campaigns.collaborations.models import Collaboration, CreatorConversion
from campaigns.collaborations.service import attribute
from campaigns.creators.matching import make_up
from campaigns.creators.schemas import CreatorIn
from campaigns.creators.service import upsert
from yunying_shared.events.payloads.segmentation import UserEventAccepted, UserProfileUpdated

T0 = datetime(2026, 11, 1, tzinfo=UTC)


def _profile(user_id, at, **traits):
    values = {"gender": None, "age_band": None, "region": None, "interests": [], **traits}
    return UserProfileUpdated(user_id=user_id, updated_at=at, **values)


async def test_traits_projection_and_make_up(session, workspace_id):
    await record_traits(
        session, workspace_id=workspace_id, profile=_profile("a", T0, gender="female")
    )
    # A newer update wins; an older one arriving late changes nothing.
    newer = _profile("a", T0 + timedelta(hours=1), gender="female", interests=["护肤", "彩妆"])
    await record_traits(session, workspace_id=workspace_id, profile=newer)
    older = _profile("a", T0 - timedelta(hours=1), gender="male")
    await record_traits(session, workspace_id=workspace_id, profile=older)
    await record_traits(
        session,
        workspace_id=workspace_id,
        profile=_profile("b", T0, gender="male", interests=["护肤"]),
    )
    for user in ("a", "b", "c"):
        await record_membership(
            session, workspace_id=workspace_id, segment_id="s", user_id=user, member=True
        )
    counted = await audience_counts(session, workspace_id=workspace_id, segment_id="s", stage=None)
    assert (counted.members, counted.with_attributes) == (3, 2)
    shares = make_up(counted.counts)
    assert shares["gender"] == {"female": 0.5, "male": 0.5}
    assert shares["interests"] == {"彩妆": 0.25, "护肤": 0.75}


async def _creator(session, workspace_id):
    data = CreatorIn.model_validate(
        {
            "external_id": "k1",
            "name": "小鹿",
            "tier": "micro",
            "accounts": [{"platform": "douyin", "account_id": "d1", "followers": 40_000}],
        }
    )
    creator, created = await upsert(session, workspace_id=workspace_id, data=data)
    assert created
    return creator


async def test_series_stored_once_and_judged(session, workspace_id):
    creator = await _creator(session, workspace_id)
    points = [
        {"day": date(2026, 10, 1) + timedelta(days=d), "followers": 40_000 + 90 * d}
        for d in range(20)
    ]
    for _ in range(2):
        stored = await authenticity.store_followers(
            session,
            workspace_id=workspace_id,
            creator=creator,
            data=FollowersIn(platform="douyin", points=points),
        )
        assert stored.points == 20
    comments = [
        {
            "comment_id": f"c{k}",
            "author_id": f"buyer{k}",
            "text": f"已下单{k}件，效果太好了",
            "at": T0 + timedelta(minutes=k),
        }
        for k in range(25)
    ]
    post = PostIn(
        platform="douyin",
        post_id="v1",
        posted_at=T0,
        likes=1_500,
        comments=60,
        comment_samples=comments,
    )
    first = await authenticity.store_posts(
        session, workspace_id=workspace_id, creator=creator, posts=[post]
    )
    again = await authenticity.store_posts(
        session, workspace_id=workspace_id, creator=creator, posts=[post]
    )
    assert (first.comments, again.comments) == (25, 0)
    report = await authenticity.check_creator(session, workspace_id=workspace_id, creator=creator)
    assert report.verdict == "suspicious"
    assert {f["code"] for f in report.findings} == {"templated_comments"}
    assert all(f["platform"] == "douyin" for f in report.findings)
    assert creator.authenticity_verdict == "suspicious"


async def test_conversions_attributed_once_per_event(session, workspace_id, now):
    creator = await _creator(session, workspace_id)
    campaign = Campaign(
        workspace_id=workspace_id,
        name="种草",
        type="content_push",
        platforms=["douyin"],
        target={"kind": "all", "values": []},
        content_ids=[],
        state="running",
        created_at=now,
        updated_at=now,
    )
    session.add(campaign)
    await session.flush()
    collaboration = Collaboration(
        workspace_id=workspace_id,
        campaign_id=campaign.id,
        creator_id=creator.id,
        platform="douyin",
        deliverable="video",
        brief="b",
        fee=Decimal("100"),
        state="approved",
        code="ABCDEFGHJKMNPQ",
        tracking_link="x",
        created_at=now,
        updated_at=now,
    )
    session.add(collaboration)
    await session.flush()
    purchase = UserEventAccepted(
        event_id="o1",
        user_id="u1",
        kind="purchase",
        occurred_at=now,
        amount="59.90",
        coupon_code="abcd-efgh-jkmn-pq",
    )
    signup = UserEventAccepted(
        event_id="s1",
        user_id="u2",
        kind="referral_signup",
        occurred_at=now,
        invite_code="ABCDEFGHJKMNPQ",
    )
    other = UserEventAccepted(event_id="o2", user_id="u3", kind="purchase", occurred_at=now)
    assert (
        await attribute(session, workspace_id=workspace_id, events=[purchase, signup, other]) == 2
    )
    assert await attribute(session, workspace_id=workspace_id, events=[purchase]) == 0
    rows = (await session.execute(select(CreatorConversion.via, CreatorConversion.amount))).all()
    assert sorted(rows, key=str) == sorted(
        [("coupon_code", Decimal("59.90")), ("invite_code", None)], key=str
    )
    assert await session.scalar(select(func.count()).select_from(CreatorConversion)) == 2
