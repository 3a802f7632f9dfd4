"""row-level security on every tenant-owned table (PostgreSQL)

Revision ID: 0020
Revises: 0010
Create Date: 2026-12-05

Each table with a `tenant_id` gets the policies of `core/rls.py` (`tenant_rows`, `platform_rows`) and FORCE ROW
LEVEL SECURITY. They bind the application once it connects as the role `flask db roles` creates (a superuser
or BYPASSRLS role passes them by). A later migration that adds a tenant-owned table calls `rls.enable` for it.
SQLite has no row-level security: there the ORM hook of `core/tenancy.py` is the only wall.
"""
from alembic import op

from core import rls

revision = "0020"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade():
    if op.get_bind().dialect.name == "postgresql":
        rls.enable(op.get_bind())


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        rls.disable(op.get_bind())
