"""Sentiment-alert benchmarks: the sentiment model's quality and speed, and the spike detector on
the NAB Twitter-volume series.

Quality, next to SnowNLP's own classifier on the same texts:
  - the held-out tenth of SnowNLP's labelled review sentences (corpus.is_held_out; training
    never saw it; SnowNLP itself was trained on these sentences, so its figure is optimistic);
    gold labels are pos/neg, so our neutral verdicts count as errors;
  - the hand-written social-media set (services/sentiment-alert/evaluation/
    social_sentences.jsonl: slang, emoji, negation, neutral questions; Chinese and English).
    SnowNLP has no neutral class: its probability in [0.4, 0.6] is read as neutral.
Speed: score() over the social set's texts, repeated to BENCH_MENTIONS (default 50,000), one
process, one core. NAB: `yunying spikes eval` on ../shared/data/nab-realTweets with the default
settings. No database or broker is needed for these.

Ingest (PostgreSQL, YUNYING_TEST_PG_URL as `make bench` sets it): BENCH_INGEST_MENTIONS
(default 50,000) mentions through the service's ingest function, the batch path of
`POST /v1/mentions` and of the `listening.mentions.v1` handler, in batches of 1,000, one
transaction each, BENCH_INGEST_CONCURRENCY (2) in flight in each of BENCH_INGEST_PROCESSES (1)
worker processes: validation, language, batch scoring, matching against 10 monitoring rules
through the shared normalisation, the mention rows, `mention.scored` in the outbox, feedback
for mentions with a user id, the bucket authors, the hourly keyword buckets (or a pending row
when another batch is folding them; what is pending at the end is folded inside the timing),
and the spike detector on the keywords each fold touched. Reported: the wall rate, and the CPU
per mention of the client processes and of the PostgreSQL backends serving them (from
/proc/<pid>/stat: PostgreSQL runs on this machine), with the load average and a reference
loop's CPU time, because on a shared machine the wall rate is the share the benchmark got.
`BENCH_ONLY=ingest` runs only this part (the other figures in the JSON are kept); the last line
printed sums it up against the 5,000 mentions/s target.
"""

from __future__ import annotations

import asyncio
import json
import multiprocessing
import os
import platform
import random
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4

from sklearn.metrics import accuracy_score, f1_score
from snownlp import SnowNLP
from sqlalchemy import text as sql

from sentiment_alert.jobs import aggregate_pending
from sentiment_alert.main import DEFINITION
from sentiment_alert.mentions.service import ingest as ingest_mentions
from sentiment_alert.monitoring.schemas import RuleIn
from sentiment_alert.monitoring.service import create_rule
from sentiment_alert.sentiment import score
from sentiment_alert.sentiment.batch import score_many
from sentiment_alert.sentiment.corpus import held_out_split
from sentiment_alert.spikes.nab import evaluate_directory, totals
from sentiment_alert.spikes.settings import DetectorSettings
from yunying_shared.db import Database
from yunying_shared.db.migrate import upgrade
from yunying_shared.testing.databases import fresh_postgres_database

ROOT = Path(__file__).resolve().parents[1]
SOCIAL_SET = ROOT / "services" / "sentiment-alert" / "evaluation" / "social_sentences.jsonl"
NAB_DIR = Path(os.environ.get("BENCH_NAB_DIR", ROOT.parent / "shared" / "data" / "nab-realTweets"))
RESULTS = Path(__file__).parent / "results" / "sentiment_alert.json"
MENTIONS = int(os.environ.get("BENCH_MENTIONS", "50000"))
SNOWNLP_NEUTRAL = (0.4, 0.6)
INGEST_MENTIONS = int(os.environ.get("BENCH_INGEST_MENTIONS", "50000"))
INGEST_BATCH = 1000
# Batches in flight at once, each its own transaction (as concurrent POST /v1/mentions requests
# in one worker). A batch no longer waits for another's bucket rows (one transaction at a time
# folds a workspace's buckets; the others leave their increments pending), so while one batch
# is in PostgreSQL the next is scored: two keep both cores busy.
INGEST_CONCURRENCY = int(os.environ.get("BENCH_INGEST_CONCURRENCY", "2"))
# Worker processes (as uvicorn workers or consumer replicas): each ingests its share.
INGEST_PROCESSES = int(os.environ.get("BENCH_INGEST_PROCESSES", "1"))
RULES = [
    RuleIn(kind="brand", keyword="花西子", terms=["Florasis", "花西子散粉", "空气散粉"]),
    RuleIn(kind="brand", keyword="同心锁口红", terms=["同心锁"]),
    *(RuleIn(kind="risk", keyword=t) for t in ("差评", "质量问题", "过敏", "投诉", "退款")),
    RuleIn(kind="competitor", keyword="完美日记", terms=["Perfect Diary"]),
    RuleIn(kind="competitor", keyword="毛戈平"),
    RuleIn(kind="risk", keyword="曝光"),
]


