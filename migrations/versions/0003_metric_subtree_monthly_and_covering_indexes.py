"""metric_subtree_monthly, and covering date-first indexes on the counters

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-24

A roll-up reads whole months as one row per child × month × metric from the new subtree counters, and its edge
days from `metric_daily` by an index-only range scan on (tenant, day, path prefix) that carries metric and value
(PostgreSQL's INCLUDE; SQLite builds the index without it). The path-first indexes these replace read every
period of every unit of the subtree. The new table is filled from the existing monthly counters here, in plain
SQL (`flask metrics rebuild` does the same from events), so an upgraded dashboard shows the same numbers.
"""
import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

_PATH_OPS = {"unit_path": "text_pattern_ops"}
_INCLUDE = ["metric", "value"]


# Every unit but a root sums the monthly counters of its subtree (the units whose path starts with its own).
_FILL_SUBTREE_COUNTERS = """
INSERT INTO metric_subtree_monthly (tenant_id, unit_path, parent_path, month, metric, value)
SELECT counter.tenant_id, ancestor.path, parent.path, counter.month, counter.metric, SUM(counter.value)
FROM metric_monthly AS counter
JOIN units AS ancestor ON ancestor.tenant_id = counter.tenant_id AND ancestor.parent_id IS NOT NULL
     AND substr(counter.unit_path, 1, length(ancestor.path)) = ancestor.path
JOIN units AS parent ON parent.id = ancestor.parent_id
GROUP BY counter.tenant_id, ancestor.path, parent.path, counter.month, counter.metric
"""


def upgrade():
    op.create_table(
        "metric_subtree_monthly",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("unit_path", sa.String(length=255), nullable=False),
        sa.Column("parent_path", sa.String(length=255), nullable=False),
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("metric", sa.String(length=40), nullable=False),
        sa.Column("value", sa.BigInteger(), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenants.id"], name=op.f("fk_metric_subtree_monthly_tenant_id_tenants"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_metric_subtree_monthly")),
        sa.UniqueConstraint("tenant_id", "unit_path", "month", "metric",
                            name=op.f("uq_metric_subtree_monthly_tenant_id_unit_path_month_metric")),
    )
    with op.batch_alter_table("metric_subtree_monthly", schema=None) as batch_op:
        batch_op.create_index("ix_metric_subtree_monthly_parent_month", ["tenant_id", "parent_path", "month"],
                              unique=False, postgresql_include=["unit_path", "metric", "value"])
        batch_op.create_index(batch_op.f("ix_metric_subtree_monthly_tenant_id"), ["tenant_id"], unique=False)

    op.execute(_FILL_SUBTREE_COUNTERS)

    with op.batch_alter_table("metric_daily", schema=None) as batch_op:
        batch_op.drop_index("ix_metric_daily_tenant_path_day", postgresql_ops=_PATH_OPS)
        batch_op.drop_index("ix_metric_daily_tenant_day")
        batch_op.create_index("ix_metric_daily_tenant_day_path", ["tenant_id", "day", "unit_path"], unique=False,
                              postgresql_ops=_PATH_OPS, postgresql_include=_INCLUDE)
    with op.batch_alter_table("metric_monthly", schema=None) as batch_op:
        batch_op.drop_index("ix_metric_monthly_tenant_path_month", postgresql_ops=_PATH_OPS)
        batch_op.drop_index("ix_metric_monthly_tenant_month")
        batch_op.create_index("ix_metric_monthly_tenant_month_path", ["tenant_id", "month", "unit_path"],
                              unique=False, postgresql_ops=_PATH_OPS, postgresql_include=_INCLUDE)


def downgrade():
    with op.batch_alter_table("metric_monthly", schema=None) as batch_op:
        batch_op.drop_index("ix_metric_monthly_tenant_month_path")
        batch_op.create_index("ix_metric_monthly_tenant_month", ["tenant_id", "month"], unique=False)
        batch_op.create_index("ix_metric_monthly_tenant_path_month", ["tenant_id", "unit_path", "month"],
                              unique=False, postgresql_ops=_PATH_OPS)
    with op.batch_alter_table("metric_daily", schema=None) as batch_op:
        batch_op.drop_index("ix_metric_daily_tenant_day_path")
        batch_op.create_index("ix_metric_daily_tenant_day", ["tenant_id", "day"], unique=False)
        batch_op.create_index("ix_metric_daily_tenant_path_day", ["tenant_id", "unit_path", "day"], unique=False,
                              postgresql_ops=_PATH_OPS)
    with op.batch_alter_table("metric_subtree_monthly", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_metric_subtree_monthly_tenant_id"))
        batch_op.drop_index("ix_metric_subtree_monthly_parent_month")
    op.drop_table("metric_subtree_monthly")
