"""segment_days: each segment's size and entered/exited counts per day (UTC)

Every membership write appends its counts to segment_day_changes (no row shared between
writers); the sweep loop folds them into segment_days (segments/days.py), so dashboards chart
sizes and flows without counting memberships. Existing segments start with today's row holding
their current size.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-30 23:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "segment_days",
        sa.Column("segment_id", sa.Uuid(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("workspace_id", sa.Uuid(), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("entered", sa.Integer(), nullable=False),
        sa.Column("exited", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["segment_id"],
            ["segments.id"],
            name=op.f("fk_segment_days_segment_id_segments"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("segment_id", "day", name=op.f("pk_segment_days")),
    )
    op.create_table(
        "segment_day_changes",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("segment_id", sa.Uuid(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("workspace_id", sa.Uuid(), nullable=False),
        sa.Column("entered", sa.Integer(), nullable=False),
        sa.Column("exited", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["segment_id"],
            ["segments.id"],
            name=op.f("fk_segment_day_changes_segment_id_segments"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_segment_day_changes")),
    )
    with op.batch_alter_table("segment_day_changes", schema=None) as batch_op:
        batch_op.create_index("ix_segment_day_changes_segment", ["segment_id"], unique=False)
    today = (
        "(now() AT TIME ZONE 'UTC')::date"
        if op.get_bind().dialect.name == "postgresql"
        else "date('now')"
    )
    op.execute(
        "INSERT INTO segment_days (segment_id, day, workspace_id, size, entered, exited) "
        f"SELECT segment_id, {today}, workspace_id, count(*), 0, 0 "
        "FROM segment_memberships GROUP BY segment_id, workspace_id"
    )


def downgrade() -> None:
    op.drop_table("segment_day_changes")
    op.drop_table("segment_days")
