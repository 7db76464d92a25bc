"""Every table of the service, imported so the metadata (and the migrations) see them all."""

from content_review.images.models import ImageFingerprint
from content_review.items.models import ContentItem, ContentRevision
from content_review.lists.models import ListEntry
from content_review.publishing.models import CadenceRule, CrisisCase
from content_review.review.models import AuditEntry, Comment

__all__ = [
    "AuditEntry",
    "CadenceRule",
    "Comment",
    "ContentItem",
    "ContentRevision",
    "CrisisCase",
    "ImageFingerprint",
    "ListEntry",
]
