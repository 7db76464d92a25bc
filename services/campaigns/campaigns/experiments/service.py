"""Experiments: define, start, assign, record exposures and conversions, read out, conclude."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

from pydantic import TypeAdapter, ValidationError
from sqlalchemy import String, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from campaigns.campaign_lookup import require_campaign
from campaigns.clock import as_utc, utcnow
from campaigns.db import BUS, SOURCE
from campaigns.errors import naming
from campaigns.experiments.assignment import Allocation, allocation, assign, bucket
from campaigns.experiments.exceptions import cannot_conclude, experiment_not_found, not_running
from campaigns.experiments.models import Experiment, ExperimentConversion, ExperimentExposure
from campaigns.experiments.results import Design, read_out
from campaigns.experiments.schemas import (
    Assignment,
    BatchResult,
    ConversionIn,
    ExperimentIn,
    ExperimentResults,
    ExposureIn,
    ItemResult,
)
from yunying_shared.bus import publish
from yunying_shared.db import sql_dialect
from yunying_shared.errors import Conflict
from yunying_shared.events import make_event
from yunying_shared.events.catalogue import EXPERIMENT_CONCLUDED
from yunying_shared.events.payloads.campaigns import ExperimentConcluded
from yunying_shared.http.pagination import PageRequest, RowsPage, keyset_page

_EXPOSURE = TypeAdapter(ExposureIn)
_CONVERSION = TypeAdapter(ConversionIn)


def plan_of(experiment: Experiment) -> Allocation:
    variants = [(v["key"], float(v["weight"])) for v in experiment.variants]
    return allocation(variants, experiment.holdout_percent)


def control_of(experiment: Experiment) -> str:
    return str(next(v["key"] for v in experiment.variants if v.get("control")))


async def create_experiment(
    session: AsyncSession, *, workspace_id: UUID, data: ExperimentIn, now: datetime | None = None
) -> Experiment:
    taken = await session.scalar(
        select(Experiment.id).where(
            Experiment.workspace_id == workspace_id, Experiment.name == data.name
        )
    )
    if taken is not None:
        raise naming(Conflict, "name", f"An experiment named {data.name!r} exists.")
    if data.campaign_id is not None:
        await require_campaign(session, workspace_id=workspace_id, campaign_id=data.campaign_id)
    experiment = Experiment(
        workspace_id=workspace_id,
        campaign_id=data.campaign_id,
        name=data.name,
        element=data.element,
        status="draft",
        variants=[v.model_dump(mode="json") for v in data.variants],
        holdout_percent=data.holdout_percent,
        alpha=data.alpha,
        sequential=data.sequential,
        tuning_exposures=data.tuning_exposures,
        planned_exposures_per_arm=data.planned_exposures_per_arm,
        min_chance_to_beat=data.min_chance_to_beat,
        conversion_kind=data.conversion_kind,
        created_at=now or utcnow(),
    )
    session.add(experiment)
    await session.flush()
    return experiment


async def get_experiment(
    session: AsyncSession, *, workspace_id: UUID, experiment_id: UUID
) -> Experiment:
    experiment = await session.scalar(
        select(Experiment).where(
            Experiment.id == experiment_id, Experiment.workspace_id == workspace_id
        )
    )
    if experiment is None:
        raise experiment_not_found(experiment_id)
    return experiment


async def list_experiments(
    session: AsyncSession,
    *,
    workspace_id: UUID,
    page: PageRequest,
    campaign_id: UUID | None = None,
    status: str | None = None,
) -> RowsPage[Experiment]:
    """The workspace's experiments, oldest first."""
    query = select(Experiment).where(Experiment.workspace_id == workspace_id)
    if campaign_id is not None:
        query = query.where(Experiment.campaign_id == campaign_id)
    if status is not None:
        query = query.where(Experiment.status == status)
    return await keyset_page(session, query, page, keys=(Experiment.created_at, Experiment.id))


async def start_experiment(
    session: AsyncSession, *, workspace_id: UUID, experiment_id: UUID, now: datetime | None = None
) -> Experiment:
    experiment = await get_experiment(
        session, workspace_id=workspace_id, experiment_id=experiment_id
    )
    if experiment.status != "draft":
        detail = f"Only a draft can start; this one is {experiment.status}."
        raise naming(Conflict, "status", detail)
    experiment.status = "running"
    experiment.started_at = now or utcnow()
    await session.flush()
    return experiment


def arm_for(experiment: Experiment, user_id: str) -> str:
    """The user's arm; once concluded everyone gets the rolled-out arm (winner or control)."""
    if experiment.status == "concluded":
        return experiment.winner or control_of(experiment)
    return assign(experiment.id, user_id, plan_of(experiment))


