"""After a write, once per transaction: the users it touched are re-staged, tagged by the
workspace's tag rules, and re-evaluated against its live segments — in that order, because a
stage and a tag are what segment rules read.

Every write that changes what a user looks like (an ingested batch, a profile patch, feedback or
a referral from another service, a tag set by hand or imported, a re-score) ends with one
`after_write` naming what it touched, instead of calling each step itself.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from segmentation.afterwrite.tag_rules import TaggableEvent, apply_tag_rules
from segmentation.clock import as_utc
from segmentation.lifecycle.late import MONEY_TYPES, activity_cannot_move, only_new_so_far
from segmentation.lifecycle.rederive import Replay, crowded, rederive
from segmentation.lifecycle.rules import LifecycleRules
from segmentation.lifecycle.service import ProfileState, restage
from segmentation.segments.membership import Changes, refresh_memberships
from segmentation.settings.service import get_settings

__all__ = ["Touched", "after_write"]


@dataclass(frozen=True)
class Touched:
    """What one transaction changed, by kind of after-work it needs."""

    # profiles whose aggregates changed (as written): their stage is evaluated again
    profiles: Sequence[ProfileState] = ()
    # newly accepted events: the workspace's tag rules may tag their users
    events: Sequence[TaggableEvent] = ()
    # any other user whose attributes, tags or scores changed
    users: Iterable[str] = ()
    # per user of `profiles`, the earliest newly accepted event: older than the workspace's
    # `history_after_hours`, it makes that user's stage history derived by event time
    earliest: Mapping[str, datetime] = field(default_factory=dict)

    def user_ids(self) -> set[str]:
        return {
            *(p.user_id for p in self.profiles),
            *(e.user_id for e in self.events),
            *self.users,
        }


async def after_write(
    session: AsyncSession,
    *,
    workspace_id: UUID,
    touched: Touched,
    now: datetime | None = None,
) -> Changes:
    """Restage, tag and refresh memberships for what the transaction touched; returns the
    membership changes. Call it once, after the transaction's writes."""
    if touched.profiles:
        assert now is not None, "re-staging is evaluated as of the write's time"
        settings = await get_settings(session, workspace_id=workspace_id)
        rules = LifecycleRules.model_validate(settings.lifecycle_rules)
        cutoff = now - timedelta(hours=rules.history_after_hours)
        late = {user for user, at in touched.earliest.items() if at < cutoff}
        if late:
            late -= _unmovable(touched, late, rules, settings.rfm_window_days, now)
        if late:
            late -= await crowded(session, workspace_id=workspace_id, user_ids=sorted(late))
        # The current stage is today's rules as of now for everyone; the late users' moves
        # are then told by event time instead of as one move dated now.
        moves = await restage(
            session,
            workspace_id=workspace_id,
            rules=rules,
            profiles=touched.profiles,
            now=now,
            quiet=frozenset(late),
        )
        if late:
            moved = {t.user_id: t.to_value for t in moves}
            current = {
                p.user_id: moved.get(p.user_id) or p.stage
                for p in touched.profiles
                if p.user_id in late
            }
            await rederive(
                session,
                workspace_id=workspace_id,
                current=current,
                replay=Replay(rules, settings.last_edges or None, settings.rfm_window_days, now),
                only_new=_only_new(touched, late, rules, now),
            )
    if touched.events:
        assert now is not None, "tag expiry counts from the events, stored as of the write"
        await apply_tag_rules(session, workspace_id=workspace_id, events=touched.events, now=now)
    return await refresh_memberships(
        session, workspace_id=workspace_id, user_ids=touched.user_ids(), now=now
    )


def _unmovable(
    touched: Touched,
    late: set[str],
    rules: LifecycleRules,
    window_days: int | None,
    now: datetime,
) -> set[str]:
    """Of the late users, those whose new events are activity that cannot change their past
    (lifecycle.late): they are re-staged like users of timely events."""
    money = {e.user_id for e in touched.events if e.type in MONEY_TYPES}
    return {
        p.user_id
        for p in touched.profiles
        if p.user_id in late
        and p.user_id not in money
        and activity_cannot_move(
            first_purchase_at=as_utc(p.first_purchase_at),
            last_purchase_at=as_utc(p.last_purchase_at),
            rules=rules,
            window_days=window_days,
            now=now,
        )
    }


def _only_new(
    touched: Touched, late: set[str], rules: LifecycleRules, now: datetime
) -> dict[str, tuple[datetime, datetime]]:
    """Of the late users, those whose derived history is one move to new (lifecycle.late), with
    their first and last purchase times: `rederive` replays those two instead of their events."""
    found: dict[str, tuple[datetime, datetime]] = {}
    for p in touched.profiles:
        if p.user_id not in late:
            continue
        first, last = as_utc(p.first_purchase_at), as_utc(p.last_purchase_at)
        if (
            first is not None
            and last is not None
            and only_new_so_far(
                first_purchase_at=first, last_purchase_at=last, rules=rules, now=now
            )
        ):
            found[p.user_id] = (first, last)
    return found
