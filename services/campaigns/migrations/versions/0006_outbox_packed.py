"""outbox.packed: one outbox row may carry many events of one topic (yunying_shared.bus.packed)

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01 05:00:00.000000
"""

from collections.abc import Sequence

from yunying_shared.bus.migrations import add_outbox_packed_v2, drop_outbox_packed_v2

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    add_outbox_packed_v2()


def downgrade() -> None:
    drop_outbox_packed_v2()
