"""The import command's chunks and finishing step on two connections (PostgreSQL) write what
one connection writes: the same history imported into two workspaces, one through the command
(each chunk's events split by user over two parts, the finish's users too, each part committed
on its own) and one chunk after chunk and through `finish_import`, gives the same counts, stage
rows, published events, profiles, stored events and population metrics. Interrupted while both
parts of a chunk are in flight, or after one part of the finish committed, the command run
again ends in the same, without a second re-score and without publishing any move twice."""

from __future__ import annotations

import asyncio
import io
import json
import re
from collections.abc import Mapping
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4

import numpy as np
import pytest
from sqlalchemy import select

from segmentation.db import BUS
from segmentation.events import history_import, import_cli
from segmentation.events.history_import import (
    HistoryImport,
    HistoryImportPart,
    finish_import,
    import_chunk,
    open_import,
)
from segmentation.events.service import ingest
from segmentation.lifecycle import rederive
from segmentation.lifecycle.models import StageChange
from segmentation.population.service import activity, churn_rate, repurchase_rate
from segmentation.population.stages import stage_distribution
from segmentation.population.window import DateRange
from segmentation.records.models import Profile, UserEvent
from segmentation.rfm import service as rfm_service
from yunying_shared.db import Database
from yunying_shared.testing.outbox import outbox_events

NOW = datetime(2026, 6, 1, 12, 0, 0, 250_000, tzinfo=UTC)
STAGE_EVENT = "yunying.user.lifecycle_stage_changed.v1"
CHUNK = 400
LIVE = {"crm-0", "crm-1", "crm-2", "crm-7", "crm-8"}


class Interrupted(Exception):
    """The command stopped in the middle of its finishing step."""


