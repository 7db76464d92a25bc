"""history_import_parts: each part's line count and counters while an import's chunks run split

On PostgreSQL the import command stores each chunk on two connections at once, its rows split
by user between two parts, each part committed on its own transaction with its own line count
here; a resumed import continues each part after its own count. When the chunks are done the
parts' counters are added to the import's row (`history_imports`) and their rows deleted.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-02 03:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "history_import_parts",
        sa.Column("workspace_id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("part", sa.SmallInteger(), nullable=False),
        sa.Column("lines_done", sa.Integer(), nullable=False),
        sa.Column("accepted", sa.Integer(), nullable=False),
        sa.Column("duplicates", sa.Integer(), nullable=False),
        sa.Column("rejected", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint(
            "workspace_id", "name", "part", name=op.f("pk_history_import_parts")
        ),
    )


def downgrade() -> None:
    op.drop_table("history_import_parts")
