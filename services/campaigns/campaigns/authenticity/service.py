"""Storing what authenticity is judged from, and judging: a creator (each of its platform
accounts; the worst one decides), or one post (a creator's or the brand's own)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from campaigns.authenticity import analysis
from campaigns.authenticity.models import (
    AuthenticityReport,
    FollowerCountRow,
    PostComment,
    TrackedPost,
)
from campaigns.authenticity.schemas import FollowersIn, PostIn, StoredOut
from campaigns.clock import utcnow
from campaigns.creators.models import Creator
from campaigns.errors import naming
from yunying_shared.db import sql_dialect
from yunying_shared.errors import Conflict, NotFound


async def store_followers(
    session: AsyncSession, *, workspace_id: UUID, creator: Creator, data: FollowersIn
) -> StoredOut:
    insert = sql_dialect(session).insert(FollowerCountRow.__table__)
    rows = {
        p.day: {
            "workspace_id": workspace_id,
            "creator_id": creator.id,
            "platform": data.platform,
            "day": p.day,
            "followers": p.followers,
        }
        for p in data.points
    }
    await session.execute(
        insert.on_conflict_do_update(
            index_elements=["workspace_id", "creator_id", "platform", "day"],
            set_={"followers": insert.excluded.followers},
        ),
        list(rows.values()),
    )
    return StoredOut(points=len(rows))


async def store_posts(
    session: AsyncSession,
    *,
    workspace_id: UUID,
    creator: Creator | None,
    posts: Sequence[PostIn],
) -> StoredOut:
    """Upserts each post's metrics (a later snapshot replaces the earlier) and adds its new
    comments. A post id already tracked for another owner is a 409 naming it."""
    dialect = sql_dialect(session)
    now = utcnow()
    stored = StoredOut()
    for index, post in enumerate(posts):
        values = {
            "workspace_id": workspace_id,
            "owner": "creator" if creator else "brand",
            "creator_id": creator.id if creator else None,
            "platform": post.platform,
            "post_id": post.post_id,
            "posted_at": post.posted_at,
            "views": post.views,
            "likes": post.likes,
            "comments": post.comments,
            "shares": post.shares,
            "followers": post.followers,
            "updated_at": now,
        }
        existing = await session.scalar(
            select(TrackedPost).where(
                TrackedPost.workspace_id == workspace_id,
                TrackedPost.platform == post.platform,
                TrackedPost.post_id == post.post_id,
            )
        )
        if existing is None:
            existing = TrackedPost(**values)
            session.add(existing)
            await session.flush()
        else:
            if (existing.creator_id, existing.owner) != (values["creator_id"], values["owner"]):
                raise naming(
                    Conflict,
                    f"body.posts.{index}.post_id",
                    f"Post {post.post_id!r} on {post.platform} is tracked for another owner.",
                )
            for name, value in values.items():
                setattr(existing, name, value)
        stored.posts += 1
        if post.comment_samples:
            comments = {
                c.comment_id: {
                    "post_ref": existing.id,
                    "comment_id": c.comment_id,
                    "author_id": c.author_id,
                    "author_created_at": c.author_created_at,
                    "text": c.text,
                    "commented_at": c.at,
                }
                for c in post.comment_samples
            }
            result = await session.execute(
                dialect.insert(PostComment.__table__)
                .on_conflict_do_nothing(index_elements=["post_ref", "comment_id"])
                .returning(PostComment.__table__.c.id),
                list(comments.values()),
            )
            stored.comments += len(result.all())
    await session.flush()
    return stored


def _post_metrics(post: TrackedPost) -> analysis.PostMetrics:
    return analysis.PostMetrics(
        post_id=post.post_id,
        posted_at=post.posted_at,
        likes=post.likes,
        comments=post.comments,
        shares=post.shares,
        followers=post.followers,
    )


async def _comments_of(
    session: AsyncSession, posts: Sequence[TrackedPost]
) -> list[analysis.CommentRecord]:
    if not posts:
        return []
    ids = {p.id: p.post_id for p in posts}
    rows = await session.execute(
        select(
            PostComment.post_ref,
            PostComment.author_id,
            PostComment.text,
            PostComment.commented_at,
            PostComment.author_created_at,
        ).where(PostComment.post_ref.in_(list(ids)))
    )
    return [
        analysis.CommentRecord(
            post_id=ids[ref], author_id=author, text=text, at=at, author_created_at=created
        )
        for ref, author, text, at, created in rows
    ]


def _findings(report: analysis.Report, platform: str | None) -> list[dict[str, Any]]:
    return [
        {
            "code": f.code,
            "penalty": f.penalty,
            "message": f.message,
            "evidence": f.evidence,
            "platform": platform,
        }
        for f in report.findings
    ]


async def _save(
    session: AsyncSession,
    *,
    workspace_id: UUID,
    subject: str,
    subject_id: str,
    score: float,
    verdict: str,
    findings: list[dict[str, Any]],
    checked: list[str],
    now: datetime,
) -> AuthenticityReport:
    report = AuthenticityReport(
        workspace_id=workspace_id,
        subject=subject,
        subject_id=subject_id,
        score=score,
        verdict=verdict,
        findings=findings,
        checked=checked,
        checked_at=now,
    )
    session.add(report)
    await session.flush()
    return report


async def check_creator(
    session: AsyncSession, *, workspace_id: UUID, creator: Creator
) -> AuthenticityReport:
    """Each platform account judged on its own series; the creator's score is the lowest, its
    findings all of them (each naming its platform). Stored, and kept on the creator."""
    counts = await session.scalars(
        select(FollowerCountRow).where(
            FollowerCountRow.workspace_id == workspace_id,
            FollowerCountRow.creator_id == creator.id,
        )
    )
    posts = list(
        await session.scalars(
            select(TrackedPost).where(
                TrackedPost.workspace_id == workspace_id, TrackedPost.creator_id == creator.id
            )
        )
    )
    followers_by_platform: dict[str, list[analysis.FollowerCount]] = defaultdict(list)
    for row in counts:
        followers_by_platform[row.platform].append(analysis.FollowerCount(row.day, row.followers))
    posts_by_platform: dict[str, list[TrackedPost]] = defaultdict(list)
    for post in posts:
        posts_by_platform[post.platform].append(post)
    now = utcnow()
    score, verdict = 0.0, "insufficient_data"
    findings: list[dict[str, Any]] = []
    checked: set[str] = set()
    judged = False
    for platform in sorted(set(followers_by_platform) | set(posts_by_platform)):
        subject = analysis.Subject(
            tier=creator.tier,
            followers=followers_by_platform.get(platform, []),
            posts=[_post_metrics(p) for p in posts_by_platform.get(platform, [])],
            comments=await _comments_of(session, posts_by_platform.get(platform, [])),
        )
        report = analysis.analyse(subject)
        if report.verdict == "insufficient_data":
            continue
        findings += _findings(report, platform)
        checked.update(f"{platform}:{c}" for c in report.checked)
        if not judged or report.score < score:
            score = report.score
        judged = True
    if judged:
        verdict = "suspicious" if score < analysis.SUSPICIOUS_BELOW else "clean"
    saved = await _save(
        session,
        workspace_id=workspace_id,
        subject="creator",
        subject_id=str(creator.id),
        score=score,
        verdict=verdict,
        findings=findings,
        checked=sorted(checked),
        now=now,
    )
    creator.authenticity_score = score if judged else None
    creator.authenticity_verdict = verdict
    creator.authenticity_checked_at = now
    creator.updated_at = now  # a new verdict is a new registry version (ranking pools)
    await session.flush()
    return saved


async def check_post(
    session: AsyncSession, *, workspace_id: UUID, platform: str, post_id: str
) -> AuthenticityReport:
    post = await session.scalar(
        select(TrackedPost).where(
            TrackedPost.workspace_id == workspace_id,
            TrackedPost.platform == platform,
            TrackedPost.post_id == post_id,
        )
    )
    if post is None:
        raise naming(NotFound, "post_id", f"No tracked post {post_id!r} on {platform}.")
    tier = None
    followers: list[analysis.FollowerCount] = []
    if post.creator_id is not None:
        creator = await session.get(Creator, post.creator_id)
        tier = creator.tier if creator else None
        rows = await session.scalars(
            select(FollowerCountRow).where(
                FollowerCountRow.workspace_id == workspace_id,
                FollowerCountRow.creator_id == post.creator_id,
                FollowerCountRow.platform == platform,
            )
        )
        followers = [analysis.FollowerCount(r.day, r.followers) for r in rows]
    subject = analysis.Subject(
        tier=tier,
        followers=followers,
        posts=[_post_metrics(post)],
        comments=await _comments_of(session, [post]),
        min_posts=1,
    )
    report = analysis.analyse(subject)
    return await _save(
        session,
        workspace_id=workspace_id,
        subject="post",
        subject_id=f"{platform}:{post_id}",
        score=report.score,
        verdict=report.verdict,
        findings=_findings(report, platform),
        checked=report.checked,
        now=utcnow(),
    )


async def latest_report(
    session: AsyncSession, *, workspace_id: UUID, subject: str, subject_id: str
) -> AuthenticityReport:
    report = await session.scalar(
        select(AuthenticityReport)
        .where(
            AuthenticityReport.workspace_id == workspace_id,
            AuthenticityReport.subject == subject,
            AuthenticityReport.subject_id == subject_id,
        )
        .order_by(AuthenticityReport.id.desc())
        .limit(1)
    )
    if report is None:
        raise naming(NotFound, "subject_id", f"No authenticity check of {subject_id} yet.")
    return report
