"""The workspace's campaign indicators over a date range, as the operations dashboard reads
them: awareness, conversion and fission. Every figure's definition is in its description."""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel, ConfigDict, Field

RATE_NOTE = "; null when the denominator is zero"


class Awareness(BaseModel):
    exposures: int = Field(description="Exposure touches reported by senders in the range")
    reach: int = Field(description="Distinct users with at least one exposure in the range")
    clicks: int = Field(description="Click touches in the range")
    clicked_users: int = Field(description="Distinct users with at least one click in the range")
    ctr: float | None = Field(description="clicked_users / reach" + RATE_NOTE)


class Conversion(BaseModel):
    converted_users: int = Field(
        description="Distinct users with a purchase in the range attributed to a campaign "
        "(a purchase within 7 days after one of that campaign's touches)"
    )
    conversion_rate: float | None = Field(description="converted_users / reach" + RATE_NOTE)
    first_order_users: int = Field(
        description="Of the converted users, those whose attributed purchase was their first "
        "order seen by campaigns"
    )
    first_order_conversion_rate: float | None = Field(
        description="first_order_users / reach" + RATE_NOTE
    )


class Fission(BaseModel):
    sharing_users: int = Field(
        description="Distinct users with a share in the range attributed to a campaign"
    )
    share_rate: float | None = Field(description="sharing_users / reach" + RATE_NOTE)
    referral_signups: int = Field(
        description="New users from referrals: accepted referral attributions (still standing) "
        "whose sign-up falls in the range"
    )
    inviters: int = Field(
        description="Distinct users holding an invite code created on or before the range's "
        "last day"
    )
    k_factor: float | None = Field(
        description="referral_signups / inviters: new users each inviter brought in the range "
        "(invitations per inviter x sign-ups per invitation)" + RATE_NOTE
    )


class Indicators(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "start": "2026-11-01",
                    "end": "2026-11-30",
                    "awareness": {
                        "exposures": 1200,
                        "reach": 1000,
                        "clicks": 150,
                        "clicked_users": 120,
                        "ctr": 0.12,
                    },
                    "conversion": {
                        "converted_users": 30,
                        "conversion_rate": 0.03,
                        "first_order_users": 12,
                        "first_order_conversion_rate": 0.012,
                    },
                    "fission": {
                        "sharing_users": 50,
                        "share_rate": 0.05,
                        "referral_signups": 40,
                        "inviters": 80,
                        "k_factor": 0.5,
                    },
                }
            ]
        }
    )

    start: date = Field(description="First day (UTC), included")
    end: date = Field(description="Last day (UTC), included")
    awareness: Awareness
    conversion: Conversion
    fission: Fission
