"""coupon templates and coupons

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-30 19:24:08.185179
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "coupon_templates",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("workspace_id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("amount_off", sa.Numeric(precision=18, scale=2), nullable=True),
        sa.Column("discount_percent", sa.Integer(), nullable=True),
        sa.Column("threshold_amount", sa.Numeric(precision=18, scale=2), nullable=True),
        sa.Column("free_item", sa.String(length=200), nullable=True),
        sa.Column("unit_cost", sa.Numeric(precision=18, scale=2), nullable=False),
        sa.Column("validity_days", sa.Integer(), nullable=False),
        sa.Column("valid_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("per_user_limit", sa.Integer(), nullable=True),
        sa.Column("total_limit", sa.Integer(), nullable=True),
        sa.Column("issued_count", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_coupon_templates")),
        sa.UniqueConstraint(
            "workspace_id", "name", name=op.f("uq_coupon_templates_workspace_id_name")
        ),
    )
    op.create_table(
        "coupons",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("workspace_id", sa.Uuid(), nullable=False),
        sa.Column("template_id", sa.Uuid(), nullable=False),
        sa.Column("campaign_id", sa.Uuid(), nullable=True),
        sa.Column("campaign_key", sa.String(length=36), nullable=False),
        sa.Column("user_id", sa.String(length=128), nullable=False),
        sa.Column("reason", sa.String(length=200), nullable=False),
        sa.Column("code", sa.String(length=16), nullable=False),
        sa.Column("issued_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("redeemed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("redeemed_order_id", sa.String(length=128), nullable=True),
        sa.Column("clawed_back_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("claw_back_reason", sa.String(length=200), nullable=True),
        sa.ForeignKeyConstraint(
            ["template_id"],
            ["coupon_templates.id"],
            name=op.f("fk_coupons_template_id_coupon_templates"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_coupons")),
        sa.UniqueConstraint("code", name=op.f("uq_coupons_code")),
        sa.UniqueConstraint(
            "workspace_id",
            "campaign_key",
            "user_id",
            "reason",
            name=op.f("uq_coupons_workspace_id_campaign_key_user_id_reason"),
        ),
    )
    with op.batch_alter_table("coupons", schema=None) as batch_op:
        batch_op.create_index("ix_coupons_template_user", ["template_id", "user_id"], unique=False)
        batch_op.create_index(
            "ix_coupons_workspace_user", ["workspace_id", "user_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("coupons", schema=None) as batch_op:
        batch_op.drop_index("ix_coupons_workspace_user")
        batch_op.drop_index("ix_coupons_template_user")

    op.drop_table("coupons")
    op.drop_table("coupon_templates")
