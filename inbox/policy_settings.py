"""Editing a tenant's inbox policy: the SLA table, the routing rules and the canned replies.

Stored rows replace the built-in defaults table by table (`inbox.policy`), so the first edit of a table copies
the defaults in (`install_defaults`) before changing them: adding one routing rule never silently drops the
default ones. Every change is validated field by field (422 naming the field) and audited. Deadlines already
stored on tips do not move: a new SLA applies to tips received after it.
"""
from sqlalchemy import select

from core import audit
from core.errors import Invalid, NotFound
from core.extensions import db
from core.tenancy import load
from hierarchy.models import Unit
from inbox.constants import CATEGORIES, SEVERITIES
from inbox.policy import CannedReply, RoutingRule, SlaPolicy, default_deadlines, install_defaults

MAX_ACK_HOURS = 24 * 30
MAX_RESOLVE_DAYS = 365
MAX_KEYWORDS = 2000


def _whole_number(value, field, low, high):
    try:
        number = int(str(value).strip())
    except (TypeError, ValueError):
        raise Invalid(fields={field: [f"Nhập một số nguyên từ {low} đến {high}."]}) from None
    if not low <= number <= high:
        raise Invalid(fields={field: [f"Nhập một số nguyên từ {low} đến {high}."]})
    return number


def _text(value, field, limit, required=True):
    text = (value or "").strip()
    if required and not text:
        raise Invalid(fields={field: ["Không được để trống."]})
    if len(text) > limit:
        raise Invalid(fields={field: [f"Tối đa {limit} ký tự."]})
    return text


def _category(value, field="category"):
    if value in (None, ""):
        return None
    if value not in CATEGORIES:
        raise Invalid(fields={field: ["Lĩnh vực không hợp lệ."]})
    return value