def ours(text: str) -> str:
    return score(text).label


def snownlp_label(text: str, *, neutral_band: bool) -> str:
    probability = float(SnowNLP(text).sentiments)
    if neutral_band and SNOWNLP_NEUTRAL[0] <= probability <= SNOWNLP_NEUTRAL[1]:
        return "neu"
    return "pos" if probability >= 0.5 else "neg"


def quality(gold: Sequence[str], predicted: Sequence[str], labels: list[str]) -> dict[str, Any]:
    return {
        "texts": len(gold),
        "accuracy": round(float(accuracy_score(gold, predicted)), 4),
        "macro_f1": round(float(f1_score(gold, predicted, labels=labels, average="macro")), 4),
    }


def compare(
    texts: list[str], gold: Sequence[str], labels: list[str], snownlp: Callable[[str], str]
) -> dict[str, Any]:
    return {
        "ours": quality(gold, [ours(t) for t in texts], labels),
        "snownlp": quality(gold, [snownlp(t) for t in texts], labels),
    }


def sentiment_quality() -> dict[str, Any]:
    held_out = held_out_split()
    texts, gold = [i.text for i in held_out], [i.label for i in held_out]
    held = compare(texts, gold, ["pos", "neg"], lambda t: snownlp_label(t, neutral_band=False))
    signs = ["pos" if score(t).score >= 0 else "neg" for t in texts]
    held["ours_sign_of_score"] = quality(gold, signs, ["pos", "neg"])
    rows = [json.loads(line) for line in SOCIAL_SET.read_text("utf-8").splitlines() if line]
    social: dict[str, Any] = {}
    for language in ("all", "zh", "en"):
        chosen = [r for r in rows if language in ("all", r["lang"])]
        social[language] = compare(
            [r["text"] for r in chosen],
            [r["label"] for r in chosen],
            ["pos", "neu", "neg"],
            lambda t: snownlp_label(t, neutral_band=True),
        )
    return {"held_out_snownlp_reviews": held, "social_set": social}


