"""The dashboard composed from the services in parallel (seven reads, one round trip of the
slowest), each section judged on its own."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from datetime import UTC, date, datetime
from typing import Any
from uuid import UUID

from gateway.dashboard.schemas import Dashboard, Section
from gateway.dashboard.upstream import Fetched, fetch
from gateway.proxy.resilience import Upstream

AWARENESS = ("exposures", "reach", "clicks", "clicked_users", "ctr")
RETENTION_READS = ("repurchase", "activity", "churn")


def _section(fetched: Fetched, data: dict[str, Any] | None = None) -> Section:
    if fetched.status != "ok":
        return Section(
            status=fetched.status, source=fetched.service, data=None, detail=fetched.detail
        )
    return Section(status="ok", source=fetched.service, data=data)


def _part(fetched: Fetched, key: str) -> Section:
    body = fetched.body or {}
    return _section(fetched, body.get(key))


def _retention(reads: Mapping[str, Fetched]) -> Section:
    """Three reads make one section: ok only when all three are."""
    for name in RETENTION_READS:
        if reads[name].status != "ok":
            failed = reads[name]
            return Section(
                status=failed.status,
                source=failed.service,
                data=None,
                detail=f"population/{name}: {failed.detail}",
            )
    repurchase, activity, churn = (reads[name].body or {} for name in RETENTION_READS)
    return _section(
        reads["repurchase"],
        {
            "purchasers": repurchase.get("purchasers"),
            "repurchasers": repurchase.get("repurchasers"),
            "repurchase_rate": repurchase.get("rate"),
            "active_users": activity.get("distinct_active_users"),
            "active_at_start": churn.get("active_at_start"),
            "churned": churn.get("churned"),
            "churn_rate": churn.get("rate"),
        },
    )


def _lifecycle(fetched: Fetched, end: date) -> Section:
    days = (fetched.body or {}).get("days") or []
    counts = days[-1].get("counts", {}) if days else {}
    return _section(fetched, {"date": end.isoformat(), "counts": counts})


async def compose(
    upstreams: Mapping[str, Upstream],
    *,
    workspace_id: UUID,
    start: date,
    end: date,
    headers: Mapping[str, str],
    timeout: float,
) -> Dashboard:
    window = {"from": start.isoformat(), "to": end.isoformat()}
    last_day = {"from": end.isoformat(), "to": end.isoformat()}

    def read(service: str, path: str, params: Mapping[str, str] = window) -> Any:
        return fetch(upstreams, service, path, params=params, headers=headers, timeout=timeout)

    (
        campaigns,
        repurchase,
        activity,
        churn,
        stages,
        crises,
        queue,
    ) = await asyncio.gather(
        read("campaigns", "/v1/campaigns/indicators"),
        read("segmentation", "/v1/population/repurchase"),
        read("segmentation", "/v1/population/activity"),
        read("segmentation", "/v1/population/churn"),
        read("segmentation", "/v1/population/stages", last_day),
        read("sentiment-alert", "/v1/crises/summary", {}),
        read("content-review", "/v1/content/review-queue", {}),
    )
    sections = {
        "awareness": _part(campaigns, "awareness"),
        "conversion": _part(campaigns, "conversion"),
        "retention": _retention({"repurchase": repurchase, "activity": activity, "churn": churn}),
        "fission": _part(campaigns, "fission"),
        "lifecycle": _lifecycle(stages, end),
        "crises": _section(crises, crises.body),
        "review_queue": _section(queue, queue.body),
    }
    return Dashboard(
        workspace_id=str(workspace_id),
        start=start,
        end=end,
        complete=all(section.status == "ok" for section in sections.values()),
        computed_at=datetime.now(UTC),
        cached=False,
        **sections,
    )
