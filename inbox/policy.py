"""Per-tenant inbox policy: SLA durations, routing to departments, canned replies.

Each table starts empty: the defaults below apply until a tenant stores its own rows, which then win
(`install_defaults()` copies the defaults into the tables so they can be edited).
"""
import re
import unicodedata
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import Boolean, ForeignKey, Integer, String, Text, UniqueConstraint, select
from sqlalchemy.orm import Mapped, mapped_column

from core.extensions import db
from core.tenancy import TenantScoped
from hierarchy.models import Unit

# Acknowledge-within, by severity (hours).
DEFAULT_ACK_HOURS = {"urgent": 1, "high": 4, "normal": 24, "low": 72}
# Resolve-within, by category (days), with the law that sets it where there is one.
DEFAULT_RESOLVE_DAYS = {
    "crime_report": (20, "Bộ luật Tố tụng hình sự 2015, Điều 147: giải quyết tố giác, tin báo trong 20 ngày"),
    "security_report": (20, ""),
    "social_evil": (20, ""),
    "complaint": (30, "Luật Khiếu nại 2011, Điều 28: giải quyết khiếu nại lần đầu trong 30 ngày"),
    "petition": (15, ""),
    "procedure_question": (7, ""),
    "good_deed": (15, ""),
    "other": (15, ""),
}
# Urgent and high tips are settled sooner than the legal maximum.
SEVERITY_RESOLVE_CAP_DAYS = {"urgent": 3, "high": 10}

DEFAULT_ROUTES = (
    ("PC04", ("ma túy", "ma tuý", "hàng đá", "ma túy đá", "heroin", "thuốc lắc", "cần sa", "bay lắc")),
    ("PA05", ("lừa đảo qua mạng", "lừa đảo trực tuyến", "chiếm đoạt tài khoản", "lừa đảo chuyển khoản",
              "mạo danh công an", "hack tài khoản", "sàn đầu tư ảo")),
    ("PC07", ("cháy", "hỏa hoạn", "hoả hoạn", "cứu nạn", "cứu hộ")),
    ("PC08", ("giao thông", "đua xe", "lạng lách", "đánh võng")),
    ("PA08", ("hộ chiếu", "xuất cảnh", "nhập cảnh", "xuất nhập cảnh")),
    ("PC06", ("cư trú", "căn cước", "cccd", "tạm trú", "thường trú", "định danh điện tử", "vneid")),
)

DEFAULT_CANNED = (
    ("Đã tiếp nhận", "Công an đã tiếp nhận tin báo của bạn và đang xác minh. Cảm ơn bạn đã phối hợp."),
    ("Cần thêm thông tin", "Để xác minh, bạn vui lòng cung cấp thêm thời gian, địa điểm cụ thể và hình ảnh "
                           "(nếu có)."),
    ("Đã xử lý", "Vụ việc bạn phản ánh đã được lực lượng Công an xử lý. Cảm ơn bạn đã chung tay giữ gìn an ninh "
                 "trật tự."),
    ("Hướng dẫn thủ tục", "Bạn có thể thực hiện thủ tục trực tuyến trên Cổng dịch vụ công Bộ Công an hoặc đến "
                          "trụ sở Công an xã trong giờ hành chính."),
)


