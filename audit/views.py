"""The audit log, read: `/app/audit` (filters, pages, its own CSV export) and `GET /api/v1/audit`.

Scope: a director or auditor anchored at the tenant's root sees every record of the tenant's chain (records
without a unit included); one anchored lower sees the records whose unit lies in their subtree.
"""
from datetime import date

import marshmallow as ma
from flask import Blueprint, abort, render_template, request
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import distinct, or_, select

from core.api import Blueprint as ApiBlueprint
from core.api import Id, PageArgs, page_schema
from core.audit import AuditLog
from core.errors import Forbidden, Invalid, NotFound
from core.extensions import db
from core.pagination import clamp_page, paginate
from core.permissions import ROLE_ACTIONS, can, memberships_of, require, scope_clause
from core.tenancy import current_tenant_id, load, platform_scope, tenant_scope
from core.timeutil import isoformat, local_day_bounds
from hierarchy.models import Unit

ACTION = "audit.view"
PER_PAGE = 50

# The page's stylesheet sits beside its template.
bp = Blueprint("audit", __name__, template_folder="templates", static_folder="templates/audit/static",
               static_url_path="/static/audit", url_prefix="/app")
blp = ApiBlueprint("audit_api", __name__, url_prefix="/api/v1", description="Nhật ký kiểm toán")


def _is_root_path(path):
    return path is not None and path.count("/") == 2


def audit_scope(user):
    """SQL condition for the audit records `user` may read (false when they may read none)."""
    anchors = [anchor for role, anchor in memberships_of(user) if anchor and ACTION in ROLE_ACTIONS.get(role, ())]
    if any(_is_root_path(anchor) for anchor in anchors):
        return AuditLog.tenant_id.is_not(None)
    units = select(Unit.id).where(scope_clause(user, ACTION, Unit.path))
    return AuditLog.unit_id.in_(units)


def audit_records(user, unit=None, actor=None, action=None, date_from=None, date_to=None):
    """SELECT of the audit records in `user`'s scope matching the filters (unordered).

    `unit`: records of that unit's subtree (the root means the whole tenant); `actor`: part of the actor's
    e-mail; `action`: an exact action (`export.done`) or a family (`export`); dates are local days.
    """
    statement = select(AuditLog).where(audit_scope(user))
    if unit is not None and not _is_root_path(unit.path):
        subtree = select(Unit.id).where(Unit.in_subtree(unit.path))
        statement = statement.where(AuditLog.unit_id.in_(subtree))
    if actor:
        statement = statement.where(AuditLog.actor.contains(actor.strip().lower(), autoescape=True))
    if action:
        action = action.strip()
        statement = statement.where(or_(AuditLog.action == action,
                                        AuditLog.action.startswith(action + ".", autoescape=True)))
    if date_from:
        statement = statement.where(AuditLog.at >= local_day_bounds(date_from)[0])
    if date_to:
        statement = statement.where(AuditLog.at < local_day_bounds(date_to)[1])
    return statement


def _filter_unit(unit_id):
    if not unit_id:
        return None
    unit = load(Unit, unit_id)
    if unit is None:
        raise NotFound(_("Không tìm thấy đơn vị."))
    return require(current_user, ACTION, unit)


def _check_dates(date_from, date_to):
    if date_from and date_to and date_from > date_to:
        raise Invalid(fields={"from": [_("Ngày bắt đầu sau ngày kết thúc.")]})


class AuditQueryArgs(PageArgs):
    actor = ma.fields.String(validate=ma.validate.Length(max=255))
    action = ma.fields.String(validate=ma.validate.Length(max=64))
    unit_id = Id()
    date_from = ma.fields.Date(data_key="from")
    date_to = ma.fields.Date(data_key="to")


class AuditRecordSchema(ma.Schema):
    id = ma.fields.Integer()
    chain = ma.fields.String()
    seq = ma.fields.Integer()
    at = ma.fields.Function(lambda entry: isoformat(entry.at))
    actor_id = ma.fields.Integer(allow_none=True)
    actor = ma.fields.String()
    action = ma.fields.String()
    unit_id = ma.fields.Integer(allow_none=True)
    target_type = ma.fields.String()
    target_id = ma.fields.String()
    details = ma.fields.Dict()
    prev_hash = ma.fields.String()
    hash = ma.fields.String()


