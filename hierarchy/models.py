"""The unit tree of one tenant, stored with a materialised path of unit codes."""
from sqlalchemy import ForeignKey, Index, Integer, String, Text, UniqueConstraint, select
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.extensions import db
from core.tenancy import TenantScoped

# `area` is a commune's khu phố or ấp, once a tenant adds them; nothing assumes the tree stops at any tier.
KINDS = ("province", "department", "district", "commune", "area")


class Unit(TenantScoped, db.Model):
    """`path` is `/84/842/29236/`: the codes from the root down, so a subtree is one indexed prefix query.

    Codes are unique within a tenant, which makes the path unique too and lets a whole province be inserted
    in one statement (no id is needed before the path is known).
    """

    __tablename__ = "units"
    __table_args__ = (
        UniqueConstraint("tenant_id", "code"),
        Index("ix_units_tenant_path", "tenant_id", "path", postgresql_ops={"path": "text_pattern_ops"}),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"), index=True, nullable=True)
    kind: Mapped[str] = mapped_column(String(20))
    code: Mapped[str] = mapped_column(String(10))
    name: Mapped[str] = mapped_column(String(255))
    # Folded name (no diacritics, lower case) so "tra cu" finds "Trà Cú" on SQLite and PostgreSQL alike.
    search_name: Mapped[str] = mapped_column(String(255), default="")
    path: Mapped[str] = mapped_column(String(255))
    depth: Mapped[int] = mapped_column(Integer)
    sort_order: Mapped[int] = mapped_column(Integer, default=0)
    address: Mapped[str] = mapped_column(String(500), default="")
    phone: Mapped[str] = mapped_column(String(50), default="")
    email: Mapped[str] = mapped_column(String(255), default="")
    contact_hours: Mapped[str] = mapped_column(String(255), default="")
    description: Mapped[str] = mapped_column(Text, default="")
    avatar_path: Mapped[str] = mapped_column(String(255), default="")
    zalo_oa_id: Mapped[str | None] = mapped_column(String(40), nullable=True, index=True)
    active: Mapped[bool] = mapped_column(default=True)
    # Set when the unit was merged into another (it is then inactive): its public page redirects there.
    merged_into_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"), nullable=True)

    parent = relationship("Unit", remote_side=[id], foreign_keys=[parent_id], lazy="joined", join_depth=1)
    merged_into = relationship("Unit", remote_side=[id], foreign_keys=[merged_into_id], lazy="select")

    @property
    def unit_path(self):
        return self.path

    @classmethod
    def in_subtree(cls, path):
        """SQL: the unit is the one at `path` or below it (one indexed prefix comparison, LIKE-escaped)."""
        return cls.path.startswith(path, autoescape=True)

    @classmethod
    def subtree_of(cls, unit, include_self=True):
        """SELECT of the unit and everything under it (tenant scoping is added by the session hook)."""
        statement = select(cls).where(cls.in_subtree(unit.path))
        if not include_self:
            statement = statement.where(cls.id != unit.id)
        return statement

    @classmethod
    def ancestors_of(cls, unit, include_self=True):
        """SELECT of the units from the root down to the unit (itself included unless `include_self` is
        False), found by the codes on its path."""
        codes = codes_on(unit.path)
        return select(cls).where(cls.code.in_(codes if include_self else codes[:-1]))

    @classmethod
    def root_of(cls, unit):
        """SELECT of the root of the unit's tree (the province HQ)."""
        return select(cls).where(cls.code == codes_on(unit.path)[0])

    @staticmethod
    def ancestor_paths(path):
        """The paths of the unit at `path` and of its ancestors, root first:
        '/84/842/29236/' → ['/84/', '/84/842/', '/84/842/29236/']."""
        codes = codes_on(path)
        return ["/" + "/".join(codes[:depth]) + "/" for depth in range(1, len(codes) + 1)]

    def is_within(self, other):
        return self.path.startswith(other.path)

    def __repr__(self):
        return f"<Unit {self.code} {self.name}>"


def codes_on(path):
    """The codes of the units from the root down to the one at `path`: '/84/842/29236/' → ['84', '842', '29236']."""
    return path.strip("/").split("/")
