"""segment_memberships: primary key (user_id, segment_id), no (workspace_id, user_id) index

Every membership change wrote a row and two index entries, the primary key (segment, user)
and (workspace, user), which only the diff read (a user's stored memberships). Keyed user
first, the primary key is that range itself, so the second index goes: a re-score with 5% of
a million profiles changed, 701,853 membership changes, spent 11.0–13.6 µs of PostgreSQL CPU
per change in the apply instead of 15.8–18.0 (docs/BENCHMARKS.md, #11 session 8). A segment's
members in user order (the export) read the same index, keeping that segment's entries.
Rebuilding the key reads every membership once (8.7 M in 9–17 s at load 7).

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-02 03:30:00.000000
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_TABLE = "segment_memberships"
_KEY = "pk_segment_memberships"
_INDEX = "ix_segment_memberships_workspace_user"


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        with op.batch_alter_table(_TABLE, recreate="always") as batch:
            batch.drop_index(_INDEX)
            batch.drop_constraint(_KEY, type_="primary")
            batch.create_primary_key(_KEY, ["user_id", "segment_id"])
        return
    op.drop_index(_INDEX, table_name=_TABLE)
    op.drop_constraint(_KEY, _TABLE, type_="primary")
    op.create_primary_key(_KEY, _TABLE, ["user_id", "segment_id"])


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        with op.batch_alter_table(_TABLE, recreate="always") as batch:
            batch.drop_constraint(_KEY, type_="primary")
            batch.create_primary_key(_KEY, ["segment_id", "user_id"])
            batch.create_index(_INDEX, ["workspace_id", "user_id"])
        return
    op.drop_constraint(_KEY, _TABLE, type_="primary")
    op.create_primary_key(_KEY, _TABLE, ["segment_id", "user_id"])
    op.create_index(_INDEX, _TABLE, ["workspace_id", "user_id"])
