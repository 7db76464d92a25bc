"""profiles.imported_at: the start of the last history import that stored events of the user

A history import's chunks stamp the profiles they fold events into with the import's start
(the `received_at` of its events), so the finishing step reads the imported users from the
workspace's profiles instead of a DISTINCT over every event the import stored (4.7 s of a 1M
import's finish, docs/BENCHMARKS.md #10 session 9). The profile row is written by the chunk
anyway; the column is not indexed, so the update stays HOT.

Imports not finished when this runs get their users stamped here, from their events, so a
resumed import still finds the users of the chunks stored before the upgrade.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-02 12:10:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("profiles", sa.Column("imported_at", sa.DateTime(timezone=True), nullable=True))
    op.execute(
        """
        UPDATE profiles SET imported_at = (
            SELECT h.started_at FROM history_imports h
            WHERE h.workspace_id = profiles.workspace_id AND h.finished_at IS NULL
              AND EXISTS (SELECT 1 FROM user_events e
                          WHERE e.workspace_id = h.workspace_id
                            AND e.user_id = profiles.user_id
                            AND e.received_at = h.started_at)
            ORDER BY h.started_at DESC LIMIT 1)
        WHERE EXISTS (SELECT 1 FROM history_imports h
                      WHERE h.workspace_id = profiles.workspace_id AND h.finished_at IS NULL)
        """
    )


def downgrade() -> None:
    op.drop_column("profiles", "imported_at")
