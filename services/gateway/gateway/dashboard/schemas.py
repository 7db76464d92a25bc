"""The operations dashboard's answer: the playbook's four indicator layers, lifecycle stages,
open crises and the review queue, each a section with its own status so that one slow or
failing service still leaves the rest on screen."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

SectionStatus = Literal["ok", "unavailable", "timeout"]

STATUS_HELP = (
    "`ok`: `data` holds the figures; `unavailable`: the owning service could not be reached "
    "or answered an error (`detail` says which); `timeout`: it did not answer within the "
    "dashboard's upstream timeout. `data` is null unless `ok`."
)
RATE = "; null when the denominator is zero"

# What each section's `data` holds, figure by figure: the API document shows it, and
# docs/gateway.md repeats it.
DEFINITIONS: dict[str, dict[str, str]] = {
    "awareness": {
        "source": "campaigns `GET /v1/campaigns/indicators`",
        "exposures": "exposure touches reported by senders in the range",
        "reach": "distinct users exposed at least once in the range",
        "clicks": "click touches in the range",
        "clicked_users": "distinct users who clicked in the range",
        "ctr": "clicked_users / reach" + RATE,
    },
    "conversion": {
        "source": "campaigns `GET /v1/campaigns/indicators`",
        "converted_users": "distinct users with a purchase in the range attributed to a "
        "campaign (within 7 days after one of its touches)",
        "conversion_rate": "converted_users / reach" + RATE,
        "first_order_users": "converted users whose attributed purchase was their first order",
        "first_order_conversion_rate": "first_order_users / reach" + RATE,
    },
    "retention": {
        "source": "segmentation `GET /v1/population/repurchase`, `/activity`, `/churn`",
        "purchasers": "users with at least one purchase in the range",
        "repurchasers": "users with two or more purchases in the range",
        "repurchase_rate": "repurchasers / purchasers" + RATE,
        "active_users": "distinct users with any event in the range",
        "active_at_start": "users in stage new, active or loyal at the start of the range",
        "churned": "of those, users moved to churned within the range",
        "churn_rate": "churned / active_at_start" + RATE,
    },
    "fission": {
        "source": "campaigns `GET /v1/campaigns/indicators`",
        "sharing_users": "distinct users with a share in the range attributed to a campaign",
        "share_rate": "sharing_users / reach" + RATE,
        "referral_signups": "new users from referrals: accepted referral sign-ups in the range",
        "inviters": "distinct users holding an invite code created by the range's last day",
        "k_factor": "referral_signups / inviters" + RATE,
    },
    "lifecycle": {
        "source": "segmentation `GET /v1/population/stages` (the range's last day)",
        "date": "the day counted: the range's last day",
        "counts": "users per lifecycle stage (potential, new, active, loyal, churned) at the "
        "end of that day",
    },
    "crises": {
        "source": "sentiment-alert `GET /v1/crises/summary`",
        "open": "crisis cases not closed",
        "by_level": "open cases per alert level",
        "by_state": "open cases per workflow state",
        "statements_overdue": "open cases whose holding statement is past due",
        "oldest_opened_at": "when the oldest open case opened",
    },
    "review_queue": {
        "source": "content-review `GET /v1/content/review-queue`",
        "waiting": "items submitted, scanned or operator_checked (waiting for the scanner, "
        "stage 1 or stage 2)",
        "by_state": "waiting items per state",
        "held": "approved ads held while a crisis is open",
        "oldest_waiting_since": "last change of the item waiting longest",
    },
}


def _describe(section: str) -> str:
    figures = DEFINITIONS[section]
    lines = [f"From {figures['source']}. {STATUS_HELP}", ""]
    lines += [f"- `{name}`: {meaning}" for name, meaning in figures.items() if name != "source"]
    return "\n".join(lines)


class Section(BaseModel):
    status: SectionStatus = Field(description=STATUS_HELP)
    source: str = Field(description="The service the figures come from")
    data: dict[str, Any] | None = Field(description="The figures; null unless status is ok")
    detail: str | None = Field(default=None, description="Why the section is missing")


class Dashboard(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "workspace_id": "0b0e7c1e-6f7a-4d2b-9a51-2f1d7c1e2a3b",
                    "start": "2026-11-01",
                    "end": "2026-11-30",
                    "complete": False,
                    "computed_at": "2026-11-30T10:00:00Z",
                    "cached": False,
                    "awareness": {
                        "status": "ok",
                        "source": "campaigns",
                        "data": {
                            "exposures": 1200,
                            "reach": 1000,
                            "clicks": 150,
                            "clicked_users": 120,
                            "ctr": 0.12,
                        },
                        "detail": None,
                    },
                    "conversion": {
                        "status": "ok",
                        "source": "campaigns",
                        "data": {
                            "converted_users": 60,
                            "conversion_rate": 0.06,
                            "first_order_users": 18,
                            "first_order_conversion_rate": 0.018,
                        },
                        "detail": None,
                    },
                    "retention": {
                        "status": "ok",
                        "source": "segmentation",
                        "data": {
                            "purchasers": 420,
                            "repurchasers": 118,
                            "repurchase_rate": 0.281,
                            "active_users": 2310,
                            "active_at_start": 1900,
                            "churned": 95,
                            "churn_rate": 0.05,
                        },
                        "detail": None,
                    },
                    "fission": {
                        "status": "ok",
                        "source": "campaigns",
                        "data": {
                            "sharing_users": 40,
                            "share_rate": 0.04,
                            "referral_signups": 31,
                            "inviters": 80,
                            "k_factor": 0.388,
                        },
                        "detail": None,
                    },
                    "lifecycle": {
                        "status": "ok",
                        "source": "segmentation",
                        "data": {
                            "date": "2026-11-30",
                            "counts": {
                                "potential": 800,
                                "new": 310,
                                "active": 1420,
                                "loyal": 170,
                                "churned": 640,
                            },
                        },
                        "detail": None,
                    },
                    "crises": {
                        "status": "ok",
                        "source": "sentiment-alert",
                        "data": {
                            "open": 0,
                            "by_level": {},
                            "by_state": {},
                            "statements_overdue": 0,
                            "oldest_opened_at": None,
                        },
                        "detail": None,
                    },
                    "review_queue": {
                        "status": "timeout",
                        "source": "content-review",
                        "data": None,
                        "detail": "no answer within 3.0 s",
                    },
                }
            ]
        }
    )

    workspace_id: str
    start: date = Field(description="First day (UTC), included")
    end: date = Field(description="Last day (UTC), included")
    complete: bool = Field(description="Every section is ok")
    computed_at: datetime = Field(description="When the figures were gathered")
    cached: bool = Field(description="Served from the gateway's short per-workspace cache")
    awareness: Section = Field(description=_describe("awareness"))
    conversion: Section = Field(description=_describe("conversion"))
    retention: Section = Field(description=_describe("retention"))
    fission: Section = Field(description=_describe("fission"))
    lifecycle: Section = Field(description=_describe("lifecycle"))
    crises: Section = Field(description=_describe("crises"))
    review_queue: Section = Field(description=_describe("review_queue"))
