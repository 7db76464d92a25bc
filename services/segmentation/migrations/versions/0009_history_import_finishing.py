"""history_imports.finishing_since: when an import's finishing step began (its re-score committed)

The finishing step derives stage histories on two connections, each part committed on its own;
a resumed finish dates its moves by this time, so the users of a part already committed derive
the same rows again and nothing is published twice.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-01 23:40:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "history_imports",
        sa.Column("finishing_since", sa.DateTime(timezone=True), nullable=True),
    )


def downgrade() -> None:
    op.drop_column("history_imports", "finishing_since")
