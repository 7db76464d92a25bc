"""audit entries and login sessions (existing refresh-token families become sessions)

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-30
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "audit_entries",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("workspace_id", sa.Uuid(), nullable=True),
        sa.Column("actor_id", sa.Uuid(), nullable=True),
        sa.Column("actor_email", sa.String(length=320), nullable=True),
        sa.Column("action", sa.String(length=64), nullable=False),
        sa.Column("outcome", sa.String(length=16), nullable=False),
        sa.Column("target_type", sa.String(length=32), nullable=True),
        sa.Column("target_id", sa.String(length=128), nullable=True),
        sa.Column("address", sa.String(length=100), nullable=True),
        sa.Column("correlation_id", sa.String(length=128), nullable=True),
        sa.Column("detail", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_entries")),
    )
    op.create_index(
        "ix_audit_entries_workspace_time",
        "audit_entries",
        ["workspace_id", "occurred_at", "id"],
    )
    op.create_index("ix_audit_entries_actor_time", "audit_entries", ["actor_id", "occurred_at"])
    op.create_index("ix_audit_entries_time", "audit_entries", ["occurred_at", "id"])
    op.create_table(
        "login_sessions",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_used_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("user_agent", sa.String(length=300), nullable=True),
        sa.Column("address", sa.String(length=100), nullable=True),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked_reason", sa.String(length=32), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_login_sessions_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_login_sessions")),
    )
    op.create_index(op.f("ix_login_sessions_user_id"), "login_sessions", ["user_id"])
    # Logins made before sessions existed: each live refresh-token family is a session.
    op.execute(
        "INSERT INTO login_sessions (id, user_id, created_at, last_used_at, expires_at) "
        "SELECT family_id, user_id, MIN(created_at), MAX(created_at), MAX(expires_at) "
        "FROM refresh_tokens WHERE revoked_at IS NULL GROUP BY family_id, user_id"
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_login_sessions_user_id"), table_name="login_sessions")
    op.drop_table("login_sessions")
    op.drop_index("ix_audit_entries_time", table_name="audit_entries")
    op.drop_index("ix_audit_entries_actor_time", table_name="audit_entries")
    op.drop_index("ix_audit_entries_workspace_time", table_name="audit_entries")
    op.drop_table("audit_entries")