# --- SLA ------------------------------------------------------------------------------------------------------
def sla_table():
    """{(category, severity): (ack_hours, resolve_days, legal_basis)} as tips received now would get them."""
    stored = {(row.category, row.severity): row for row in db.session.execute(select(SlaPolicy)).scalars()}
    table = {}
    for category in CATEGORIES:
        for severity in SEVERITIES:
            row = stored.get((category, severity))
            if row is not None:
                table[category, severity] = (row.ack_hours, row.resolve_hours // 24, row.legal_basis)
            else:
                deadlines = default_deadlines(category, severity)
                table[category, severity] = (int(deadlines.ack.total_seconds() // 3600), deadlines.resolve.days,
                                             deadlines.legal_basis)
    return table


def sla_field(kind, category, severity):
    """The form field of one cell: `ack__crime_report__urgent` or `resolve__crime_report__urgent`."""
    return f"{kind}__{category}__{severity}"


def save_sla(form):
    """Store the whole table from the form's cells; answers how many cells changed."""
    wanted = {}
    for category in CATEGORIES:
        for severity in SEVERITIES:
            ack_field, resolve_field = (sla_field(kind, category, severity) for kind in ("ack", "resolve"))
            wanted[category, severity] = (
                _whole_number(form.get(ack_field), ack_field, 1, MAX_ACK_HOURS),
                _whole_number(form.get(resolve_field), resolve_field, 1, MAX_RESOLVE_DAYS))
    install_defaults()
    stored = {(row.category, row.severity): row for row in db.session.execute(select(SlaPolicy)).scalars()}
    changed = []
    for (category, severity), (ack_hours, resolve_days) in wanted.items():
        row = stored.get((category, severity))
        if row is None:
            row = SlaPolicy(category=category, severity=severity, ack_hours=0, resolve_hours=0,
                            legal_basis=default_deadlines(category, severity).legal_basis)
            db.session.add(row)
        if (row.ack_hours, row.resolve_hours) != (ack_hours, resolve_days * 24):
            row.ack_hours, row.resolve_hours = ack_hours, resolve_days * 24
            changed.append(f"{category}/{severity}")
    if changed:
        audit.record("settings.sla_update", details={"cells": changed})
    db.session.flush()
    return len(changed)


# --- routing --------------------------------------------------------------------------------------------------
def departments():
    """The tenant's active departments: where a rule may send tips."""
    return db.session.execute(select(Unit).where(Unit.kind == "department", Unit.active.is_(True))
                              .order_by(Unit.code)).scalars().all()


def routing_rules():
    """The stored rules, or None while the tenant still runs on the defaults."""
    rows = db.session.execute(select(RoutingRule).order_by(RoutingRule.priority, RoutingRule.id)).scalars().all()
    return rows or None


def _rule_values(form):
    code = (form.get("department_code") or "").strip()
    if code not in {unit.code for unit in departments()}:
        raise Invalid(fields={"department_code": ["Chọn một phòng nghiệp vụ của tỉnh."]})
    keywords = ", ".join(word.strip() for word in _text(form.get("keywords"), "keywords", MAX_KEYWORDS,
                                                         required=False).split(",") if word.strip())
    category = _category(form.get("category"))
    if not keywords and category is None:
        raise Invalid(fields={"keywords": ["Nhập từ khóa hoặc chọn lĩnh vực: một quy tắc không có cả hai sẽ "
                                           "chuyển mọi tin báo."]})
    return {"category": category, "keywords": keywords, "department_code": code,
            "priority": _whole_number(form.get("priority") or 100, "priority", 0, 10000),
            "active": form.get("active") in ("1", "on", "true")}  # an unticked box is not sent


def _rule(rule_id):
    rule = load(RoutingRule, rule_id)
    if rule is None:
        raise NotFound()
    return rule


def add_rule(form):
    values = _rule_values(form)
    install_defaults()
    rule = RoutingRule(**values)
    db.session.add(rule)
    db.session.flush()
    audit.record("settings.routing_create", target=rule, details=_rule_details(rule))
    return rule


def update_rule(rule_id, form):
    rule = _rule(rule_id)
    for name, value in _rule_values(form).items():
        setattr(rule, name, value)
    db.session.flush()
    audit.record("settings.routing_update", target=rule, details=_rule_details(rule))
    return rule


def delete_rule(rule_id):
    rule = _rule(rule_id)
    audit.record("settings.routing_delete", target=rule, details=_rule_details(rule))
    db.session.delete(rule)
    db.session.flush()


def _rule_details(rule):
    return {"category": rule.category, "department": rule.department_code, "priority": rule.priority,
            "active": rule.active}


# --- canned replies -------------------------------------------------------------------------------------------
def canned_list():
    """(reply, unit or None) for every stored reply, or None while the tenant still runs on the defaults."""
    rows = db.session.execute(select(CannedReply, Unit).outerjoin(Unit, Unit.id == CannedReply.unit_id)
                              .order_by(CannedReply.unit_id.is_not(None), Unit.path, CannedReply.id)).all()
    return [(reply, unit) for reply, unit in rows] or None


def add_canned(form):
    unit_id = None
    if (form.get("unit_code") or "").strip():
        unit = db.session.execute(select(Unit).where(Unit.code == form["unit_code"].strip())).scalar_one_or_none()
        if unit is None:
            raise Invalid(fields={"unit_code": ["Không có đơn vị với mã này."]})
        unit_id = unit.id
    reply = CannedReply(title=_text(form.get("title"), "title", 120), body=_text(form.get("body"), "body", 2000),
                        unit_id=unit_id)
    install_defaults()
    db.session.add(reply)
    db.session.flush()
    audit.record("settings.canned_create", target=reply, unit_id=unit_id, details={"title": reply.title})
    return reply


def delete_canned(reply_id):
    reply = load(CannedReply, reply_id)
    if reply is None:
        raise NotFound()
    audit.record("settings.canned_delete", target=reply, unit_id=reply.unit_id, details={"title": reply.title})
    db.session.delete(reply)
    db.session.flush()
