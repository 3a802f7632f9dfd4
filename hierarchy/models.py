"""The unit tree of one tenant, stored with a materialised path of unit codes."""
from sqlalchemy import ForeignKey, Index, Integer, String, Text, UniqueConstraint, select
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.extensions import db
from core.tenancy import TenantScoped

KINDS = ("province", "department", "district", "commune")


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
    def subtree_of(cls, unit, include_self=True):
        """SELECT of the unit and everything under it (tenant scoping is added by the session hook)."""
        statement = select(cls).where(cls.path.startswith(unit.path, autoescape=True))
        if not include_self:
            statement = statement.where(cls.id != unit.id)
        return statement

    @property
    def ancestor_codes(self):
        return [code for code in self.path.strip("/").split("/")][:-1]

    def is_within(self, other):
        return self.path.startswith(other.path)

    def __repr__(self):
        return f"<Unit {self.code} {self.name}>"
