"""Every table of the service, imported once so the metadata holds them all."""

from sentiment_alert.alerts.models import SpikeAlert
from sentiment_alert.crises.models import CrisisCaseRecord
from sentiment_alert.faq.models import FaqEntry, FaqSettings
from sentiment_alert.feedback.models import FeedbackRecord
from sentiment_alert.mentions.models import BucketAuthor, KeywordBucket, Mention
from sentiment_alert.monitoring.models import MonitoringRule
from sentiment_alert.notifications.models import NotificationChannel, NotificationDelivery
from sentiment_alert.replies.models import CustomerMessage

__all__ = [
    "BucketAuthor",
    "CrisisCaseRecord",
    "CustomerMessage",
    "FaqEntry",
    "FaqSettings",
    "FeedbackRecord",
    "KeywordBucket",
    "Mention",
    "MonitoringRule",
    "NotificationChannel",
    "NotificationDelivery",
    "SpikeAlert",
]
