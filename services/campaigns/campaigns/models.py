"""Every table on the metadata (for migrations and the app)."""

from campaigns.audience.models import KnownSegment, SegmentMember, UserActivity, UserState
from campaigns.calendar.models import WorkspaceDay
from campaigns.campaigns.models import Campaign
from campaigns.content.models import ContentItem
from campaigns.coupons.models import Coupon, CouponTemplate
from campaigns.crisis.models import CrisisCase
from campaigns.journeys.models import Enrollment, Journey
from campaigns.sending.models import DeliveryAttempt, Send, SendingRules

__all__ = [
    "Campaign",
    "ContentItem",
    "Coupon",
    "CouponTemplate",
    "CrisisCase",
    "DeliveryAttempt",
    "Enrollment",
    "Journey",
    "KnownSegment",
    "SegmentMember",
    "Send",
    "SendingRules",
    "UserActivity",
    "UserState",
    "WorkspaceDay",
]
