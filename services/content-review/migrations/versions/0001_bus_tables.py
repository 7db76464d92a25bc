"""bus tables: outbox, inbox, workspaces

Revision ID: 0001
Revises:
Create Date: 2026-11-26
"""

from yunying_shared.bus.migrations import create_bus_tables_v1, drop_bus_tables_v1

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    create_bus_tables_v1()


def downgrade() -> None:
    drop_bus_tables_v1()
