"""Every table on the metadata (for migrations and the app)."""

from campaigns.audience.models import (
    KnownSegment,
    SegmentMember,
    UserActivity,
    UserInterest,
    UserState,
    UserTraits,
)
from campaigns.authenticity.models import (
    AuthenticityReport,
    FollowerCountRow,
    PostComment,
    TrackedPost,
)
from campaigns.calendar.models import WorkspaceDay
from campaigns.campaigns.models import Campaign
from campaigns.collaborations.models import Collaboration, CreatorConversion
from campaigns.content.models import ContentItem
from campaigns.coupons.models import Coupon, CouponTemplate
from campaigns.creators.models import Creator
from campaigns.crisis.models import CrisisCase
from campaigns.experiments.models import Experiment, ExperimentConversion, ExperimentExposure
from campaigns.funnels.models import CustomerOrders, FunnelOutcome, FunnelTouch
from campaigns.journeys.models import Enrollment, Journey
from campaigns.referrals.models import (
    InviteCode,
    ReferralAttribution,
    ReferralProgram,
    ReferralReward,
    RejectedAttribution,
)
from campaigns.sending.models import DeliveryAttempt, Send, SendingRules

__all__ = [
    "AuthenticityReport",
    "Campaign",
    "Collaboration",
    "ContentItem",
    "Coupon",
    "CouponTemplate",
    "Creator",
    "CreatorConversion",
    "CrisisCase",
    "CustomerOrders",
    "DeliveryAttempt",
    "Enrollment",
    "Experiment",
    "ExperimentConversion",
    "ExperimentExposure",
    "FollowerCountRow",
    "FunnelOutcome",
    "FunnelTouch",
    "InviteCode",
    "Journey",
    "KnownSegment",
    "PostComment",
    "ReferralAttribution",
    "ReferralProgram",
    "ReferralReward",
    "RejectedAttribution",
    "SegmentMember",
    "Send",
    "SendingRules",
    "TrackedPost",
    "UserActivity",
    "UserInterest",
    "UserState",
    "UserTraits",
    "WorkspaceDay",
]
