import pytest

from campaigns.campaigns.models import Campaign


@pytest.fixture
async def campaign_id(session, workspace_id, now):
    """A running campaign row of the workspace (the campaigns domain's own API is not needed
    to hang experiments, referral programs and funnels off it)."""
    campaign = Campaign(
        workspace_id=workspace_id,
        name="邀请有礼",
        type="referral",
        platforms=["wechat", "douyin"],
        target={"kind": "all", "values": []},
        content_ids=[],
        state="running",
        created_at=now,
        updated_at=now,
    )
    session.add(campaign)
    await session.flush()
    return campaign.id
