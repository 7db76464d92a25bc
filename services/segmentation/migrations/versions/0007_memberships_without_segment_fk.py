"""segment_memberships and segment_day_changes: no foreign key to segments on PostgreSQL

Each inserted membership fired the foreign key's check (a lookup of the segment row with a
KEY SHARE lock): `EXPLAIN ANALYZE` of a save filling 499,763 memberships on 1,000,000 profiles
spent 16.0 of 90 s in that trigger (load 16), and a first scoring inserts millions. Writers
only ever insert memberships of a segment they have just read in the same transaction, and
deleting a segment deletes its memberships and pending day counts itself
(segments/service.py), so the check guarded nothing the service does not. `segment_days`
keeps its foreign key (one row per segment and day). SQLite drops them too (a batch rebuild of
the two tables), so both databases match the models.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01 02:20:00.000000
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_FOREIGN_KEYS = (
    ("segment_memberships", "fk_segment_memberships_segment_id_segments"),
    ("segment_day_changes", "fk_segment_day_changes_segment_id_segments"),
)


def upgrade() -> None:
    for table, name in _FOREIGN_KEYS:
        if op.get_bind().dialect.name == "sqlite":
            with op.batch_alter_table(table, recreate="always") as batch:
                batch.drop_constraint(name, type_="foreignkey")
        else:
            op.drop_constraint(name, table, type_="foreignkey")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for table, name in _FOREIGN_KEYS:
            op.execute(f"DELETE FROM {table} WHERE segment_id NOT IN (SELECT id FROM segments)")
            op.create_foreign_key(
                name, table, "segments", ["segment_id"], ["id"], ondelete="CASCADE"
            )
