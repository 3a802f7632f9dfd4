"""Units born and renamed: a new commune or department, a new name. Audited; services flush, never commit.

A tenant's department list (`settings["departments"]`, read by the importer) follows its department units, so
the list is edited by creating and renaming departments (the departments page, `flask hierarchy create-unit`).
"""
import re

from sqlalchemy import exists, func, select

from core import audit
from core.errors import Invalid
from core.extensions import db
from core.markdown import fold
from hierarchy.models import Unit
from hierarchy.reorg import KIND_LABELS, PARENT_KINDS, lock_tree

# A code is part of every path below the unit (`/86/29242/`) and of its public address.
CODE_RE = re.compile(r"^[A-Za-z0-9]{1,10}$")
NAME_MAX = 255


def create_unit(code, name, kind, parent):
    """A unit born (a new commune, a new department): under an active `parent` of a kind it may sit under, with a
    code no unit of the tenant has. Audited; returns the unit."""
    code, name = (code or "").strip(), " ".join((name or "").split())
    lock_tree(parent)
    errors = {}
    if not CODE_RE.match(code):
        errors["code"] = ["Mã gồm chữ và số, tối đa 10 ký tự."]
    elif db.session.execute(select(exists().where(Unit.code == code))).scalar():
        errors["code"] = [f"Đã có đơn vị mã {code}."]
    if not name or len(name) > NAME_MAX:
        errors["name"] = [f"Tên từ 1 đến {NAME_MAX} ký tự."]
    if kind not in PARENT_KINDS:
        errors["kind"] = ["Một trong: " + ", ".join(PARENT_KINDS) + "."]
    elif parent is None:
        errors["parent"] = ["Không có đơn vị này."]
    elif parent.kind not in PARENT_KINDS[kind]:
        labels = " hoặc ".join(KIND_LABELS[k] for k in PARENT_KINDS[kind])
        errors["parent"] = [f"{KIND_LABELS[kind].capitalize()} chỉ trực thuộc {labels}."]
    elif not parent.active:
        errors["parent"] = ["Đơn vị cấp trên này đã ngừng hoạt động."]
    if errors:
        raise Invalid("Không tạo được đơn vị.", errors)
    last = db.session.execute(select(func.max(Unit.sort_order)).where(Unit.parent_id == parent.id)).scalar()
    unit = Unit(code=code, name=name, search_name=fold(name), kind=kind, parent_id=parent.id,
                path=f"{parent.path}{code}/", depth=parent.depth + 1, sort_order=(last or 0) + 1, active=True)
    db.session.add(unit)
    db.session.flush()
    audit.record("unit.create", target=unit, unit_id=unit.id,
                 details={"code": code, "name": name, "kind": kind, "parent": parent.code})
    _sync_departments(unit)
    return unit


def rename_unit(unit, name):
    """A new name for the unit (its code, and so its paths and public address, stay). Audited; False when the
    name is already the unit's."""
    name = " ".join((name or "").split())
    if not name or len(name) > NAME_MAX:
        raise Invalid("Tên không hợp lệ.", {"name": [f"Tên từ 1 đến {NAME_MAX} ký tự."]})
    if name == unit.name:
        return False
    before, unit.name, unit.search_name = unit.name, name, fold(name)
    db.session.flush()
    audit.record("unit.rename", target=unit, unit_id=unit.id, details={"code": unit.code, "from": before, "to": name})
    _sync_departments(unit)
    return True


def _sync_departments(unit):
    """A department created or renamed: the tenant's department list becomes its department units, so a
    re-import adds none of the old names back."""
    if unit.kind != "department":
        return
    from tenants.models import Tenant

    tenant = db.session.execute(select(Tenant).where(Tenant.id == unit.tenant_id)).scalar_one()
    departments = db.session.execute(select(Unit.code, Unit.name).where(Unit.kind == "department",
                                                                         Unit.active.is_(True))
                                     .order_by(Unit.sort_order, Unit.code)).all()
    tenant.settings = {**(tenant.settings or {}), "departments": [[code, name] for code, name in departments]}