def assignment_of(experiment: Experiment, user_id: str) -> Assignment:
    return Assignment(
        user_id=user_id, arm=arm_for(experiment, user_id), bucket=bucket(experiment.id, user_id)
    )


def _rejected(index: int, item: Any, error: ValidationError) -> ItemResult:
    user_id = item.get("user_id") if isinstance(item, dict) else None
    return ItemResult(
        index=index,
        user_id=user_id if isinstance(user_id, str) else None,
        status="rejected",
        errors=[
            {"field": ".".join(str(p) for p in e["loc"]) or "item", "message": e["msg"]}
            for e in error.errors()
        ],
    )


def _tally(results: list[ItemResult]) -> BatchResult:
    return BatchResult(
        recorded=sum(r.status == "recorded" for r in results),
        duplicates=sum(r.status == "duplicate" for r in results),
        rejected=sum(r.status == "rejected" for r in results),
        results=results,
    )


async def record_exposure(
    session: AsyncSession,
    experiment: Experiment,
    *,
    user_id: str,
    platform: str | None,
    at: datetime,
) -> tuple[str, bool]:
    """(arm, newly recorded): the first exposure counts; later ones keep the recorded arm."""
    arm = assign(experiment.id, user_id, plan_of(experiment))
    inserted = await session.execute(
        sql_dialect(session)
        .insert(ExperimentExposure.__table__)
        .values(
            workspace_id=experiment.workspace_id,
            experiment_id=experiment.id,
            user_id=user_id,
            arm=arm,
            platform=platform,
            exposed_at=at,
        )
        .on_conflict_do_nothing(index_elements=["experiment_id", "user_id"])
        .returning(ExperimentExposure.__table__.c.id)
    )
    return arm, inserted.first() is not None


async def record_exposures(
    session: AsyncSession,
    *,
    workspace_id: UUID,
    experiment_id: UUID,
    items: Sequence[Any],
    now: datetime | None = None,
) -> BatchResult:
    experiment = await get_experiment(
        session, workspace_id=workspace_id, experiment_id=experiment_id
    )
    if experiment.status != "running":
        raise not_running(experiment.status)
    now = now or utcnow()
    results = []
    for index, raw in enumerate(items):
        try:
            item = _EXPOSURE.validate_python(raw)
        except ValidationError as error:
            results.append(_rejected(index, raw, error))
            continue
        arm, new = await record_exposure(
            session,
            experiment,
            user_id=item.user_id,
            platform=item.platform,
            at=item.occurred_at or now,
        )
        status = "recorded" if new else "duplicate"
        results.append(ItemResult(index=index, user_id=item.user_id, status=status, arm=arm))
    return _tally(results)


async def record_conversion(
    session: AsyncSession,
    experiment: Experiment,
    *,
    user_id: str,
    event_id: str | None,
    value: Decimal | None,
    at: datetime,
) -> str | None:
    """The user's arm when this is their first conversion after exposure; None when they were
    never exposed (or exposed after converting), or converted before."""
    exposure = await session.scalar(
        select(ExperimentExposure).where(
            ExperimentExposure.experiment_id == experiment.id,
            ExperimentExposure.user_id == user_id,
        )
    )
    if exposure is None or exposure.exposed_at > at:
        return None
    inserted = await session.execute(
        sql_dialect(session)
        .insert(ExperimentConversion.__table__)
        .values(
            workspace_id=experiment.workspace_id,
            experiment_id=experiment.id,
            user_id=user_id,
            arm=exposure.arm,
            event_id=event_id,
            value=value,
            converted_at=at,
        )
        .on_conflict_do_nothing(index_elements=["experiment_id", "user_id"])
        .returning(ExperimentConversion.__table__.c.id)
    )
    return exposure.arm if inserted.first() is not None else None


async def record_conversions(
    session: AsyncSession,
    *,
    workspace_id: UUID,
    experiment_id: UUID,
    items: Sequence[Any],
    now: datetime | None = None,
) -> BatchResult:
    experiment = await get_experiment(
        session, workspace_id=workspace_id, experiment_id=experiment_id
    )
    if experiment.status != "running":
        raise not_running(experiment.status)
    now = now or utcnow()
    results = []
    for index, raw in enumerate(items):
        try:
            item = _CONVERSION.validate_python(raw)
        except ValidationError as error:
            results.append(_rejected(index, raw, error))
            continue
        arm = await record_conversion(
            session,
            experiment,
            user_id=item.user_id,
            event_id=item.event_id,
            value=item.value,
            at=item.occurred_at or now,
        )
        status = "recorded" if arm is not None else "duplicate"
        results.append(ItemResult(index=index, user_id=item.user_id, status=status, arm=arm))
    return _tally(results)


@dataclass(frozen=True)
class ConversionEvent:
    user_id: str
    kind: str
    event_id: str
    value: Decimal | None
    at: datetime


