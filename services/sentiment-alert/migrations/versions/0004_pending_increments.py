"""Pending bucket increments: batches that found the workspace's buckets being folded

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01 01:50:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "pending_increments",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("workspace_id", sa.Uuid(), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pending_increments")),
    )
    with op.batch_alter_table("pending_increments", schema=None) as batch_op:
        batch_op.create_index(
            "ix_pending_increments_workspace", ["workspace_id", "id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("pending_increments", schema=None) as batch_op:
        batch_op.drop_index("ix_pending_increments_workspace")
    op.drop_table("pending_increments")