def speed() -> dict[str, Any]:
    rows = [json.loads(line) for line in SOCIAL_SET.read_text("utf-8").splitlines() if line]
    texts = [r["text"] for r in rows]
    mentions = (texts * (MENTIONS // len(texts) + 1))[:MENTIONS]
    score(mentions[0])  # loads the model: start-up is not part of the rate
    wall, cpu = time.perf_counter(), time.process_time()
    for text in mentions:
        score(text)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    batch_cpu = time.process_time()
    for start in range(0, len(mentions), INGEST_BATCH):
        score_many(mentions[start : start + INGEST_BATCH])
    batch_cpu = time.process_time() - batch_cpu
    reviews = [i.text for i in held_out_split()]
    review_cpu = time.process_time()
    for text in reviews:
        score(text)
    review_cpu = time.process_time() - review_cpu
    return {
        "mentions": len(mentions),
        "mean_characters": round(sum(map(len, mentions)) / len(mentions), 1),
        "mentions_per_second_wall": round(len(mentions) / wall),
        "mentions_per_second_cpu": round(len(mentions) / cpu),
        "batches_of_1000_mentions_per_second_cpu": round(len(mentions) / batch_cpu),
        "held_out_reviews_per_second_cpu": round(len(reviews) / review_cpu),
        "held_out_reviews_mean_characters": round(sum(map(len, reviews)) / len(reviews), 1),
    }


def nab() -> dict[str, Any]:
    settings = DetectorSettings()
    results = evaluate_directory(NAB_DIR, settings)
    return {
        "settings": settings.as_dict(),
        "totals": totals(results),
        "series": {
            r.name: {
                "windows": len(r.windows),
                "detected": sum(r.detected),
                "recall": round(r.recall, 3),
                "false_positives": r.false_positives,
                "false_positives_by_peak_level": r.false_positive_levels(),
                "delays_hours": [round(d, 1) for d in r.delays_hours],
                "anomaly_offsets_hours": [round(d, 1) for d in r.anomaly_offsets_hours],
            }
            for r in results
        },
    }


def _mention_items(count: int, now: datetime) -> list[dict[str, Any]]:
    """Social-set texts, most naming the brand (some with risk terms), by 20,000 authors over
    the last 24 hours; one in fifty from a known user."""
    rows = [json.loads(line) for line in SOCIAL_SET.read_text("utf-8").splitlines() if line]
    texts = [r["text"] for r in rows]
    rng = random.Random(14)
    decorations = ["花西子{}", "{}，花西子散粉", "{}", "用了花西子，{}，要投诉", "{} 完美日记"]
    platforms = ["weibo", "xiaohongshu", "douyin", "wechat", "bilibili", "news"]
    items = []
    for n in range(count):
        item: dict[str, Any] = {
            "platform": platforms[n % len(platforms)],
            "platform_id": f"bench-{n}",
            "author": f"author-{rng.randrange(20_000)}",
            "text": rng.choice(decorations).format(rng.choice(texts)),
            "posted_at": (now - timedelta(minutes=rng.randrange(24 * 60))).isoformat(),
            "likes": rng.randrange(500),
        }
        if n % 50 == 0:
            item["user_id"] = f"user-{n}"
        items.append(item)
    return items


CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def _cpu_seconds(pid: int) -> float:
    """User + system CPU of a process (a PostgreSQL backend on this machine)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def _processes_cpu(pids: list[int]) -> float:
    return sum(_cpu_seconds(pid) for pid in pids if Path(f"/proc/{pid}/stat").exists())


async def _backends_cpu(database: Database) -> float:
    """CPU seconds used so far by the server processes of the benchmark's database: what
    PostgreSQL spent on the ingest (it runs on this machine; WAL writer and checkpointer not
    included)."""
    async with database.session() as session:
        pids = (
            await session.execute(
                sql("SELECT pid FROM pg_stat_activity WHERE datname = current_database()")
            )
        ).scalars()
        return _processes_cpu(list(pids))


def _reference_seconds() -> float:
    """CPU seconds of a fixed pure-Python loop: on a shared machine, how slow a CPU second is
    right now, to set figures taken under different loads side by side."""
    started = time.process_time()
    for _ in range(1000):
        sum(range(1000))
    return round(time.process_time() - started, 4)


def _warm_up(text: str) -> None:
    """Loads the model and the batch scorer's table: start-up is not part of the rate."""
    score(text)
    score_many([text])


async def _ingest_share(
    url: str, workspace_id: UUID, items: list[dict[str, Any]], server_cpu: list[float]
) -> int:
    database = Database(url, pool_size=INGEST_CONCURRENCY + 1)
    batches = [items[i : i + INGEST_BATCH] for i in range(0, len(items), INGEST_BATCH)]
    accepted = 0
    now = datetime.now(UTC)
    _warm_up(items[0]["text"])
    # Every connection of the pool opened before the clock starts, so all are counted.
    async with asyncio.TaskGroup() as group:
        for _ in range(INGEST_CONCURRENCY):
            group.create_task(_touch(database))
    server_cpu.append(-await _backends_cpu(database))

    async def worker() -> None:
        nonlocal accepted
        while batches:
            batch = batches.pop(0)
            async with database.session() as session, session.begin():
                result = await ingest_mentions(
                    session, workspace_id=workspace_id, items=batch, now=now
                )
            accepted += result.accepted

    await asyncio.gather(*(worker() for _ in range(INGEST_CONCURRENCY)))
    # What the last concurrent batches left pending, as the service's job folds it.
    await aggregate_pending(database, now=now)
    server_cpu.append(await _backends_cpu(database))
    await database.dispose()
    return accepted


async def _touch(database: Database) -> None:
    async with database.session() as session:
        await session.execute(sql("SELECT pg_sleep(0.2)"))


def _process_share(
    url: str, workspace_id: UUID, items: list[dict[str, Any]], start: Any
) -> tuple[int, float, float]:
    """One worker process's share: accepted, its CPU seconds, its backends' CPU seconds."""
    ready, go = start
    _warm_up(items[0]["text"])
    ready.put(True)
    go.wait()
    server_cpu: list[float] = []
    cpu = time.process_time()
    accepted = asyncio.run(_ingest_share(url, workspace_id, items, server_cpu))
    return accepted, time.process_time() - cpu, sum(server_cpu)


async def ingest_speed() -> dict[str, Any]:
    async with fresh_postgres_database("bench") as url:
        database = Database(url, pool_size=2)
        await upgrade(database, DEFINITION.migrations)
        workspace_id = uuid4()
        async with database.session() as session, session.begin():
            for rule in RULES:
                await create_rule(session, workspace_id=workspace_id, data=rule)
        items = _mention_items(INGEST_MENTIONS, datetime.now(UTC))
        shares = [items[i::INGEST_PROCESSES] for i in range(INGEST_PROCESSES)]
        server_cpu: list[float] = []
        if INGEST_PROCESSES == 1:
            _warm_up(items[0]["text"])
            wall, cpu = time.perf_counter(), time.process_time()
            accepted = await _ingest_share(url, workspace_id, items, server_cpu)
            wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        else:
            context = multiprocessing.get_context("spawn")
            manager = context.Manager()
            start, ready = manager.Event(), manager.Queue()
            with ProcessPoolExecutor(INGEST_PROCESSES, mp_context=context) as pool:
                futures = [
                    pool.submit(_process_share, url, workspace_id, share, (ready, start))
                    for share in shares
                ]
                for _ in shares:  # every worker has imported everything and loaded the model
                    await asyncio.to_thread(ready.get)
                wall = time.perf_counter()
                start.set()
                shares_done = [f.result() for f in futures]
                wall = time.perf_counter() - wall
                accepted = sum(done[0] for done in shares_done)
                cpu = sum(done[1] for done in shares_done)
                server_cpu = [done[2] for done in shares_done]
        async with database.session() as session:
            buckets = (await session.execute(sql("SELECT count(*) FROM keyword_buckets"))).one()
            outbox = (await session.execute(sql("SELECT count(*) FROM outbox"))).one()
            pending = (await session.execute(sql("SELECT count(*) FROM pending_increments"))).one()
        await database.dispose()
    server = sum(server_cpu) if server_cpu else float("nan")
    per_mention = (cpu + server) / len(items)
    return {
        "mentions": len(items),
        "accepted": accepted,
        "batch": INGEST_BATCH,
        "batches_in_flight_per_process": INGEST_CONCURRENCY,
        "processes": INGEST_PROCESSES,
        "rules": len(RULES),
        "keyword_buckets": buckets[0],
        "outbox_events": outbox[0],
        "increments_left_pending": pending[0],
        "seconds": round(wall, 2),
        "mentions_per_second_wall": round(len(items) / wall),
        "client_cpu_seconds": None if cpu != cpu else round(cpu, 2),
        "server_cpu_seconds": None if server != server else round(server, 2),
        "client_cpu_us_per_mention": None if cpu != cpu else round(cpu / len(items) * 1e6),
        "server_cpu_us_per_mention": None if server != server else round(server / len(items) * 1e6),
        # What the two cores could do if both did nothing else: 2 CPU seconds per second over
        # the client's and the server's CPU per mention.
        "cpu_bound_mentions_per_second_2_cores": (
            None if per_mention != per_mention else round(2 / per_mention)
        ),
        "reference_loop_cpu_seconds": _reference_seconds(),
        "load_average_1min_at_end": os.getloadavg()[0],
    }


def main() -> None:
    if os.environ.get("BENCH_ONLY") == "ingest":
        report = json.loads(RESULTS.read_text("utf-8")) if RESULTS.exists() else {}
        report["ingest_postgresql"] = asyncio.run(ingest_speed())
    else:
        report = {
            "machine": {"python": platform.python_version(), "cpus": os.cpu_count()},
            "sentiment": sentiment_quality(),
            "speed": speed(),
            "nab": nab() if NAB_DIR.exists() else None,
            "ingest_postgresql": asyncio.run(ingest_speed()),
        }
    print(json.dumps(report, indent=2, ensure_ascii=False))
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n", "utf-8")
    ingest = report["ingest_postgresql"]
    print(
        f"ingest: {ingest['mentions_per_second_wall']:,} mentions/s wall (target 5,000); CPU per "
        f"mention: client {ingest['client_cpu_us_per_mention']} µs + PostgreSQL "
        f"{ingest['server_cpu_us_per_mention']} µs, i.e. "
        f"{ingest['cpu_bound_mentions_per_second_2_cores']:,}/s if 2 cores did only this; "
        f"load average {ingest['load_average_1min_at_end']:.1f}; reference loop "
        f"{ingest['reference_loop_cpu_seconds']} s"
    )


if __name__ == "__main__":
    main()
