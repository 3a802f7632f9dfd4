"""zalo_apps.verified_at: an app id is unique only once Zalo has accepted the app's secret

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-05

Any director could type another province's app id and so block its onboarding (security review, finding 22).
A configured app is now a claim until an OAuth code exchange (or the operator's `flask zalo config`) proves it;
only verified app ids are unique (a partial unique index, on SQLite and PostgreSQL alike). Apps configured
before this release were in use: they count as verified.
"""
import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("zalo_apps", schema=None) as batch_op:
        batch_op.add_column(sa.Column("verified_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.drop_constraint(batch_op.f("uq_zalo_apps_app_id"), type_="unique")
        batch_op.create_index(batch_op.f("ix_zalo_apps_app_id"), ["app_id"], unique=False)
    op.execute("UPDATE zalo_apps SET verified_at = updated_at")
    op.create_index("uq_zalo_apps_verified_app_id", "zalo_apps", ["app_id"], unique=True,
                    postgresql_where=sa.text("verified_at IS NOT NULL"),
                    sqlite_where=sa.text("verified_at IS NOT NULL"))


def downgrade():
    op.drop_index("uq_zalo_apps_verified_app_id", table_name="zalo_apps")
    with op.batch_alter_table("zalo_apps", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_zalo_apps_app_id"))
        batch_op.create_unique_constraint(batch_op.f("uq_zalo_apps_app_id"), ["app_id"])
        batch_op.drop_column("verified_at")
