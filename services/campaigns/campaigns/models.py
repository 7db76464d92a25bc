"""Every table on the metadata (for migrations and the app)."""

from campaigns.coupons.models import Coupon, CouponTemplate

__all__ = ["Coupon", "CouponTemplate"]