@pytest.fixture(params=[pytest.param("postgresql", marks=pytest.mark.postgres)])
def dialect(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture(autouse=True)
def _moves_in_sql(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every part's moves through the import's SQL statement, and the command's re-score
    written in parts, as a large import's are."""
    monkeypatch.setattr(rederive, "SQL_MOVES_FROM", 0)
    monkeypatch.setattr(rfm_service, "PARTS_FROM", 0)


def _history() -> list[dict[str, Any]]:
    """Purchases, refunds, logins and views of 150 users (skewed) over two years up to NOW,
    a few within the last day (moves that are not historical)."""
    rng = np.random.default_rng(10)
    weights = rng.pareto(1.5, 150) + 1
    owners = rng.choice(150, 1600, p=weights / weights.sum())
    items = []
    for i, owner in enumerate(owners.tolist()):
        kind = str(
            rng.choice(["purchase", "login", "page_view", "refund"], p=[0.4, 0.35, 0.2, 0.05])
        )
        back = float(rng.uniform(0, 730)) if i % 40 else float(rng.uniform(0, 0.9))
        item: dict[str, Any] = {
            "event_id": f"e{i}",
            "user_id": f"crm-{owner}",
            "type": kind,
            "occurred_at": (NOW - timedelta(days=back)).isoformat(),
        }
        if kind in ("purchase", "refund"):
            item["amount"] = round(float(rng.gamma(2.0, 80.0)), 2)
            item["currency"] = "CNY"
        items.append(item)
    items.insert(700, dict(items[3]))  # a duplicate in a later chunk
    items.insert(900, {"event_id": "bad", "user_id": "crm-1", "type": "purchase"})  # rejected
    return items


async def _live_purchases(database: Database, workspace_id: UUID) -> None:
    """Some users bought live before the import: they have stage rows the finish compares."""
    live = [
        {
            "event_id": f"live-{user}",
            "user_id": user,
            "type": "purchase",
            "occurred_at": (NOW - timedelta(minutes=5)).isoformat(),
            "amount": 10,
            "currency": "CNY",
        }
        for user in sorted(LIVE)
    ]
    async with database.session() as session, session.begin():
        await ingest(session, workspace_id=workspace_id, items=live, now=NOW - timedelta(minutes=1))


def _write(path: Path, items: list[dict[str, Any]]) -> None:
    path.write_text("".join(json.dumps(item) + "\n" for item in items), encoding="utf-8")


async def _imports(
    database: Database, tmp_path: Path, *, lines: int | None = None
) -> tuple[list[dict[str, Any]], Path, UUID, UUID]:
    """The history, its file (its first `lines` only, when given) and two workspaces with the
    same live purchases: one for the import under test, one for the import it is compared
    with."""
    items = _history()
    path = tmp_path / "history.jsonl"
    _write(path, items[:lines])
    tested, reference = uuid4(), uuid4()
    for workspace_id in (tested, reference):
        await _live_purchases(database, workspace_id)
    return items, path, tested, reference


async def _through_command(
    database: Database,
    path: Path,
    workspace_id: UUID,
    monkeypatch: pytest.MonkeyPatch,
    now: datetime,
    rejects: io.StringIO | None = None,
) -> HistoryImport:
    monkeypatch.setattr(import_cli, "utcnow", lambda: now)
    run, _ = await import_cli.run_import(
        database,
        path=path,
        workspace_id=workspace_id,
        name="crm",
        kind="jsonl",
        chunk=CHUNK,
        rejects=rejects,
        progress=io.StringIO(),
    )
    return run


async def _in_one_transaction(
    database: Database, items: list[dict[str, Any]], workspace_id: UUID
) -> HistoryImport:
    """The same chunks, then the finish as one transaction on one connection."""
    for start in range(0, len(items), CHUNK):
        async with database.session() as session, session.begin():
            run = await open_import(session, workspace_id=workspace_id, name="crm", now=NOW)
            await import_chunk(session, run=run, items=items[start : start + CHUNK], now=NOW)
    async with database.session() as session, session.begin():
        run = await open_import(session, workspace_id=workspace_id, name="crm")
        await finish_import(session, run=run, now=NOW)
    return run


def _comparable(value: bytes, workspace_id: UUID) -> str:
    """The envelope with what differs between two publications taken out."""
    text = value.decode()
    text = re.sub(r'^\{"id":"[0-9a-f-]{36}"', '{"id":"-"', text)
    text = re.sub(r',"time":"[^"]+"', ',"time":"-"', text, count=1)
    return text.replace(str(workspace_id), "-")


async def _written(database: Database, workspace_id: UUID) -> dict[str, Any]:
    """Everything the import leaves behind, per user in order where order matters."""
    async with database.session() as session:
        stage_rows: dict[str, list[tuple[Any, ...]]] = {}
        for row in await session.execute(
            select(
                StageChange.user_id,
                StageChange.kind,
                StageChange.from_value,
                StageChange.to_value,
                StageChange.reason,
                StageChange.changed_at,
            )
            .where(StageChange.workspace_id == workspace_id)
            .order_by(StageChange.id)
        ):
            stage_rows.setdefault(row[0], []).append(tuple(row))
        published: dict[str, list[str]] = {}
        for event in await outbox_events(session, BUS):
            envelope = event.envelope()
            if event.type == STAGE_EVENT and envelope["workspace"] == str(workspace_id):
                user = envelope["data"]["user_id"]
                published.setdefault(user, []).append(_comparable(event.value, workspace_id))
        profiles = sorted(
            tuple(row)
            for row in await session.execute(
                select(
                    Profile.user_id,
                    Profile.stage,
                    Profile.tier,
                    Profile.r_score,
                    Profile.f_score,
                    Profile.m_score,
                    Profile.rfm_segment,
                    Profile.churn_reason,
                    Profile.order_count,
                    Profile.monetary_total,
                    Profile.first_purchase_at,
                    Profile.last_active_at,
                ).where(Profile.workspace_id == workspace_id)
            )
        )
        events = sorted(
            tuple(row)
            for row in await session.execute(
                select(
                    UserEvent.event_id,
                    UserEvent.user_id,
                    UserEvent.type,
                    UserEvent.occurred_at,
                    UserEvent.amount,
                ).where(UserEvent.workspace_id == workspace_id)
            )
        )
        year = DateRange(date(2025, 1, 1), date(2025, 12, 31))
        metrics = [
            (
                await stage_distribution(session, workspace_id=workspace_id, window=year)
            ).model_dump(),
            (await churn_rate(session, workspace_id=workspace_id, window=year)).model_dump(),
            (await repurchase_rate(session, workspace_id=workspace_id, window=year)).model_dump(),
            (await activity(session, workspace_id=workspace_id, window=year)).model_dump(),
        ]
    return {
        "stage_rows": stage_rows,
        "published": published,
        "profiles": profiles,
        "events": events,
        "metrics": metrics,
    }


def _counts(run: HistoryImport) -> tuple[int, int, int, int]:
    return (run.lines_done, run.accepted, run.duplicates, run.rejected)


async def test_a_finish_in_two_parts_writes_what_one_transaction_writes(
    database: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    items, path, split, single = await _imports(database, tmp_path)
    parts: list[set[str]] = []
    real = import_cli.derive_histories

    async def noted(*args: Any, stages: Mapping[str, str], **kwargs: Any) -> int:
        parts.append(set(stages))
        return await real(*args, stages=stages, **kwargs)

    monkeypatch.setattr(import_cli, "derive_histories", noted)
    chunk_parts: list[int] = []
    real_chunk = import_cli.import_chunk

    async def chunk_noted(*args: Any, part: HistoryImportPart, **kwargs: Any) -> Any:
        chunk_parts.append(part.part)
        return await real_chunk(*args, part=part, **kwargs)

    monkeypatch.setattr(import_cli, "import_chunk", chunk_noted)
    run = await _through_command(database, path, split, monkeypatch, NOW)
    reference = await _in_one_transaction(database, items, single)

    assert _counts(run) == _counts(reference) == (len(items), len(items) - 2, 1, 1)
    assert run.finished_at is not None
    assert sorted(chunk_parts) == [0] * 5 + [1] * 5  # 1,602 lines in chunks of 400, two parts
    assert len(parts) == 2 and parts[0] and parts[1] and not parts[0] & parts[1]
    assert parts[0] | parts[1] == {item["user_id"] for item in items if item["event_id"] != "bad"}
    written = await _written(database, split)
    assert set(written["stage_rows"]) & parts[0] and set(written["stage_rows"]) & parts[1]
    assert written == await _written(database, single)
    assert sum(map(len, written["published"].values())) > 300
    assert written["published"]["crm-0"]  # a user with stage rows before: its new moves


async def test_a_finish_interrupted_after_one_part_resumes_without_repeating_anything(
    database: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    items, path, resumed, single = await _imports(database, tmp_path)
    rescores = {"n": 0}
    real_rescore = history_import.rescore

    async def counted(*args: Any, **kwargs: Any) -> Any:
        if kwargs["workspace_id"] == resumed:
            rescores["n"] += 1
        return await real_rescore(*args, **kwargs)

    monkeypatch.setattr(history_import, "rescore", counted)
    real = import_cli.derive_histories
    committed: list[set[str]] = []

    async def second_part_fails(*args: Any, stages: Mapping[str, str], **kwargs: Any) -> int:
        if "crm-0" not in stages:  # the part without the first user id: interrupted
            raise Interrupted
        published = await real(*args, stages=stages, **kwargs)
        committed.append(set(stages))
        return published

    monkeypatch.setattr(import_cli, "derive_histories", second_part_fails)
    with pytest.raises(Interrupted):
        await _through_command(database, path, resumed, monkeypatch, NOW)
    async with database.session() as session:
        run = await session.get(HistoryImport, (resumed, "crm"))
        assert run is not None and run.finished_at is None and run.finishing_since is not None
    halfway = await _written(database, resumed)
    # One part's histories committed; of the other part's users, only live rows are there.
    assert len(committed) == 1 and set(halfway["stage_rows"]) & committed[0] - LIVE
    assert set(halfway["stage_rows"]) - committed[0] <= LIVE
    assert set(halfway["published"]) <= committed[0] | LIVE

    monkeypatch.setattr(import_cli, "derive_histories", real)
    # Run again an hour later: the finish keeps its first time, so nothing differs.
    run = await _through_command(database, path, resumed, monkeypatch, NOW + timedelta(hours=1))
    reference = await _in_one_transaction(database, items, single)
    assert run.finished_at is not None
    assert rescores["n"] == 1
    assert _counts(run) == _counts(reference)
    assert await _written(database, resumed) == await _written(database, single)


async def test_lines_added_after_a_finish_began_are_scored_by_a_new_finish(
    database: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The file grew after an interrupted finish: its new lines are imported, and the finish
    starts over (a second re-score, which sees them), ending where a one-transaction import of
    the whole file ends (stage rows, profiles, events, metrics; a committed part's moves that
    the whole file no longer derives were published once already, as late events' are)."""
    items, path, grown, single = await _imports(database, tmp_path, lines=1200)
    rescores = {"n": 0}
    real_rescore = history_import.rescore

    async def counted(*args: Any, **kwargs: Any) -> Any:
        if kwargs["workspace_id"] == grown:
            rescores["n"] += 1
        return await real_rescore(*args, **kwargs)

    monkeypatch.setattr(history_import, "rescore", counted)
    real = import_cli.derive_histories

    async def second_part_fails(*args: Any, stages: Mapping[str, str], **kwargs: Any) -> int:
        if "crm-0" not in stages:
            raise Interrupted
        return await real(*args, stages=stages, **kwargs)

    monkeypatch.setattr(import_cli, "derive_histories", second_part_fails)
    with pytest.raises(Interrupted):
        await _through_command(database, path, grown, monkeypatch, NOW)
    monkeypatch.setattr(import_cli, "derive_histories", real)
    _write(path, items)
    run = await _through_command(database, path, grown, monkeypatch, NOW)
    reference = await _in_one_transaction(database, items, single)
    assert rescores["n"] == 2
    assert _counts(run) == _counts(reference)
    written, expected = await _written(database, grown), await _written(database, single)
    for part in ("stage_rows", "profiles", "events", "metrics"):
        assert written[part] == expected[part], part


async def _parts_left(database: Database, workspace_id: UUID) -> dict[int, int]:
    async with database.session() as session:
        rows = await session.scalars(
            select(HistoryImportPart).where(HistoryImportPart.workspace_id == workspace_id)
        )
        return {row.part: row.lines_done for row in rows}


async def _stop_the_third_chunk(
    database: Database,
    path: Path,
    workspace_id: UUID,
    monkeypatch: pytest.MonkeyPatch,
    killed: set[int],
    rejects: io.StringIO,
) -> None:
    """The import of `path` stopped once both parts of its third chunk (lines 801-1200) have
    written their rows and neither has committed: the `killed` parts roll back, the others
    commit."""
    real = import_cli.import_chunk
    written_rows: set[int] = set()
    both_written = asyncio.Event()

    async def stopped(*args: Any, part: HistoryImportPart, **kwargs: Any) -> Any:
        rejected = await real(*args, part=part, **kwargs)
        if part.lines_done == 3 * CHUNK:  # the third chunk, not committed yet
            written_rows.add(part.part)
            if len(written_rows) == 2:
                both_written.set()
            await both_written.wait()  # both parts in flight, each in its own transaction
            if part.part in killed:
                raise Interrupted
        return rejected

    with monkeypatch.context() as patched:
        patched.setattr(import_cli, "import_chunk", stopped)
        with pytest.raises(Interrupted):
            await _through_command(database, path, workspace_id, monkeypatch, NOW, rejects=rejects)
    assert await _parts_left(database, workspace_id) == {
        k: 2 * CHUNK if k in killed else 3 * CHUNK for k in (0, 1)
    }


@pytest.mark.parametrize("killed", [{0}, {1}, {0, 1}], ids=["first", "second", "both"])
async def test_chunks_killed_while_both_parts_are_in_flight_resume_to_the_same_import(
    database: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, killed: set[int]
) -> None:
    """Stopped in its third chunk (the rejected line 901 in it) with the `killed` parts rolled
    back, the import run again resumes each part after its own line count, and ends with the
    counts, rows, events and metrics of an import on one connection, the rejected line
    reported once."""
    items, path, resumed, single = await _imports(database, tmp_path)
    rejects = io.StringIO()
    await _stop_the_third_chunk(database, path, resumed, monkeypatch, killed, rejects)

    run = await _through_command(database, path, resumed, monkeypatch, NOW, rejects=rejects)
    reference = await _in_one_transaction(database, items, single)
    assert run.finished_at is not None
    assert _counts(run) == _counts(reference) == (len(items), len(items) - 2, 1, 1)
    assert await _parts_left(database, resumed) == {}  # folded into the import's row
    assert [json.loads(line)["line"] for line in rejects.getvalue().splitlines()] == [901]
    assert await _written(database, resumed) == await _written(database, single)


async def test_a_resume_with_a_shorter_file_stores_nothing_and_says_why(
    database: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """One part stored lines up to 1,200, the other up to 800; run again with a file cut
    at line 1,000, the import refuses before storing anything (the parts stay where they
    were), and with the whole file back it ends as an import on one connection."""
    items, path, resumed, single = await _imports(database, tmp_path)
    await _stop_the_third_chunk(database, path, resumed, monkeypatch, {1}, io.StringIO())

    _write(path, items[: 2 * CHUNK + CHUNK // 2])
    with pytest.raises(
        import_cli.FileShrank, match="up to 1,200, but the file now ends at line 1,000"
    ):
        await _through_command(database, path, resumed, monkeypatch, NOW)
    assert await _parts_left(database, resumed) == {0: 3 * CHUNK, 1: 2 * CHUNK}

    _write(path, items)
    run = await _through_command(database, path, resumed, monkeypatch, NOW)
    reference = await _in_one_transaction(database, items, single)
    assert _counts(run) == _counts(reference)
    assert await _written(database, resumed) == await _written(database, single)


async def test_a_finish_whose_rescore_failed_after_one_part_resumes_to_the_same_import(
    database: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The finishing step's re-score writes in two parts: one committed, the other failed. The
    finish has not begun (`finishing_since` unset), so the command run again re-scores (finding
    the committed part's users scored) and ends where a one-transaction import ends."""
    items, path, resumed, single = await _imports(database, tmp_path)
    real = rfm_service._write
    written_parts: list[tuple[int, int]] = []

    async def second_part_fails(*args: Any, part: tuple[int, int], **kwargs: Any) -> Any:
        if part == (1, 2):
            raise Interrupted
        written_parts.append(part)
        return await real(*args, part=part, **kwargs)

    monkeypatch.setattr(rfm_service, "_write", second_part_fails)
    with pytest.raises(Interrupted):
        await _through_command(database, path, resumed, monkeypatch, NOW)
    assert written_parts == [(0, 2)]
    async with database.session() as session:
        run = await session.get(HistoryImport, (resumed, "crm"))
        assert run is not None and run.finishing_since is None and run.finished_at is None

    monkeypatch.setattr(rfm_service, "_write", real)
    run = await _through_command(database, path, resumed, monkeypatch, NOW)
    reference = await _in_one_transaction(database, items, single)
    assert run.finished_at is not None
    assert _counts(run) == _counts(reference)
    assert await _written(database, resumed) == await _written(database, single)
