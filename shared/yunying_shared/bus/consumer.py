"""The consumer loop every service runs: handle each event once, in order, or dead-letter it.

For each message: parse the envelope (an invalid one goes to `<topic>.dlq` at once), then run
the handler inside one transaction that also records the event id in the inbox, so the effects
and the "seen" mark commit together. A fetched batch is first tried in one such transaction (one
commit for many events); if any event in it is invalid or fails, nothing of it is kept and its
events go one at a time, each in its own transaction. After every such transaction, each
partition's lowest offset not yet handled becomes committable; a task beside the loop commits
them to the broker, so no lane waits on the broker's round trip. A handler that keeps failing
is retried with backoff `max_attempts` times, then dead-lettered, and the partition moves on. An
outage of the database is not the event's fault: it is retried until the database is back,
never dead-lettered.

A type may have a batch handler instead: in the fast path it gets each run of consecutive
events of its type at once (order across types kept), one at a time a batch of one. Fetched
events are spread over `lanes` handled concurrently, by key: one key's events stay in order in
one lane. A type whose handler is idempotent by itself (it dedupes by the events' own ids)
skips the inbox.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
from collections.abc import Awaitable, Callable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from prometheus_client import Counter, Gauge
from pydantic import BaseModel
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.ext.asyncio import AsyncSession

from yunying_shared.bus import inbox
from yunying_shared.bus.progress import FetchedPartition, FetchProgress, Placed
from yunying_shared.bus.tables import BusTables
from yunying_shared.bus.transport import Message, Received, Subscription, TopicPartition, Transport
from yunying_shared.db.engine import Database
from yunying_shared.events import Envelope, InvalidEvent, parse_event
from yunying_shared.logging import bound_contextvars, get_logger

log = get_logger(__name__)

Handler = Callable[[AsyncSession, Envelope, Any], Awaitable[None]]
# Several consecutive events of one type, in order, in one transaction: for handlers whose work
# is cheaper per batch (one executemany instead of a round trip per event).
BatchHandler = Callable[[AsyncSession, Sequence[tuple[Envelope, Any]]], Awaitable[None]]

HANDLED = Counter("yunying_events_handled_total", "Events handled", ["service", "type"])
DUPLICATES = Counter("yunying_events_duplicate_total", "Redeliveries dropped", ["service"])
DEAD_LETTERED = Counter("yunying_events_dead_lettered_total", "Events sent to a DLQ", ["service"])
LAG = Gauge("yunying_consumer_lag", "Messages not yet committed", ["service", "topic", "partition"])

DLQ_SUFFIX = ".dlq"


class PermanentFailure(Exception):
    """Raised by a handler for an event that can never succeed: dead-lettered without retries."""


def dlq_topic(topic: str) -> str:
    return topic + DLQ_SUFFIX


def is_outage(exc: BaseException) -> bool:
    if isinstance(exc, DBAPIError):
        return exc.connection_invalidated or isinstance(exc, OperationalError | InterfaceError)
    return isinstance(exc, OSError | ConnectionError | TimeoutError)


class ConsumerRunner:
    def __init__(
        self,
        *,
        service: str,
        database: Database,
        tables: BusTables,
        transport: Transport,
        handlers: Mapping[str, Handler],
        batch_handlers: Mapping[str, BatchHandler] | None = None,
        topics: Sequence[str],
        group: str,
        max_attempts: int = 5,
        backoff_seconds: float = 0.05,
        backoff_max_seconds: float = 2.0,
        fetch_max_records: int = 200,
        lag_interval_seconds: float = 5.0,
        transaction_max_events: int = 100,
        lanes: int = 1,
        idempotent_types: frozenset[str] = frozenset(),
    ) -> None:
        self.service = service
        self.group = group
        self.topics = list(topics)
        self._database = database
        self._tables = tables
        self._transport = transport
        self._batch_handlers = dict(batch_handlers or {})
        if both := set(handlers) & set(self._batch_handlers):
            raise ValueError(f"a handler and a batch handler for {sorted(both)}")
        # one at a time (retries, dead letters), a batch handler gets a batch of one
        self._handlers = dict(handlers) | {
            t: _one_by_one(h) for t, h in self._batch_handlers.items()
        }
        self._max_attempts = max_attempts
        self._backoff = backoff_seconds
        self._backoff_max = backoff_max_seconds
        self._fetch_max = fetch_max_records
        self._lag_interval = lag_interval_seconds
        self._transaction_max = transaction_max_events
        # SQLite has one writer at a time: a second lane would only wait on its lock (and a
        # long wait fails the batch), so the embedded mode keeps one.
        self._lanes = 1 if database.dialect == "sqlite" else max(lanes, 1)
        # Types whose handler makes a redelivery a no-op by itself (e.g. by the events' own
        # unique ids): no inbox row is written for them, which saves a row per event.
        self._idempotent = idempotent_types
        self._subscription: Subscription | None = None
        self._task: asyncio.Task[None] | None = None
        self._lag_task: asyncio.Task[None] | None = None
        self._commit_task: asyncio.Task[None] | None = None
        self._stopping = asyncio.Event()
        # per partition, the newest position finished but not yet committed
        self._uncommitted: dict[TopicPartition, int] = {}
        self._commit_wanted = asyncio.Event()

    async def start(self) -> None:
        await self._transport.ensure_topics(self.topics + [dlq_topic(t) for t in self.topics])
        self._subscription = self._transport.subscribe(self.group, self.topics)
        await self._subscription.start()
        self._task = asyncio.create_task(self._run(), name=f"consumer-{self.service}")
        self._commit_task = asyncio.create_task(
            self._commit_forever(self._subscription), name=f"commit-{self.service}"
        )
        self._lag_task = asyncio.create_task(self._report_lag_forever(), name=f"lag-{self.service}")

    async def stop(self) -> None:
        """Finish the message in hand, commit, leave the group."""
        self._stopping.set()
        if self._lag_task:
            self._lag_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._lag_task
        if self._task:
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        if self._commit_task:  # it commits what the loop finished last, then ends
            self._commit_wanted.set()
            with contextlib.suppress(asyncio.CancelledError):
                await self._commit_task
        if self._subscription:
            await self._subscription.stop()

    async def _run(self) -> None:
        assert self._subscription is not None
        subscription = self._subscription
        while not self._stopping.is_set():
            try:
                batch = await subscription.fetch(timeout=0.5, max_records=self._fetch_max)
                await self._process_batch(subscription, batch)
            except Exception as exc:
                log.warning("consumer loop error", service=self.service, error=repr(exc))
                await asyncio.sleep(self._backoff_max)

    async def _process_batch(self, subscription: Subscription, batch: list[Received]) -> None:
        # Events of one key stay in order in one lane; lanes run concurrently, each in its own
        # transactions, so one lane's waits on the database overlap another's work even when
        # the whole fetch came from one partition. Within a lane, one transaction takes up to
        # `transaction_max_events` events (fewer commits: the better use of a busy CPU).
        progress = FetchProgress(batch)
        if self._lanes == 1:
            lanes = [progress.placed]
        else:
            by_lane: dict[int, list[Placed]] = {}
            for placed in progress.placed:
                by_lane.setdefault(self._lane_of(*placed), []).append(placed)
            lanes = list(by_lane.values())
        await asyncio.gather(*(self._process_lane(subscription, progress, lane) for lane in lanes))

    def _lane_of(self, message: Received, partition: FetchedPartition) -> int:
        # Python's hash of bytes differs between processes but not within one, and a key's
        # events of the next fetch wait for this fetch's lanes to finish: the order holds. The
        # partition number spreads keyless messages of different partitions over lanes.
        return (hash(message.key) + partition.partition) % self._lanes

    async def _process_lane(
        self, subscription: Subscription, progress: FetchProgress, placed: list[Placed]
    ) -> None:
        """Handle messages in order, committing after each transaction what may be committed."""

        async def done(handled: list[Placed]) -> None:
            # another member owns a revoked partition now and resumes from the last commit
            revoked = subscription.revoked_since_fetch()
            for tp, position in progress.finish(handled).items():
                if tp not in revoked:
                    self._uncommitted[tp] = position
                    subscription.processed(tp, position)
            self._commit_wanted.set()

        for start in range(0, len(placed), self._transaction_max):
            if self._stopping.is_set():
                break
            chunk = _not_revoked(
                placed[start : start + self._transaction_max], subscription.revoked_since_fetch()
            )
            if await self._handle_together([message for message, _ in chunk]):
                await done(chunk)
                continue
            for one in chunk:  # one at a time: retries, backoff, dead letters
                if one[1].tp in subscription.revoked_since_fetch():
                    continue
                if self._stopping.is_set() or not await self.process(one[0]):
                    return
                await done([one])

    async def _commit_forever(self, subscription: Subscription) -> None:
        """Commit finished positions beside the loop, until the loop has stopped. A commit is a
        broker round trip (30-70 ms each in the CRM topic bench at load 7); awaited by the
        lanes, one after another, it held up the last lane and so the next fetch. Positions
        finished while one is in flight go together in the next."""
        while True:
            await self._commit_wanted.wait()
            self._commit_wanted.clear()
            # seen before committing: once the loop is done, all it finished is in this commit
            loop_done = self._task is None or self._task.done()
            await self._commit(subscription)
            if loop_done:
                return

    async def _commit(self, subscription: Subscription) -> None:
        """Commit the newest safe position of every partition that moved. Only this task
        commits, so an older position never overwrites a newer one."""
        positions, self._uncommitted = self._uncommitted, {}
        if not positions:
            return
        try:
            await subscription.commit(positions)
        except Exception as exc:  # e.g. a rebalance; the inbox drops the redelivery
            log.warning("offset commit failed", service=self.service, error=repr(exc))

    async def _handle_together(self, messages: list[Received]) -> bool:
        """The fast path: many events in one transaction (one commit, one fsync). False, with
        nothing applied, when any of them is invalid or fails: then they go one at a time."""
        if not messages:
            return True
        try:
            events = [parse_event(message.value, message.headers) for message in messages]
        except InvalidEvent:
            return False
        ours = [
            (envelope, payload) for envelope, payload in events if envelope.type in self._handlers
        ]
        handled: list[str] = []
        try:
            async with self._database.session() as session, session.begin():
                claimed = await inbox.claim_many(
                    session,
                    self._tables,
                    consumer=self.group,
                    events=[
                        (envelope.id, envelope.type)
                        for envelope, _ in ours
                        if envelope.type not in self._idempotent
                    ],
                )
                todo = []
                seen = set()
                for envelope, payload in ours:
                    if envelope.type in self._idempotent:
                        fresh = envelope.id not in seen  # the handler drops redeliveries
                        seen.add(envelope.id)
                    else:  # else handled before, or earlier in this batch
                        fresh = envelope.id in claimed
                        claimed.discard(envelope.id)
                    if fresh:
                        todo.append((envelope, payload))
                for start, end in _runs(todo):
                    run_type = todo[start][0].type
                    batch_handler = self._batch_handlers.get(run_type)
                    if batch_handler is not None:
                        with bound_contextvars(event_type=run_type, events=end - start):
                            await batch_handler(session, todo[start:end])
                        continue
                    for envelope, payload in todo[start:end]:
                        with bound_contextvars(
                            event_id=str(envelope.id),
                            event_type=run_type,
                            correlation_id=envelope.correlationid,
                        ):
                            await self._handlers[run_type](session, envelope, payload)
                handled = [envelope.type for envelope, _ in todo]
        except Exception as exc:
            log.info("batch failed; handling its events one at a time", error=repr(exc))
            return False
        for event_type, count in collections.Counter(handled).items():  # a label lookup per type
            HANDLED.labels(self.service, event_type).inc(count)
        if len(ours) > len(handled):
            DUPLICATES.labels(self.service).inc(len(ours) - len(handled))
        return True

    async def process(self, message: Received) -> bool:
        """Handle or dead-letter one message. False only when stopping left it unhandled."""
        try:
            envelope, payload = parse_event(message.value, message.headers)
        except InvalidEvent as exc:
            return await self._dead_letter(message, str(exc), attempts=1)
        handler = self._handlers.get(envelope.type)
        if handler is None:
            return True
        attempt = 0
        while True:
            try:
                await self._handle_once(handler, envelope, payload)
                return True
            except PermanentFailure as exc:
                return await self._dead_letter(message, f"PermanentFailure: {exc}", attempts=1)
            except Exception as exc:
                if is_outage(exc):
                    log.warning("outage while handling; will retry", error=repr(exc))
                    if not await self._sleep(self._backoff_max):
                        return False
                    continue
                attempt += 1
                if attempt >= self._max_attempts:
                    reason = f"{type(exc).__name__}: {exc}"
                    return await self._dead_letter(message, reason, attempts=attempt)
                log.info(
                    "handler failed; retrying", type=envelope.type, attempt=attempt, error=repr(exc)
                )
                await asyncio.sleep(min(self._backoff * 2 ** (attempt - 1), self._backoff_max))

    async def _handle_once(
        self, handler: Handler, envelope: Envelope, payload: BaseModel | None
    ) -> None:
        context = {
            "event_id": str(envelope.id),
            "event_type": envelope.type,
            "correlation_id": envelope.correlationid,
        }
        with bound_contextvars(**context):
            async with self._database.session() as session, session.begin():
                claimed = envelope.type in self._idempotent or await inbox.claim(
                    session,
                    self._tables,
                    consumer=self.group,
                    event_id=envelope.id,
                    event_type=envelope.type,
                )
                if not claimed:
                    DUPLICATES.labels(self.service).inc()
                    return
                await handler(session, envelope, payload)
        HANDLED.labels(self.service, envelope.type).inc()

    async def _dead_letter(self, message: Received, reason: str, *, attempts: int) -> bool:
        headers = message.headers + tuple(
            (name, value.encode())
            for name, value in {
                "dlq.origin.topic": message.topic,
                "dlq.origin.partition": str(message.partition),
                "dlq.origin.offset": str(message.offset),
                "dlq.consumer": self.group,
                "dlq.error": reason[:2000],
                "dlq.attempts": str(attempts),
                "dlq.failed_at": datetime.now(UTC).isoformat(),
            }.items()
        )
        dead = Message(dlq_topic(message.topic), message.key, message.value, headers)
        while True:  # the partition may only move on once the dead letter is safely stored
            try:
                await self._transport.publish([dead])
                break
            except Exception as exc:
                log.warning("dead-letter publish failed; retrying", error=repr(exc))
                if not await self._sleep(self._backoff_max):
                    return False
        DEAD_LETTERED.labels(self.service).inc()
        log.warning(
            "event dead-lettered",
            topic=message.topic,
            partition=message.partition,
            offset=message.offset,
            reason=reason,
        )
        return True

    async def _sleep(self, seconds: float) -> bool:
        """Sleep unless stopping; False when stopping interrupted it."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._stopping.wait(), seconds)
        return not self._stopping.is_set()

    async def _report_lag_forever(self) -> None:
        """The lag gauge every `lag_interval`, beside the loop rather than in it: on Kafka a
        report is a few broker round trips (end offsets, start offsets, a committed offset per
        partition): 0.76 and 0.88 s of a 17 s CRM topic bench at load 7.6, during which the loop
        handled nothing."""
        assert self._subscription is not None
        while await self._sleep(self._lag_interval):
            try:
                await self._report_lag(self._subscription)
            except Exception as exc:  # e.g. the broker unreachable: the next report will tell
                log.warning("consumer lag report failed", service=self.service, error=repr(exc))

    async def _report_lag(self, subscription: Subscription) -> None:
        lag = await subscription.lag()
        for tp, behind in lag.partitions.items():
            LAG.labels(self.service, tp.topic, str(tp.partition)).set(behind)


def _not_revoked(placed: list[Placed], revoked: set[TopicPartition]) -> list[Placed]:
    """Drop messages of partitions a rebalance took away (the set is almost always empty)."""
    if not revoked:
        return placed
    return [one for one in placed if one[1].tp not in revoked]


def _runs(events: list[tuple[Envelope, Any]]) -> list[tuple[int, int]]:
    """[start, end) of each run of consecutive events of one type: handling run by run keeps
    the order of events across types."""
    runs: list[tuple[int, int]] = []
    for i, (envelope, _) in enumerate(events):
        if runs and events[runs[-1][0]][0].type == envelope.type:
            runs[-1] = (runs[-1][0], i + 1)
        else:
            runs.append((i, i + 1))
    return runs


def _one_by_one(batch_handler: BatchHandler) -> Handler:
    async def handle(session: AsyncSession, envelope: Envelope, payload: Any) -> None:
        await batch_handler(session, [(envelope, payload)])

    return handle
