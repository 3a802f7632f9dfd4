"""open311: registered clients (hashed api_key) and the requests they sent

Revision ID: 0013
Revises: 0011
Create Date: 2026-12-05

Both tables are tenant-owned: row-level security as every other (`core.rls`).
"""
import sqlalchemy as sa
from alembic import op

from core import rls

revision = "0013"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "open311_clients",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("prefix", sa.String(length=12), nullable=False),
        sa.Column("key_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenants.id"], name=op.f("fk_open311_clients_tenant_id_tenants"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_open311_clients")),
        sa.UniqueConstraint("key_hash", name=op.f("uq_open311_clients_key_hash")),
    )
    with op.batch_alter_table("open311_clients", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_open311_clients_tenant_id"), ["tenant_id"], unique=False)
    op.create_table(
        "open311_requests",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("client_id", sa.Integer(), nullable=False),
        sa.Column("tip_id", sa.Integer(), nullable=False),
        sa.Column("token", sa.String(length=40), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenants.id"], name=op.f("fk_open311_requests_tenant_id_tenants"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["client_id"], ["open311_clients.id"],
                                name=op.f("fk_open311_requests_client_id_open311_clients"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["tip_id"], ["tips.id"], name=op.f("fk_open311_requests_tip_id_tips"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_open311_requests")),
        sa.UniqueConstraint("tip_id", name=op.f("uq_open311_requests_tip_id")),
        sa.UniqueConstraint("token", name=op.f("uq_open311_requests_token")),
    )
    with op.batch_alter_table("open311_requests", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_open311_requests_tenant_id"), ["tenant_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_open311_requests_client_id"), ["client_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_open311_requests_created_at"), ["created_at"], unique=False)
    if op.get_bind().dialect.name == "postgresql":
        rls.enable(op.get_bind(), ["open311_clients", "open311_requests"])


def downgrade():
    op.drop_table("open311_requests")
    op.drop_table("open311_clients")