@blp.route("/audit")
@blp.arguments(AuditQueryArgs, location="query")
@blp.response(200, page_schema(AuditRecordSchema, "AuditPage"))
@login_required
def list_audit(args):
    """Audit records in the caller's scope, newest first (directors and auditors)."""
    if not can(current_user, ACTION):
        raise Forbidden()
    _check_dates(args.get("date_from"), args.get("date_to"))
    statement = audit_records(current_user, _filter_unit(args.get("unit_id")), args.get("actor"),
                              args.get("action"), args.get("date_from"), args.get("date_to"))
    return paginate(statement.order_by(AuditLog.id.desc()), args["page"], args["per_page"])


def _date_arg(name):
    value = (request.args.get(name) or "").strip()
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise Invalid(fields={name: [_("Ngày không hợp lệ (YYYY-MM-DD).")]}) from None


def carried_tenants(user):
    """The tenants carried into the user's tenant by the reform, whose closed chains hold the history of what is
    now this tenant's: readable by a director or auditor of the whole tenant, read-only. Oldest first."""
    from tenants.models import Tenant

    tenant_id = current_tenant_id()
    if tenant_id is None or not _is_root_path(_audit_root(user)):
        return []
    with platform_scope():
        return db.session.execute(select(Tenant).where(Tenant.carried_into_id == tenant_id).order_by(Tenant.id)
                                  ).scalars().all()


def _audit_root(user):
    anchors = [anchor for role, anchor in memberships_of(user) if anchor and ACTION in ROLE_ACTIONS.get(role, ())]
    return min(anchors, key=len, default=None)


def _carried_page(old, filters, page_number):
    """A page of a carried tenant's chain (its own scope: those rows are still that tenant's)."""
    with tenant_scope(old.id):
        statement = select(AuditLog).where(AuditLog.tenant_id == old.id)
        if filters["actor"]:
            statement = statement.where(AuditLog.actor.contains(filters["actor"].lower(), autoescape=True))
        if filters["action"]:
            statement = statement.where(or_(AuditLog.action == filters["action"], AuditLog.action.startswith(
                filters["action"] + ".", autoescape=True)))
        if filters["from"]:
            statement = statement.where(AuditLog.at >= local_day_bounds(filters["from"])[0])
        if filters["to"]:
            statement = statement.where(AuditLog.at < local_day_bounds(filters["to"])[1])
        page = paginate(statement.order_by(AuditLog.id.desc()), page_number, PER_PAGE)
        actions = db.session.execute(select(distinct(AuditLog.action)).where(AuditLog.tenant_id == old.id)
                                     .order_by(AuditLog.action)).scalars().all()
    return page, actions


@bp.get("/audit")
@login_required
def audit_page():
    if not can(current_user, ACTION):
        abort(403)
    carried = carried_tenants(current_user)
    viewing = next((old for old in carried if old.slug == request.args.get("carried")), None)
    if request.args.get("carried") and viewing is None:
        abort(404)
    filters = {"actor": (request.args.get("actor") or "").strip()[:255],
               "action": (request.args.get("action") or "").strip()[:64],
               "unit_id": request.args.get("unit_id", type=int), "from": _date_arg("from"), "to": _date_arg("to")}
    _check_dates(filters["from"], filters["to"])
    units = db.session.execute(select(Unit).where(scope_clause(current_user, ACTION, Unit.path))
                               .order_by(Unit.path)).scalars().all()
    # The carried units kept their ids when they moved: their names read from this tenant's tree.
    unit_names = {u.id: u.name for u in units}
    if viewing is not None:
        filters["unit_id"] = None
        page, actions = _carried_page(viewing, filters, clamp_page(request.args.get("page")))
        export_unit = None
    else:
        unit = _filter_unit(filters["unit_id"])
        statement = audit_records(current_user, unit, filters["actor"], filters["action"], filters["from"],
                                  filters["to"])
        page = paginate(statement.order_by(AuditLog.id.desc()), clamp_page(request.args.get("page")), PER_PAGE)
        actions = db.session.execute(select(distinct(AuditLog.action)).where(audit_scope(current_user))
                                     .order_by(AuditLog.action)).scalars().all()
        export_unit = unit or _anchor_unit(units)
    return render_template("audit/audit.html", page=page, filters=filters, units=units, unit_names=unit_names,
                           actions=actions, export_unit=export_unit, per_page=PER_PAGE, carried=carried,
                           viewing=viewing,
                           pages=max(1, -(-page["total"] // PER_PAGE)),
                           current=clamp_page(request.args.get("page")))


def _anchor_unit(units):
    """The top of the caller's audit scope: what an unfiltered export of the log covers."""
    return min(units, key=lambda unit: unit.depth, default=None)

