"""users.totp_last_step: the TOTP time step last accepted, so a code is never accepted twice

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-05

A second sign-in accepted a code already used, and the code of the step before it (security review,
finding 7). NULL until the user's next second-factor sign-in.
"""
import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(sa.Column("totp_last_step", sa.BigInteger(), nullable=True))


def downgrade():
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_column("totp_last_step")
