"""api_tokens.expires_at: a token works API_TOKEN_DAYS after it is created or renewed

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-05

Tokens never expired (security review, finding 6). Tokens issued before this release get 90 days from the
upgrade (the default API_TOKEN_DAYS), so no integration stops at once; their owners renew them on the
account page.
"""
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("api_tokens", schema=None) as batch_op:
        batch_op.add_column(sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True))
    op.get_bind().execute(sa.text("UPDATE api_tokens SET expires_at = :at"),
                          {"at": datetime.now(UTC) + timedelta(days=90)})
    with op.batch_alter_table("api_tokens", schema=None) as batch_op:
        batch_op.alter_column("expires_at", existing_type=sa.DateTime(timezone=True), nullable=False)


def downgrade():
    with op.batch_alter_table("api_tokens", schema=None) as batch_op:
        batch_op.drop_column("expires_at")
