"""profiles, raw user events, stage changes, tags and tag rules, per-workspace settings

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-26 08:10:13.849494
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
        "profiles",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("workspace_id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.String(length=128), nullable=False),
        sa.Column("gender", sa.String(length=16), nullable=True),
        sa.Column("age_band", sa.String(length=16), nullable=True),
        sa.Column("region", sa.String(length=64), nullable=True),
        sa.Column("identities", sa.JSON(), nullable=False),
        sa.Column("extra", sa.JSON(), nullable=False),
        sa.Column("first_seen_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_active_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_login_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("first_purchase_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_purchase_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("order_count", sa.Integer(), nullable=False),
        sa.Column("refund_count", sa.Integer(), nullable=False),
        sa.Column("monetary_total", sa.Numeric(precision=18, scale=2), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("referred_by", sa.String(length=128), nullable=True),
        sa.Column("source_campaign", sa.String(length=128), nullable=True),
        sa.Column("stage", sa.String(length=16), nullable=False),
        sa.Column("tier", sa.String(length=32), nullable=True),
        sa.Column("r_score", sa.SmallInteger(), nullable=True),
        sa.Column("f_score", sa.SmallInteger(), nullable=True),
        sa.Column("m_score", sa.SmallInteger(), nullable=True),
        sa.Column("rfm_class", sa.String(length=16), nullable=True),
        sa.Column("rfm_segment", sa.String(length=32), nullable=True),
        sa.Column("churn_reason", sa.String(length=64), nullable=True),
        sa.Column("complaint_reasons", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_profiles")),
        sa.UniqueConstraint(
            "workspace_id", "user_id", name=op.f("uq_profiles_workspace_id_user_id")
        ),
    )
    with op.batch_alter_table("profiles", schema=None) as batch_op:
        batch_op.create_index(
            "ix_profiles_workspace_stage", ["workspace_id", "stage"], unique=False
        )
        batch_op.create_index("ix_profiles_workspace_tier", ["workspace_id", "tier"], unique=False)

    op.create_table(
        "segmentation_settings",
        sa.Column("workspace_id", sa.Uuid(), nullable=False),
        sa.Column("rfm_window_days", sa.Integer(), nullable=True),
        sa.Column("custom_edges", sa.JSON(), nullable=False),
        sa.Column("lifecycle_rules", sa.JSON(), nullable=False),
        sa.Column("last_edges", sa.JSON(), nullable=False),
        sa.Column("last_scored_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("workspace_id", name=op.f("pk_segmentation_settings")),
    )
    op.create_table(
        "stage_changes",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("workspace_id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.String(length=128), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("from_value", sa.String(length=32), nullable=True),
        sa.Column("to_value", sa.String(length=32), nullable=True),
        sa.Column("reason", sa.String(length=200), nullable=False),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_stage_changes")),
    )
    with op.batch_alter_table("stage_changes", schema=None) as batch_op:
        batch_op.create_index(
            "ix_stage_changes_user", ["workspace_id", "user_id", "changed_at"], unique=False
        )
        batch_op.create_index(
            "ix_stage_changes_workspace_time", ["workspace_id", "changed_at"], unique=False
        )

    op.create_table(
        "tag_rules",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("workspace_id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("event_type", sa.String(length=64), nullable=False),
        sa.Column("match_properties", sa.JSON(), nullable=False),
        sa.Column("tag", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("confidence", sa.Double(), nullable=False),
        sa.Column("ttl_days", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tag_rules")),
    )
    with op.batch_alter_table("tag_rules", schema=None) as batch_op:
        batch_op.create_index(
            "ix_tag_rules_workspace_event_type", ["workspace_id", "event_type"], unique=False
        )

    op.create_table(
        "user_events",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("workspace_id", sa.Uuid(), nullable=False),
        sa.Column("event_id", sa.String(length=128), nullable=False),
        sa.Column("user_id", sa.String(length=128), nullable=False),
        sa.Column("type", sa.String(length=64), nullable=False),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("amount", sa.Numeric(precision=18, scale=2), nullable=True),
        sa.Column("currency", sa.String(length=3), nullable=True),
        sa.Column("order_id", sa.String(length=128), nullable=True),
        sa.Column("properties", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_user_events")),
        sa.UniqueConstraint(
            "workspace_id", "event_id", name=op.f("uq_user_events_workspace_id_event_id")
        ),
    )
    with op.batch_alter_table("user_events", schema=None) as batch_op:
        batch_op.create_index(
            "ix_user_events_user_type_time",
            ["workspace_id", "user_id", "type", "occurred_at"],
            unique=False,
        )

    op.create_table(
        "user_tags",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("workspace_id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.String(length=128), nullable=False),
        sa.Column("tag", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("confidence", sa.Double(), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_user_tags")),
        sa.UniqueConstraint(
            "workspace_id", "user_id", "tag", name=op.f("uq_user_tags_workspace_id_user_id_tag")
        ),
    )
    with op.batch_alter_table("user_tags", schema=None) as batch_op:
        batch_op.create_index("ix_user_tags_workspace_tag", ["workspace_id", "tag"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("user_tags", schema=None) as batch_op:
        batch_op.drop_index("ix_user_tags_workspace_tag")

    op.drop_table("user_tags")
    with op.batch_alter_table("user_events", schema=None) as batch_op:
        batch_op.drop_index("ix_user_events_user_type_time")

    op.drop_table("user_events")
    with op.batch_alter_table("tag_rules", schema=None) as batch_op:
        batch_op.drop_index("ix_tag_rules_workspace_event_type")

    op.drop_table("tag_rules")
    with op.batch_alter_table("stage_changes", schema=None) as batch_op:
        batch_op.drop_index("ix_stage_changes_workspace_time")
        batch_op.drop_index("ix_stage_changes_user")

    op.drop_table("stage_changes")
    op.drop_table("segmentation_settings")
    with op.batch_alter_table("profiles", schema=None) as batch_op:
        batch_op.drop_index("ix_profiles_workspace_tier")
        batch_op.drop_index("ix_profiles_workspace_stage")

    op.drop_table("profiles")
