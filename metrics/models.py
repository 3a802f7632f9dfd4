"""Events (one row per counted thing) and the exact aggregates kept from them: per unit and local day, per
unit and local month, and per subtree and local month.

The three counter tables are written by the same upsert path (`metrics.events.bump_counter`) in the transaction
that writes the event, and `flask metrics rebuild` recomputes them from events, so at any commit
`sum(daily of a month) == monthly` and `subtree monthly == sum(monthly of the subtree's units)`. A roll-up reads
whole months from the unit's own monthly counters plus its children's subtree counters (one row per child ×
month × metric, however many units lie below), and only the partial months at its edges from `metric_daily`.
"""
from datetime import date

from sqlalchemy import BigInteger, Date, DateTime, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from core.extensions import db
from core.tenancy import TenantScoped

_PATH_OPS = {"unit_path": "text_pattern_ops"}  # LIKE '/84/842/%' uses the index on PostgreSQL
# A date range first, then the path prefix, with the summed columns included: on PostgreSQL a roll-up's edge days
# are one index-only range scan (SQLite ignores the INCLUDE).
_COVERING = {"postgresql_ops": _PATH_OPS, "postgresql_include": ["metric", "value"]}


class Event(TenantScoped, db.Model):
    """Written in the same transaction as the change it counts; the counters can be rebuilt from these."""

    __tablename__ = "metric_events"
    __table_args__ = (Index("ix_metric_events_tenant_day", "tenant_id", "day"),)

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)
    metric: Mapped[str] = mapped_column(String(40))
    value: Mapped[int] = mapped_column(BigInteger, default=1)
    at: Mapped[object] = mapped_column(DateTime(timezone=True))
    day: Mapped[date] = mapped_column(Date)  # the local (Asia/Ho_Chi_Minh) day of `at`
    subject_type: Mapped[str] = mapped_column(String(20), default="")
    subject_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True)


class DailyCounter(TenantScoped, db.Model):
    __tablename__ = "metric_daily"
    __table_args__ = (
        UniqueConstraint("unit_id", "day", "metric"),
        Index("ix_metric_daily_tenant_day_path", "tenant_id", "day", "unit_path", **_COVERING),
    )

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)
    # The unit's path, copied so a subtree roll-up is a prefix scan on this table alone.
    unit_path: Mapped[str] = mapped_column(String(255))
    day: Mapped[date] = mapped_column(Date)
    metric: Mapped[str] = mapped_column(String(40))
    value: Mapped[int] = mapped_column(BigInteger, default=0)


class MonthlyCounter(TenantScoped, db.Model):
    """The sum of a unit's daily counters over one local calendar month (`month` is its first day)."""

    __tablename__ = "metric_monthly"
    __table_args__ = (
        UniqueConstraint("unit_id", "month", "metric"),
        Index("ix_metric_monthly_tenant_month_path", "tenant_id", "month", "unit_path", **_COVERING),
    )

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)
    unit_path: Mapped[str] = mapped_column(String(255))
    month: Mapped[date] = mapped_column(Date)
    metric: Mapped[str] = mapped_column(String(40))
    value: Mapped[int] = mapped_column(BigInteger, default=0)


class SubtreeMonthlyCounter(TenantScoped, db.Model):
    """The sum of the monthly counters of every unit of one subtree (`unit_path` and everything under it).

    Kept for every unit but a tenant's root, found by `parent_path`: a unit's roll-up over whole months reads one
    row per child × month × metric. Keyed by paths, which `record()` already knows, so counting needs no lookup
    of ancestors; the root has no row, since nothing reads it (a unit's totals are its own plus its children's)
    and every event of the tenant would queue on it.
    """

    __tablename__ = "metric_subtree_monthly"
    __table_args__ = (
        UniqueConstraint("tenant_id", "unit_path", "month", "metric"),
        Index("ix_metric_subtree_monthly_parent_month", "tenant_id", "parent_path", "month",
              postgresql_include=["unit_path", "metric", "value"]),
    )

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    unit_path: Mapped[str] = mapped_column(String(255))
    parent_path: Mapped[str] = mapped_column(String(255))
    month: Mapped[date] = mapped_column(Date)
    metric: Mapped[str] = mapped_column(String(40))
    value: Mapped[int] = mapped_column(BigInteger, default=0)
