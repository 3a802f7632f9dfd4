"""tenants.admin_map, carried_into_id, carried_at: which map a tenant's tree is on, and where it was carried

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-05

Since 2025-07-01 Vietnam has 34 provinces in two tiers; a new tenant is built on that map unless its operator
asks for the map before it (`--as-of`). Every tenant that exists at this upgrade was built on the old map
(vietnam-provinces 0.6), so it is marked `pre-2025`: a re-import keeps adding the same districts and communes.
A tenant carried onto today's map by `flask reform apply` names the tenant it went into, and when; its old
public addresses then redirect there.
"""
import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("tenants", schema=None) as batch_op:
        batch_op.add_column(sa.Column("admin_map", sa.String(length=10), nullable=True))
        batch_op.add_column(sa.Column("carried_into_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("carried_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.create_foreign_key(batch_op.f("fk_tenants_carried_into_id_tenants"), "tenants",
                                    ["carried_into_id"], ["id"])
    op.execute("UPDATE tenants SET admin_map = 'pre-2025'")
    with op.batch_alter_table("tenants", schema=None) as batch_op:
        batch_op.alter_column("admin_map", existing_type=sa.String(length=10), nullable=False)


def downgrade():
    with op.batch_alter_table("tenants", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_tenants_carried_into_id_tenants"), type_="foreignkey")
        batch_op.drop_column("carried_at")
        batch_op.drop_column("carried_into_id")
        batch_op.drop_column("admin_map")
