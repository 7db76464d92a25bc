"""Engagement authenticity as a pure function: a subject's follower series, post metrics and
comments in; a score from 0 to 100 with the findings behind it out. No I/O, so the evaluation
set (bench/authenticity) and the service call the same code.

Each check looks for one trace that bought engagement leaves:

- `follower_jump`: a day's follower gain far above the account's own robust baseline
  (median + 8 × scaled MAD of daily gains) and above 2 % of its followers, not explained by a
  post that went viral the day before or that day;
- `engagement_inflated` / `engagement_too_low`: the median engagement rate per post against
  its tier's norm (over 4×: bought likes; under 0.2×: bought, inactive followers);
- `likes_without_comments` / `comments_without_likes`: the median like/comment ratio outside
  what real audiences produce (over 150 or under 3);
- `templated_comments`: comments whose normalised text, or its skeleton without digits and
  Latin letters, repeats across three or more authors (short replies such as 好看 excluded);
- `comment_burst`: an hour with far more comments than usual, mostly from accounts created in
  the last 30 days or named on one pattern (user1234, user1235, ...);
- `new_accounts`: a high share of all commenters that are new accounts.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from itertools import pairwise
from typing import Any, Literal

import numpy as np

Verdict = Literal["clean", "suspicious", "insufficient_data"]

# Engagements (likes + comments + shares) per follower per post that real audiences give, by
# tier: larger accounts engage a smaller share of their followers. Rules of thumb for
# Xiaohongshu and Douyin; the same for every workspace for now.
TIER_NORMS: dict[str, float] = {"head": 0.015, "mid": 0.03, "micro": 0.05, "koc": 0.08}
DEFAULT_NORM = 0.04
SUSPICIOUS_BELOW = 75.0  # one strong finding (30+) flags; a weak one (15, 25) alone does not
NEW_ACCOUNT_DAYS = 30
MIN_COMMENT_SKELETON = 4
MIN_COMMENTS = 20


@dataclass(frozen=True)
class FollowerCount:
    day: date
    followers: int


@dataclass(frozen=True)
class PostMetrics:
    post_id: str
    posted_at: datetime
    likes: int
    comments: int
    shares: int = 0
    followers: int | None = None  # at the time of the post, when the platform says


@dataclass(frozen=True)
class CommentRecord:
    post_id: str
    author_id: str
    text: str
    at: datetime
    author_created_at: datetime | None = None


@dataclass(frozen=True)
class Subject:
    tier: str | None
    followers: Sequence[FollowerCount] = ()
    posts: Sequence[PostMetrics] = ()
    comments: Sequence[CommentRecord] = ()
    min_posts: int = 3  # a single post is judged with 1


@dataclass(frozen=True)
class Finding:
    code: str
    penalty: float
    message: str
    evidence: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Report:
    score: float
    verdict: Verdict
    findings: list[Finding]
    checked: list[str]  # the checks that had enough data to run


def analyse(subject: Subject) -> Report:
    findings: list[Finding] = []
    checked: list[str] = []
    for check in (_follower_jumps, _engagement_rate, _like_comment_ratio, _comments):
        ran, found = check(subject)
        checked.extend(ran)
        findings.extend(found)
    if not checked:
        return Report(score=0.0, verdict="insufficient_data", findings=[], checked=[])
    score = max(0.0, 100.0 - sum(f.penalty for f in findings))
    verdict: Verdict = "suspicious" if score < SUSPICIOUS_BELOW else "clean"
    return Report(score=round(score, 1), verdict=verdict, findings=findings, checked=checked)


# Follower series -------------------------------------------------------------------------


def _engagement(post: PostMetrics) -> int:
    return post.likes + post.comments + post.shares


def _viral_days(posts: Sequence[PostMetrics]) -> set[date]:
    """Days a post drew over 4× the median engagement: a follower jump then is explained."""
    if len(posts) < 3:
        return set()
    median = float(np.median([_engagement(p) for p in posts]))
    days: set[date] = set()
    for post in posts:
        if _engagement(post) > 4 * max(median, 1.0):
            day = post.posted_at.date()
            days.update({day, day + timedelta(days=1), day + timedelta(days=2)})
    return days


def _follower_jumps(subject: Subject) -> tuple[list[str], list[Finding]]:
    series = sorted(subject.followers, key=lambda p: p.day)
    if len(series) < 7:
        return [], []
    counts = np.array([p.followers for p in series], dtype=float)
    gaps = np.array([(b.day - a.day).days for a, b in pairwise(series)])
    gains = np.diff(counts) / np.maximum(gaps, 1)
    median = float(np.median(gains))
    mad = float(np.median(np.abs(gains - median)))
    scale = max(1.4826 * mad, 0.002 * float(np.median(counts)), 5.0)
    viral = _viral_days(subject.posts)
    jumps: list[tuple[date, int, float]] = []
    explained: list[tuple[date, int, float]] = []
    for index, gain in enumerate(gains):
        before = counts[index]
        if gain - median > 8 * scale and gain > 0.02 * max(before, 1.0):
            day = series[index + 1].day
            (explained if day in viral else jumps).append((day, int(gain), before))
    if not jumps:
        return ["follower_jump"], []
    total = sum(g for _, g, _ in jumps)
    share = total / max(float(counts[-1]), 1.0)
    penalty = 45.0 if share >= 0.10 else 35.0
    day, gain, before = max(jumps, key=lambda j: j[1])
    message = (
        f"{len(jumps)} day(s) with abnormal follower gains, {total} followers in all "
        f"({share:.0%} of the account); largest +{gain} on {day.isoformat()} "
        f"against a usual {median:+.0f}/day"
    )
    evidence = {
        "days": [d.isoformat() for d, _, _ in jumps],
        "gains": [g for _, g, _ in jumps],
        "usual_daily_gain": round(median, 1),
        "share_of_followers": round(share, 4),
        "explained_by_viral_posts": [d.isoformat() for d, _, _ in explained],
    }
    return ["follower_jump"], [Finding("follower_jump", penalty, message, evidence)]


# Post metrics ----------------------------------------------------------------------------


def _followers_at(subject: Subject, post: PostMetrics) -> int | None:
    if post.followers:
        return post.followers
    before = [p for p in subject.followers if p.day <= post.posted_at.date()]
    if before:
        return max(before, key=lambda p: p.day).followers
    return subject.followers[-1].followers if subject.followers else None


def _engagement_rate(subject: Subject) -> tuple[list[str], list[Finding]]:
    rates = []
    for post in subject.posts:
        followers = _followers_at(subject, post)
        if followers:
            rates.append(_engagement(post) / followers)
    if len(rates) < subject.min_posts or not rates:
        return [], []
    rate = float(np.median(rates))
    norm = TIER_NORMS.get(subject.tier or "", DEFAULT_NORM)
    ratio = rate / norm
    evidence = {"median_rate": round(rate, 5), "tier_norm": norm, "ratio": round(ratio, 2)}
    if ratio > 4:
        message = (
            f"median engagement rate {rate:.2%} is {ratio:.1f}× the {subject.tier or 'usual'} "
            f"norm of {norm:.1%}: engagement bought on top of the audience"
        )
        return ["engagement_rate"], [Finding("engagement_inflated", 30.0, message, evidence)]
    if ratio < 0.2:
        message = (
            f"median engagement rate {rate:.3%} is {ratio:.2f}× the {subject.tier or 'usual'} "
            f"norm of {norm:.1%}: most followers never engage (bought or inactive followers)"
        )
        return ["engagement_rate"], [Finding("engagement_too_low", 30.0, message, evidence)]
    return ["engagement_rate"], []


def _like_comment_ratio(subject: Subject) -> tuple[list[str], list[Finding]]:
    posts = [p for p in subject.posts if p.likes + p.comments > 0]
    if len(posts) < subject.min_posts or not posts:
        return [], []
    ratios = [p.likes / max(p.comments, 1) for p in posts]
    ratio = float(np.median(ratios))
    evidence = {"median_likes_per_comment": round(ratio, 1), "posts": len(posts)}
    if ratio > 150:
        message = f"{ratio:.0f} likes per comment (real audiences: about 5 to 150): bought likes"
        return ["like_comment_ratio"], [Finding("likes_without_comments", 25.0, message, evidence)]
    if ratio < 3:
        message = f"{ratio:.1f} likes per comment (real audiences: about 5 to 150): bought comments"
        return ["like_comment_ratio"], [Finding("comments_without_likes", 25.0, message, evidence)]
    return ["like_comment_ratio"], []


# Comments --------------------------------------------------------------------------------

_NOT_WORD = re.compile(r"[^\w]+", re.UNICODE)
_DIGITS_AND_LATIN = re.compile(r"[0-9a-z_]+")
_DIGITS = re.compile(r"\d+")


def normalised_comment(text: str) -> str:
    """NFKC, lower case, without spaces, punctuation and emoji."""
    return _NOT_WORD.sub("", unicodedata.normalize("NFKC", text).lower())


def comment_skeleton(text: str) -> str:
    """The comment without digits and Latin letters: what a template leaves when a bot varies
    a number or a product code in it."""
    return _DIGITS_AND_LATIN.sub("", normalised_comment(text))


def name_pattern(author_id: str) -> str:
    return _DIGITS.sub("#", author_id.lower())


def _templated(comments: Sequence[CommentRecord]) -> tuple[int, list[str]]:
    """How many comments belong to a text or skeleton that three or more authors repeat."""
    by_key: dict[str, set[int]] = defaultdict(set)
    authors: dict[str, set[str]] = defaultdict(set)
    for index, comment in enumerate(comments):
        for key in {normalised_comment(comment.text), comment_skeleton(comment.text)}:
            if len(key) >= MIN_COMMENT_SKELETON:
                by_key[key].add(index)
                authors[key].add(comment.author_id)
    flagged: set[int] = set()
    examples: list[str] = []
    for key, members in sorted(by_key.items(), key=lambda kv: -len(kv[1])):
        if len(authors[key]) >= 3:
            if not members <= flagged and len(examples) < 3:
                examples.append(comments[min(members)].text[:60])
            flagged |= members
    return len(flagged), examples


def _is_new(comment: CommentRecord) -> bool:
    created = comment.author_created_at
    return created is not None and comment.at - created < timedelta(days=NEW_ACCOUNT_DAYS)


def _bursts(comments: Sequence[CommentRecord]) -> list[Finding]:
    by_hour: dict[datetime, list[CommentRecord]] = defaultdict(list)
    for comment in comments:
        by_hour[comment.at.replace(minute=0, second=0, microsecond=0)].append(comment)
    usual = float(np.median([len(v) for v in by_hour.values()]))
    patterns = Counter(name_pattern(c.author_id) for c in comments)
    findings = []
    for hour, members in sorted(by_hour.items()):
        if len(members) < max(10.0, 5 * usual):
            continue
        odd = [
            c
            for c in members
            if _is_new(c)
            or ("#" in name_pattern(c.author_id) and patterns[name_pattern(c.author_id)] >= 5)
        ]
        share = len(odd) / len(members)
        if share >= 0.5:
            message = (
                f"{len(members)} comments in the hour from {hour.isoformat()} (usually "
                f"{usual:.0f}); {share:.0%} from new or look-alike accounts"
            )
            evidence = {
                "hour": hour.isoformat(),
                "comments": len(members),
                "usual_per_hour": usual,
                "new_or_similar_share": round(share, 3),
            }
            findings.append(Finding("comment_burst", 35.0, message, evidence))
    return findings[:1] if findings else []


def _comments(subject: Subject) -> tuple[list[str], list[Finding]]:
    comments = list(subject.comments)
    if len(comments) < MIN_COMMENTS:
        return [], []
    findings: list[Finding] = []
    templated, examples = _templated(comments)
    share = templated / len(comments)
    if share >= 0.25:
        message = (
            f"{templated} of {len(comments)} comments ({share:.0%}) repeat one text or template "
            "across three or more accounts"
        )
        evidence = {"templated": templated, "comments": len(comments), "examples": examples}
        findings.append(
            Finding("templated_comments", 45.0 if share >= 0.5 else 35.0, message, evidence)
        )
    findings.extend(_bursts(comments))
    dated = [c for c in comments if c.author_created_at is not None]
    if len(dated) >= MIN_COMMENTS:
        new_share = sum(_is_new(c) for c in dated) / len(dated)
        if new_share >= 0.4:
            message = (
                f"{new_share:.0%} of commenters' accounts are under {NEW_ACCOUNT_DAYS} days old"
            )
            evidence = {"new_account_share": round(new_share, 3), "with_creation_date": len(dated)}
            findings.append(Finding("new_accounts", 15.0, message, evidence))
    return ["comments"], findings
