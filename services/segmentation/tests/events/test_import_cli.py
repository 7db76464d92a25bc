"""The history import command: JSON lines and CSV, rejected lines reported alone, the summary,
and a resumed run after an interruption counting every line once."""

from __future__ import annotations

import io
import json
from pathlib import Path
from uuid import UUID

import pytest
from sqlalchemy import func, select

from segmentation.events import import_cli
from segmentation.events.history_import import HistoryImport
from segmentation.lifecycle.models import StageChange
from segmentation.records.models import UserEvent
from yunying_shared.db import Database


class Interrupted(Exception):
    """The command stopped in the middle of a chunk."""


def _lines() -> list[str]:
    good = [
        {
            "event_id": f"e{i}",
            "user_id": f"u{i % 3}",
            "type": "purchase",
            "occurred_at": f"2025-0{1 + i % 6}-1{i % 9}T12:00:00+00:00",
            "amount": 10 + i,
        }
        for i in range(9)
    ]
    lines = [json.dumps(item) for item in good]
    lines.insert(4, "{not json")
    lines.insert(6, json.dumps({**good[0]}))  # e0 again: a duplicate
    lines.append(json.dumps({"event_id": "x", "user_id": "u9", "type": "purchase"}))
    return lines


async def _import(database: Database, path: Path, workspace_id: UUID, **kw) -> HistoryImport:
    run, _ = await import_cli.run_import(
        database,
        path=path,
        workspace_id=workspace_id,
        name="crm-2025",
        kind=kw.pop("kind", "jsonl"),
        chunk=4,
        rejects=kw.pop("rejects", None),
        progress=io.StringIO(),
    )
    return run


async def _count(database: Database, model, workspace_id: UUID) -> int:
    async with database.session() as session:
        return int(
            await session.scalar(
                select(func.count()).select_from(model).where(model.workspace_id == workspace_id)
            )
            or 0
        )


async def test_jsonl_import_resumes_after_an_interruption(
    database: Database, workspace_id: UUID, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "history.jsonl"
    path.write_text("\n".join(_lines()) + "\n", encoding="utf-8")
    real = import_cli.import_chunk

    async def interrupted(*args, lines, part, **kwargs):
        done = kwargs["run"].lines_done if part is None else part.lines_done
        if done == 4:  # stopped in the middle of the second chunk (every part of it)
            raise Interrupted
        return await real(*args, lines=lines, part=part, **kwargs)

    monkeypatch.setattr(import_cli, "import_chunk", interrupted)
    with pytest.raises(Interrupted):
        await _import(database, path, workspace_id)
    assert await _count(database, UserEvent, workspace_id) == 4  # the first chunk committed

    monkeypatch.setattr(import_cli, "import_chunk", real)
    rejects = io.StringIO()
    run = await _import(database, path, workspace_id, rejects=rejects)
    assert (run.lines_done, run.accepted, run.duplicates, run.rejected) == (12, 9, 1, 2)
    assert run.finished_at is not None
    assert await _count(database, UserEvent, workspace_id) == 9
    assert await _count(database, StageChange, workspace_id) > 0  # histories derived at the end
    reported = [json.loads(line) for line in rejects.getvalue().splitlines()]
    # each bad line reported once, with its number (line 5 was in the interrupted chunk)
    assert [r["line"] for r in reported] == [5, 12]
    assert {e["field"] for e in reported[1]["errors"]} == {"occurred_at", "amount"}
    again = await _import(database, path, workspace_id)  # finished: nothing happens twice
    assert again.accepted == 9


async def test_csv_rows_are_items_and_other_columns_properties(
    database: Database, workspace_id: UUID, tmp_path: Path
) -> None:
    path = tmp_path / "orders.csv"
    path.write_text(
        "event_id,user_id,type,occurred_at,amount,currency,store\n"
        "o1,c1,purchase,2025-03-01T10:00:00+08:00,99.5,CNY,上海店\n"
        "o2,c1,purchase,not a time,10,CNY,\n",
        encoding="utf-8",
    )
    rejects = io.StringIO()
    run = await _import(database, path, workspace_id, kind="csv", rejects=rejects)
    assert (run.accepted, run.rejected) == (1, 1)
    assert json.loads(rejects.getvalue())["line"] == 2
    async with database.session() as session:
        event = await session.scalar(select(UserEvent).where(UserEvent.event_id == "o1"))
    assert event is not None and event.properties == {"store": "上海店"}


async def test_a_resumed_import_finds_the_users_of_chunks_stored_before_it_stopped(
    database: Database, workspace_id: UUID, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Users of the first chunk have no event in the later ones: the finish finds them only by
    # what the first run's chunks stamped on their profiles (`Profile.imported_at`).
    items = [
        {
            "event_id": f"e{i}",
            "user_id": f"u{i}",
            "type": "purchase",
            "occurred_at": f"2025-0{1 + i % 6}-1{i % 9}T12:00:00+00:00",
            "amount": 10 + i,
        }
        for i in range(12)
    ]
    path = tmp_path / "history.jsonl"
    path.write_text("".join(json.dumps(item) + "\n" for item in items), encoding="utf-8")
    real = import_cli.import_chunk

    async def interrupted(*args, lines, part, **kwargs):
        done = kwargs["run"].lines_done if part is None else part.lines_done
        if done == 4:
            raise Interrupted
        return await real(*args, lines=lines, part=part, **kwargs)

    monkeypatch.setattr(import_cli, "import_chunk", interrupted)
    with pytest.raises(Interrupted):
        await _import(database, path, workspace_id)
    monkeypatch.setattr(import_cli, "import_chunk", real)
    progress = io.StringIO()
    run, _ = await import_cli.run_import(
        database,
        path=path,
        workspace_id=workspace_id,
        name="crm-2025",
        kind="jsonl",
        chunk=4,
        rejects=None,
        progress=progress,
    )
    assert run.finished_at is not None and run.accepted == 12
    assert "derived: 12 users" in progress.getvalue()
    async with database.session() as session:
        moved = set(
            await session.scalars(
                select(StageChange.user_id).where(StageChange.workspace_id == workspace_id)
            )
        )
    assert moved == {f"u{i}" for i in range(12)}  # every user's history derived


async def test_a_later_import_finds_only_the_users_it_stored_events_of(
    database: Database, workspace_id: UUID, tmp_path: Path
) -> None:
    # A later import under another name: a repeated event stores nothing (its user is not the
    # import's), a new event of an existing profile makes that user the import's.
    path = tmp_path / "history.jsonl"
    path.write_text("\n".join(_lines()) + "\n", encoding="utf-8")
    await _import(database, path, workspace_id)
    later = tmp_path / "later.jsonl"
    repeated = json.loads(_lines()[1])  # e1 of u1
    new = {**repeated, "event_id": "e-new", "user_id": "u2"}
    later.write_text(json.dumps(repeated) + "\n" + json.dumps(new) + "\n", encoding="utf-8")
    progress = io.StringIO()
    await import_cli.run_import(
        database,
        path=later,
        workspace_id=workspace_id,
        name="crm-2025-later",
        kind="jsonl",
        chunk=4,
        rejects=None,
        progress=progress,
    )
    assert "derived: 1 users" in progress.getvalue()
