"""rate-limit sizes per workspace and per API key, set through the API

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "workspace_rate_limits",
        sa.Column("workspace_id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("per_second", sa.Float(), nullable=False),
        sa.Column("burst", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_by", sa.Uuid(), nullable=True),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["tenant_workspaces.id"],
            name=op.f("fk_workspace_rate_limits_workspace_id_tenant_workspaces"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["updated_by"],
            ["users.id"],
            name=op.f("fk_workspace_rate_limits_updated_by_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("workspace_id", "kind", name=op.f("pk_workspace_rate_limits")),
    )
    op.create_table(
        "api_key_rate_limits",
        sa.Column("api_key_id", sa.Uuid(), nullable=False),
        sa.Column("per_second", sa.Float(), nullable=False),
        sa.Column("burst", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_by", sa.Uuid(), nullable=True),
        sa.ForeignKeyConstraint(
            ["api_key_id"],
            ["api_keys.id"],
            name=op.f("fk_api_key_rate_limits_api_key_id_api_keys"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["updated_by"],
            ["users.id"],
            name=op.f("fk_api_key_rate_limits_updated_by_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("api_key_id", name=op.f("pk_api_key_rate_limits")),
    )


def downgrade() -> None:
    op.drop_table("api_key_rate_limits")
    op.drop_table("workspace_rate_limits")