async def convert_from_events(
    session: AsyncSession, *, workspace_id: UUID, events: Sequence[ConversionEvent]
) -> int:
    """A batch of CRM events, each converting its user in every running experiment of the
    workspace that counts its kind and exposed them before it (the first such event per user
    and experiment; one converted before stays as it was). Two statements per batch: the
    exposures of the batch's users in experiments counting its kinds, one insert. Returns how
    many conversions are new."""
    if not events:
        return 0
    sql = sql_dialect(session)
    exposures = await session.execute(
        select(
            Experiment.id,
            Experiment.conversion_kind,
            ExperimentExposure.user_id,
            ExperimentExposure.arm,
            ExperimentExposure.exposed_at,
        )
        .join(ExperimentExposure, ExperimentExposure.experiment_id == Experiment.id)
        .where(
            Experiment.workspace_id == workspace_id,
            Experiment.status == "running",
            Experiment.conversion_kind.in_(sorted({e.kind for e in events})),
            sql.in_list(
                ExperimentExposure.user_id, "users", String(), sorted({e.user_id for e in events})
            ),
        )
    )
    exposed: dict[tuple[str, str], list[tuple[UUID, str, datetime]]] = defaultdict(list)
    for experiment_id, kind, user_id, arm, exposed_at in exposures:
        exposed[(user_id, kind)].append((experiment_id, arm, as_utc(exposed_at)))
    rows: dict[tuple[UUID, str], dict[str, Any]] = {}
    for event in events:
        for experiment_id, arm, exposed_at in exposed.get((event.user_id, event.kind), ()):
            if exposed_at <= as_utc(event.at) and (experiment_id, event.user_id) not in rows:
                rows[(experiment_id, event.user_id)] = {
                    "workspace_id": workspace_id,
                    "experiment_id": experiment_id,
                    "user_id": event.user_id,
                    "arm": arm,
                    "event_id": event.event_id,
                    "value": event.value,
                    "converted_at": event.at,
                }
    if not rows:
        return 0
    table = ExperimentConversion.__table__
    inserted = await session.execute(
        sql.insert(table)
        .on_conflict_do_nothing(index_elements=["experiment_id", "user_id"])
        .returning(table.c.id),
        list(rows.values()),
    )
    return len(inserted.all())


async def _counts(session: AsyncSession, table: Any, experiment_id: UUID) -> dict[str, int]:
    rows = await session.execute(
        select(table.arm, func.count())
        .where(table.experiment_id == experiment_id)
        .group_by(table.arm)
    )
    return {arm: int(count) for arm, count in rows}


def design_of(experiment: Experiment) -> Design:
    return Design(
        experiment_id=experiment.id,
        status=experiment.status,
        plan=plan_of(experiment),
        control=control_of(experiment),
        alpha=experiment.alpha,
        sequential=experiment.sequential,
        tuning_exposures=experiment.tuning_exposures,
        planned_exposures_per_arm=experiment.planned_exposures_per_arm,
        min_chance_to_beat=experiment.min_chance_to_beat,
    )


async def results(
    session: AsyncSession, *, workspace_id: UUID, experiment_id: UUID
) -> ExperimentResults:
    experiment = await get_experiment(
        session, workspace_id=workspace_id, experiment_id=experiment_id
    )
    exposures = await _counts(session, ExperimentExposure, experiment.id)
    conversions = await _counts(session, ExperimentConversion, experiment.id)
    return read_out(design_of(experiment), exposures, conversions)


async def conclude(
    session: AsyncSession, *, workspace_id: UUID, experiment_id: UUID, now: datetime | None = None
) -> tuple[Experiment, ExperimentResults]:
    """Applies the decision rule; a winner (or the control) is rolled out to every user from
    now on, and `experiment.concluded` is published with the decision."""
    experiment = await get_experiment(
        session, workspace_id=workspace_id, experiment_id=experiment_id
    )
    if experiment.status != "running":
        raise not_running(experiment.status)
    read = await results(session, workspace_id=workspace_id, experiment_id=experiment_id)
    if read.recommendation not in ("ship", "keep_control"):
        raise cannot_conclude(read.recommendation, read.decision)
    now = now or utcnow()
    experiment.status = "concluded"
    experiment.winner = read.winner
    experiment.decision = read.decision[:500]
    experiment.concluded_at = now
    await session.flush()
    payload = ExperimentConcluded(
        experiment_id=str(experiment.id),
        campaign_id=str(experiment.campaign_id) if experiment.campaign_id else None,
        winner=read.winner,
        decision=read.decision,
        occurred_at=now,
    )
    event = make_event(EXPERIMENT_CONCLUDED, payload, source=SOURCE, workspace=workspace_id)
    await publish(session, BUS, event)
    return experiment, read
