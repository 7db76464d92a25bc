"""`yunying segmentation-import FILE --workspace ID`: a CRM's history, from JSON lines or CSV.

Each line (or CSV row) is one item of `POST /v1/events` (CSV: columns named as its fields, any
other non-empty column becomes a property). Chunks of `--chunk` lines are committed one
transaction each, with the import's progress (lines done, accepted, duplicates, rejected) in the
same transaction, so running the same command again after an interruption resumes after the last
committed chunk. Progress goes to stderr; rejected lines (line number, fields at fault) to
`--rejects`; the summary to stdout. At the end the workspace is re-scored once and the imported
users' stage histories are derived by event time (`events.history_import`); on PostgreSQL the
histories are derived on two connections at once, each for half of the users.

The database is the service's own, as the service finds it (`YUNYING_SEGMENTATION_DATABASE_URL`,
else `YUNYING_DATABASE_URL`, else the embedded mode's SQLite file), or `--database-url`.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import json
import multiprocessing
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from itertools import islice
from pathlib import Path
from typing import Any, TextIO
from uuid import UUID

from segmentation.clock import utcnow
from segmentation.config import SegmentationConfig
from segmentation.events.history_import import (
    NAME_LENGTH,
    Finished,
    HistoryImport,
    HistoryImportPart,
    Prepared,
    derive_histories,
    end_import,
    finish_import,
    fold_parts,
    import_chunk,
    imported_stages,
    imported_users,
    open_import,
    open_parts,
    prepare,
    prepare_parts,
    rescore_once,
    split_users,
    tagged_types,
)
from segmentation.events.schemas import KNOWN_FIELDS, ItemResult
from yunying_shared.db import Database, sql_dialect

MAX_CHUNK = 20_000
# The finishing step's stage histories on this many connections at once (PostgreSQL): the
# machine's two cores.
FINISH_PARTS = 2
# Each chunk's events split by user over this many connections (PostgreSQL): one backend is
# one core, and the chunks' database work is most of their CPU.
CHUNK_PARTS = 2
# The command's connections: the finishing step's re-score keeps its reads on one while its
# writes run in two parts (rfm.service); fewer would open and close a connection per part.
POOL_SIZE = max(CHUNK_PARTS, FINISH_PARTS) + 1


class FileShrank(Exception):
    """An interrupted import is resumed with a file shorter than what it already stored."""

    def __init__(self, name: str, *, stored: int, lines: int) -> None:
        super().__init__(
            f"import {name!r} already stored lines up to {stored:,}, but the file now ends at "
            f"line {lines:,}: resume it with the file it was started with, or start a new "
            "import under another --name"
        )


def _csv_item(row: dict[str, str]) -> dict[str, Any]:
    item: dict[str, Any] = {}
    properties: dict[str, str] = {}
    for key, value in row.items():
        if value in ("", None) or key is None:
            continue
        if key in KNOWN_FIELDS and key != "properties":
            item[key] = value
        else:
            properties[key] = value
    if properties:
        item["properties"] = properties
    return item


def parse_line(line: str) -> Any:
    """One JSON line as an item; a line that is not JSON becomes an item validation rejects."""
    if not line.strip():
        return {"_blank": True}
    try:
        return json.loads(line)
    except ValueError as error:
        return {"_unreadable": str(error)}


def read_items(source: TextIO, kind: str) -> Iterator[Any]:
    """Items in file order."""
    if kind == "csv":
        yield from (_csv_item(row) for row in csv.DictReader(source))
        return
    yield from (parse_line(line) for line in source)


def _raw_items(source: TextIO, kind: str) -> Iterator[Any]:
    """Items as the worker takes them: JSON lines unparsed (parsing is the worker's job), CSV
    rows as items (the reader needs the header, read once here)."""
    if kind == "csv":
        yield from read_items(source, kind)
        return
    yield from source


def prepare_raw(
    raw: list[Any], kind: str, now: datetime, tagged: frozenset[str] | None, parts: int
) -> list[Prepared]:
    """A chunk parsed, validated and (PostgreSQL: `tagged` given) staged as COPY rows split by
    user into `parts` parts: runs in the worker process."""
    items = raw if kind == "csv" else [parse_line(line) for line in raw]
    if tagged is None:
        return [prepare(items, now)]
    return prepare_parts(items, now, tagged_types=tagged, parts=parts)


@contextmanager
def _worker() -> Iterator[ProcessPoolExecutor]:
    """One process preparing the next chunk on the other core. Forked: it needs nothing of the
    parent but the code, and a fork starts in milliseconds where a fresh interpreter re-imports
    the service."""
    pool = ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("fork"))
    try:
        yield pool
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def _kind(path: Path, given: str | None) -> str:
    if given:
        return given
    return "csv" if path.suffix.lower() == ".csv" else "jsonl"


@dataclass
class _Chunk:
    """A chunk stored: the import's counters after it, and the tag rules' types then."""

    counts: tuple[int, int, int]  # accepted, duplicates, rejected so far (every part)
    tagged: frozenset[str] | None


async def _store_part(
    database: Database,
    *,
    workspace_id: UUID,
    name: str,
    part: int | None,
    prepared: Prepared,
    end: int,
) -> tuple[list[ItemResult] | None, tuple[int, int, int], frozenset[str] | None]:
    """One part of a chunk (`part` None: the whole chunk, SQLite) in its own transaction, unless
    that part already stored it before an interruption (None instead of its results). Returns
    its counters after it, and the tag rules' types when it is the first part (PostgreSQL)."""
    async with database.session() as session, session.begin():
        run = await open_import(session, workspace_id=workspace_id, name=name)
        own = (
            None
            if part is None
            else await session.get(HistoryImportPart, (workspace_id, name, part))
        )
        assert part is None or own is not None, "the parts are opened before the chunks"
        progress: HistoryImport | HistoryImportPart = run if own is None else own
        rejected: list[ItemResult] | None = None
        if progress.lines_done < end:
            rejected = await import_chunk(
                session, run=run, items=prepared, lines=end - progress.lines_done, part=own
            )
        tagged = await tagged_types(session, workspace_id) if part == 0 else None
        return rejected, (progress.accepted, progress.duplicates, progress.rejected), tagged


async def _store_chunk(
    database: Database,
    *,
    workspace_id: UUID,
    name: str,
    parts: list[Prepared],
    end: int,
    base: tuple[int, int, int],
    split: bool,
    report: Callable[[list[ItemResult]], None],
) -> _Chunk:
    """A chunk's parts on as many connections at once (they share no user, so no lock), each
    committed on its own. Every part runs to its end before an error is raised: a part that
    committed stays committed (its line count says so), none is left running. `split`
    (PostgreSQL): the parts count in `history_import_parts`; else the one part in the run.
    The first part's rejected lines are reported once it committed, even if another part
    failed (a resumed run skips that part's lines)."""
    results = await asyncio.gather(
        *(
            _store_part(
                database,
                workspace_id=workspace_id,
                name=name,
                part=k if split else None,
                prepared=prepared,
                end=end,
            )
            for k, prepared in enumerate(parts)
        ),
        return_exceptions=True,
    )
    first = results[0]
    if not isinstance(first, BaseException) and first[0] is not None:
        report(first[0])
    for result in results:
        if isinstance(result, BaseException):
            raise result
    done = [result for result in results if not isinstance(result, BaseException)]
    accepted, duplicates, rejected = base
    for _, (part_accepted, part_duplicates, part_rejected), _ in done:
        accepted += part_accepted
        duplicates += part_duplicates
        rejected += part_rejected
    return _Chunk((accepted, duplicates, rejected), done[0][2])


async def run_import(
    database: Database,
    *,
    path: Path,
    workspace_id: UUID,
    name: str,
    kind: str,
    chunk: int,
    rejects: TextIO | None,
    progress: TextIO,
) -> tuple[HistoryImport, float]:
    started = time.perf_counter()
    async with database.session() as session, session.begin():
        # PostgreSQL stages chunks as COPY rows (events.import_packing) split by user over
        # CHUNK_PARTS connections, each part with its own line count; SQLite takes objects.
        postgres = sql_dialect(session).name == "postgresql"
        run = await open_import(session, workspace_id=workspace_id, name=name)
        finished = run.finished_at is not None
        done = [run.lines_done]
        base = (run.accepted, run.duplicates, run.rejected)
        if postgres and not finished:
            parts = await open_parts(session, run=run, parts=CHUNK_PARTS)
            done = [part.lines_done for part in parts]
        # The tag rules' event types, read again in each chunk's transaction: a chunk is
        # prepared with the types known when it is sent to the worker (one chunk ahead).
        tagged = await tagged_types(session, workspace_id) if postgres else None
    if finished:
        print(f"import {name!r} already finished", file=progress)
        return run, 0.0
    skip = min(done)
    if skip:
        print(f"resuming {name!r} after line {skip:,}", file=progress)
    loop = asyncio.get_running_loop()
    with path.open(encoding="utf-8", newline="") as source, _worker() as worker:
        items = islice(_raw_items(source, kind), skip, None)
        line = skip

        def next_chunk(size: int) -> tuple[int, asyncio.Future[list[Prepared]]] | None:
            # The worker parses, validates and stages the next chunk while the database stores
            # the current one; this process only reads the lines and sends the COPY rows.
            batch = list(islice(items, size))
            if not batch:
                return None
            future = loop.run_in_executor(
                worker, prepare_raw, batch, kind, utcnow(), tagged, len(done)
            )
            return len(batch), future

        def report(results: list[ItemResult]) -> None:
            if rejects is None:
                return
            for result in results:
                if result.status == "rejected":
                    record = {
                        "line": line + result.index + 1,
                        "errors": [error.model_dump() for error in result.errors],
                    }
                    rejects.write(json.dumps(record, ensure_ascii=False) + "\n")

        # Parts interrupted at different lines (one committed a chunk, another did not): the
        # first chunk brings the ones behind up to the others, which skip it.
        upcoming = next_chunk(max(done) - skip or chunk)
        reached = skip + (upcoming[0] if upcoming is not None else 0)
        if reached < max(done):  # checked before anything is stored: nothing half-applies
            if upcoming is not None:
                upcoming[1].cancel()
            raise FileShrank(name, stored=max(done), lines=reached)
        while upcoming is not None:
            lines, pending = upcoming
            prepared = await pending
            upcoming = next_chunk(chunk)
            try:
                stored = await _store_chunk(
                    database,
                    workspace_id=workspace_id,
                    name=name,
                    parts=prepared,
                    end=line + lines,
                    base=base if postgres else (0, 0, 0),
                    split=postgres,
                    report=report,
                )
            except BaseException:
                if upcoming is not None:
                    upcoming[1].cancel()
                raise
            if postgres:
                tagged = stored.tagged
            line += lines
            rate = (line - skip) / max(time.perf_counter() - started, 1e-9)
            accepted, duplicates, rejected = stored.counts
            print(
                f"{line:,} lines: {accepted:,} accepted, {duplicates:,} duplicate, "
                f"{rejected:,} rejected ({rate:,.0f} lines/s)",
                file=progress,
                flush=True,
            )
    if postgres:  # the parts' counters into the import's row
        async with database.session() as session, session.begin():
            run = await open_import(session, workspace_id=workspace_id, name=name)
            await fold_parts(session, run=run, now=utcnow())
    imported = time.perf_counter()
    print("re-scoring and deriving stage histories ...", file=progress, flush=True)
    if postgres:
        run, finish = await finish_in_parts(database, workspace_id=workspace_id, name=name)
    else:
        async with database.session() as session, session.begin():
            run = await open_import(session, workspace_id=workspace_id, name=name)
            finish = await finish_import(session, run=run)
    print(
        f"derived: {finish.users:,} users, {finish.transitions_published:,} stage moves "
        f"published ({time.perf_counter() - imported:.1f} s)",
        file=progress,
    )
    return run, time.perf_counter() - started


async def finish_in_parts(
    database: Database, *, workspace_id: UUID, name: str, parts: int = FINISH_PARTS
) -> tuple[HistoryImport, Finished]:
    """The finishing step with its per-user work on `parts` connections at once: the stage
    histories are most of it (events read, moves stored and published: PostgreSQL's work), and
    one backend is one core. The re-score commits first (with the finish's time), each part of
    the users commits its histories, the last transaction finishes the import; interrupted
    anywhere, running the command again finishes it (history_import: nothing published twice)."""
    async with database.session() as session, session.begin():
        run = await open_import(session, workspace_id=workspace_id, name=name)
        imported = await imported_users(session, run=run)
        now = await rescore_once(
            session, run=run, now=utcnow(), imported=imported, parts_on=database
        )
        stages = await imported_stages(session, run=run, imported=imported)

    async def derive_part(part: dict[str, str]) -> int:
        async with database.session() as session, session.begin():
            return await derive_histories(session, workspace_id=workspace_id, stages=part, now=now)

    # Every part runs to its end before an error is raised: a part that committed stays
    # committed, and no transaction is left running when the command stops.
    results = await asyncio.gather(
        *map(derive_part, split_users(stages, parts)), return_exceptions=True
    )
    published = 0
    for result in results:
        if isinstance(result, BaseException):
            raise result
        published += result
    async with database.session() as session, session.begin():
        run = await open_import(session, workspace_id=workspace_id, name=name)
        await end_import(session, run=run, stages=stages, now=now)
    return run, Finished(users=len(stages), transitions_published=published)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="yunying segmentation-import", description=__doc__)
    parser.add_argument("file", type=Path, help="JSON lines (.jsonl) or CSV (.csv)")
    parser.add_argument("--workspace", type=UUID, required=True, help="the workspace id")
    parser.add_argument("--name", help="the import's name, to resume it (default: the file's name)")
    parser.add_argument("--format", choices=("jsonl", "csv"), help="default: by extension")
    parser.add_argument("--chunk", type=int, default=5000, help="lines per transaction")
    parser.add_argument("--rejects", type=Path, help="write rejected lines' errors here")
    parser.add_argument("--database-url", help="default: the service's own")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    name = args.name or args.file.name
    if not 1 <= args.chunk <= MAX_CHUNK or len(name) > NAME_LENGTH:
        print(f"--chunk must be 1..{MAX_CHUNK}, --name at most {NAME_LENGTH}", file=sys.stderr)
        return 2
    if not args.file.is_file():
        print(f"no such file: {args.file}", file=sys.stderr)
        return 2
    url = args.database_url or SegmentationConfig.for_service("segmentation").resolved_database_url

    async def go() -> tuple[HistoryImport, float]:
        database = Database(url, pool_size=POOL_SIZE)
        try:
            rejects = args.rejects.open("a", encoding="utf-8") if args.rejects else None
            try:
                return await run_import(
                    database,
                    path=args.file,
                    workspace_id=args.workspace,
                    name=name,
                    kind=_kind(args.file, args.format),
                    chunk=args.chunk,
                    rejects=rejects,
                    progress=sys.stderr,
                )
            finally:
                if rejects is not None:
                    rejects.close()
        finally:
            await database.dispose()

    try:
        run, seconds = asyncio.run(go())
    except FileShrank as exc:
        print(exc, file=sys.stderr)
        return 2
    print(
        json.dumps(
            {
                "import": run.name,
                "lines": run.lines_done,
                "accepted": run.accepted,
                "duplicates": run.duplicates,
                "rejected": run.rejected,
                "seconds": round(seconds, 1),
            }
        )
    )
    return 0