class SlaPolicy(TenantScoped, db.Model):
    """One cell of the category × severity table; a None category or severity matches any."""

    __tablename__ = "inbox_sla_policies"
    __table_args__ = (UniqueConstraint("tenant_id", "category", "severity"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    category: Mapped[str | None] = mapped_column(String(30), nullable=True)
    severity: Mapped[str | None] = mapped_column(String(10), nullable=True)
    ack_hours: Mapped[int] = mapped_column(Integer)
    resolve_hours: Mapped[int] = mapped_column(Integer)
    legal_basis: Mapped[str] = mapped_column(String(255), default="")


class RoutingRule(TenantScoped, db.Model):
    """Tips of `category` (None: any) whose text holds one of `keywords` (comma-separated; none: any text)
    go to the department with `department_code`. Lower `priority` is tried first."""

    __tablename__ = "inbox_routing_rules"

    id: Mapped[int] = mapped_column(primary_key=True)
    category: Mapped[str | None] = mapped_column(String(30), nullable=True)
    keywords: Mapped[str] = mapped_column(Text, default="")
    department_code: Mapped[str] = mapped_column(String(10))
    priority: Mapped[int] = mapped_column(Integer, default=100)
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class CannedReply(TenantScoped, db.Model):
    """A ready answer, tenant-wide (`unit_id` None) or for one unit and its subtree."""

    __tablename__ = "inbox_canned_replies"

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id", ondelete="CASCADE"), nullable=True)
    title: Mapped[str] = mapped_column(String(120))
    body: Mapped[str] = mapped_column(Text)


@dataclass(frozen=True)
class Deadlines:
    ack: timedelta
    resolve: timedelta
    legal_basis: str = ""


def default_deadlines(category, severity):
    days, basis = DEFAULT_RESOLVE_DAYS.get(category, DEFAULT_RESOLVE_DAYS["other"])
    days = min(days, SEVERITY_RESOLVE_CAP_DAYS.get(severity, days))
    return Deadlines(timedelta(hours=DEFAULT_ACK_HOURS.get(severity, 24)), timedelta(days=days), basis)


def deadlines_for(category, severity):
    """The tenant's durations for a tip: the most specific stored cell, else the defaults."""
    rows = db.session.execute(select(SlaPolicy).where(
        SlaPolicy.category.is_(None) | (SlaPolicy.category == category),
        SlaPolicy.severity.is_(None) | (SlaPolicy.severity == severity))).scalars().all()
    if not rows:
        return default_deadlines(category, severity)
    best = max(rows, key=lambda row: (row.category is not None, row.severity is not None))
    return Deadlines(timedelta(hours=best.ack_hours), timedelta(hours=best.resolve_hours), best.legal_basis)


def _normalise(text):
    return unicodedata.normalize("NFC", (text or "").lower())


def _mentions(text, keyword):
    return re.search(r"(?<!\w)" + re.escape(_normalise(keyword)) + r"(?!\w)", text) is not None


def _rules():
    stored = db.session.execute(select(RoutingRule).where(RoutingRule.active.is_(True))
                                .order_by(RoutingRule.priority, RoutingRule.id)).scalars().all()
    if stored:
        return [(rule.category, [k.strip() for k in rule.keywords.split(",") if k.strip()], rule.department_code)
                for rule in stored]
    return [(None, list(keywords), code) for code, keywords in DEFAULT_ROUTES]


def route_department(category, text):
    """The department a tip of this category and text belongs to, or None to keep it where it is."""
    text = _normalise(text)
    for rule_category, keywords, code in _rules():
        if rule_category not in (None, category):
            continue
        if keywords and not any(_mentions(text, keyword) for keyword in keywords):
            continue
        unit = db.session.execute(select(Unit).where(Unit.code == code, Unit.active.is_(True))).scalar_one_or_none()
        if unit is not None:
            return unit
    return None


def canned_replies(unit):
    """Replies usable at `unit`: tenant-wide ones and those of the unit or its ancestors."""
    ancestors = Unit.ancestors_of(unit).with_only_columns(Unit.id)
    rows = db.session.execute(select(CannedReply).where(
        CannedReply.unit_id.is_(None) | CannedReply.unit_id.in_(ancestors)).order_by(CannedReply.id)).scalars().all()
    if rows or db.session.execute(select(CannedReply.id).limit(1)).first() is not None:
        return [(row.title, row.body) for row in rows]
    return list(DEFAULT_CANNED)


def install_defaults():
    """Copy the default policy into the tenant's tables (skips tables that already have rows)."""
    if db.session.execute(select(SlaPolicy.id).limit(1)).first() is None:
        for category, (_days, basis) in DEFAULT_RESOLVE_DAYS.items():
            for severity, ack_hours in DEFAULT_ACK_HOURS.items():
                deadlines = default_deadlines(category, severity)
                db.session.add(SlaPolicy(category=category, severity=severity, ack_hours=ack_hours,
                                         resolve_hours=int(deadlines.resolve.total_seconds() // 3600),
                                         legal_basis=basis))
    if db.session.execute(select(RoutingRule.id).limit(1)).first() is None:
        for priority, (code, keywords) in enumerate(DEFAULT_ROUTES):
            db.session.add(RoutingRule(keywords=", ".join(keywords), department_code=code, priority=priority * 10))
    if db.session.execute(select(CannedReply.id).limit(1)).first() is None:
        for title, body in DEFAULT_CANNED:
            db.session.add(CannedReply(title=title, body=body))
    db.session.flush()
