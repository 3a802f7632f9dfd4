"""units.merged_into_id: the unit a merged unit's history and public page now belong to

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-25

A merged unit stays in the tree, inactive, so the numbers it kept before the merge still add up where they
were; this column names the unit that took over its posts, tips and staff, so its public page can redirect
there and the tree can say "đã sáp nhập vào …". NULL for every unit that was never merged.
"""
import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("units", schema=None) as batch_op:
        batch_op.add_column(sa.Column("merged_into_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f("fk_units_merged_into_id_units"), "units", ["merged_into_id"],
                                    ["id"])


def downgrade():
    with op.batch_alter_table("units", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_units_merged_into_id_units"), type_="foreignkey")
        batch_op.drop_column("merged_into_id")
