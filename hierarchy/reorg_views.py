"""`/app/units/reorg`: the director moves and merges units and abolishes the district tier; creates units
(`/app/units/new`), renames them and edits the department list (`/app/units/departments`).

Each operation is two steps: a GET that names the other unit and shows what will move (units, tips, posts,
staff), then a POST from that confirmation. A refusal comes back to the choosing page with the reason.
"""
from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select

from core.errors import AppError, Invalid, NotFound
from core.extensions import db
from core.permissions import require
from core.tenancy import load, path_object
from hierarchy import lifecycle, reorg
from hierarchy.models import Unit
from hierarchy.services import root_unit

ACTION = "tenant.settings"
TIER = "district"
bp = Blueprint("hierarchy_reorg", __name__, template_folder="templates", url_prefix="/app/units")


@bp.before_request
@login_required
def _only_directors():
    require(current_user, ACTION)


@bp.get("/reorg")
def page():
    units = db.session.execute(select(Unit).order_by(Unit.depth, Unit.sort_order, Unit.code)).scalars().all()
    children = {}
    for unit in units:
        children.setdefault(unit.parent_id, []).append(unit)
    return render_template("hierarchy/reorg.html", roots=children.get(None, []), children=children,
                           movable_kinds=reorg.MOVABLE_KINDS, abolish=reorg.abolition_preview(TIER))


@bp.get("/<int:unit_id>/move")
def move(unit_id):
    unit = path_object("unit_id")
    parent = _chosen("parent_id")
    if parent is not None and not _refused(lambda: reorg.check_move(unit, parent)):
        return render_template("hierarchy/reorg_confirm.html", operation="move", unit=unit, other=parent,
                               contents=reorg.subtree_contents(unit))
    kinds = reorg.PARENT_KINDS.get(unit.kind, ())
    candidates = _active_units(Unit.kind.in_(kinds), Unit.id != unit.parent_id,
                               ~Unit.in_subtree(unit.path))
    return render_template("hierarchy/reorg_choose.html", operation="move", unit=unit, candidates=candidates,
                           field="parent_id")


@bp.post("/<int:unit_id>/move")
def move_post(unit_id):
    unit = path_object("unit_id")

    def act():
        parent = _required("parent_id")
        if reorg.move_unit(unit, parent):
            return _("Đã chuyển %(unit)s về %(parent)s.", unit=unit.name, parent=parent.name)
        return _("%(unit)s đã trực thuộc %(parent)s: không có gì thay đổi.", unit=unit.name, parent=parent.name)

    return _apply(act, url_for(".move", unit_id=unit.id))


@bp.get("/<int:unit_id>/merge")
def merge(unit_id):
    unit = path_object("unit_id")
    target = _chosen("target_id")
    if target is not None and not _refused(lambda: reorg.check_merge(unit, target)):
        return render_template("hierarchy/reorg_confirm.html", operation="merge", unit=unit, other=target,
                               contents=reorg.subtree_contents(unit))
    candidates = _active_units(Unit.kind == unit.kind, Unit.id != unit.id)
    return render_template("hierarchy/reorg_choose.html", operation="merge", unit=unit, candidates=candidates,
                           field="target_id")


@bp.post("/<int:unit_id>/merge")
def merge_post(unit_id):
    unit = path_object("unit_id")

    def act():
        target = _required("target_id")
        if reorg.merge_units(unit, target):
            return _("Đã sáp nhập %(unit)s vào %(target)s.", unit=unit.name, target=target.name)
        return _("%(unit)s đã được sáp nhập vào %(target)s trước đó.", unit=unit.name, target=target.name)

    return _apply(act, url_for(".merge", unit_id=unit.id))


@bp.get("/reorg/abolish")
def abolish():
    return render_template("hierarchy/reorg_abolish.html", preview=reorg.abolition_preview(TIER))


@bp.post("/reorg/abolish")
def abolish_post():
    def act():
        if reorg.abolish_tier(request.form.get("tier", ""), current_user):
            return _("Đã bỏ cấp huyện: các đơn vị cấp xã trực thuộc thẳng Công an tỉnh.")
        return _("Cấp huyện đã được bỏ trước đó: không có gì thay đổi.")

    return _apply(act, url_for(".abolish"))


def _active_units(*conditions):
    statement = select(Unit).where(Unit.active.is_(True), *conditions).order_by(Unit.path)
    return db.session.execute(statement).scalars().all()


def _chosen(field):
    """The unit named by a query or form field: None if the field is empty, 404 if it names no unit of ours."""
    value = (request.values.get(field) or "").strip()
    if not value:
        return None
    unit = load(Unit, value)
    if unit is None:
        raise NotFound()
    return unit


def _required(field):
    unit = _chosen(field)
    if unit is None:
        raise Invalid(fields={field: [_("Chọn một đơn vị.")]})
    return unit


def _refused(check):
    """Run a check; on refusal flash its reasons and answer True (the choosing page is shown again)."""
    try:
        check()
    except AppError as error:
        flash(_reason(error), "error")
        return True
    return False


def _apply(operation, back, done=None):
    """Act, commit (with the jobs the inbox scheduled) and show `done` (else the tree) with what happened; a
    refusal goes back to `back` with its reasons. `operation` returns the message to show."""
    try:
        message = operation()
    except AppError as error:
        db.session.rollback()
        if error.status not in (409, 422):
            raise
        flash(_reason(error), "error")
        return redirect(back)
    db.session.commit()
    flash(message, "success")
    return redirect(done or url_for("hierarchy.tree"))


def _reason(error):
    reasons = [reason for messages in error.fields.values() for reason in messages]
    return " ".join(reasons) or error.message


@bp.route("/new", methods=["GET", "POST"])
def create():
    """A unit born: the form (kind and parent preselected by `?kind=&parent_id=`), then the unit."""
    if request.method == "POST":
        def act():
            unit = lifecycle.create_unit(request.form.get("code"), request.form.get("name"),
                                         request.form.get("kind"), _chosen("parent_id"))
            return _("Đã tạo %(unit)s.", unit=unit.name)

        return _apply(act, url_for(".create", kind=request.form.get("kind"),
                                   parent_id=request.form.get("parent_id")), _next())
    parents = _active_units(Unit.kind.in_(sorted({k for kinds in reorg.PARENT_KINDS.values() for k in kinds})))
    return render_template("hierarchy/unit_form.html", unit=None, parents=parents,
                           kinds=reorg.PARENT_KINDS, kind_labels=reorg.KIND_LABELS,
                           chosen_kind=request.args.get("kind", "commune"), chosen_parent=request.args.get("parent_id"))


@bp.route("/<int:unit_id>/rename", methods=["GET", "POST"])
def rename(unit_id):
    unit = path_object("unit_id")
    if request.method == "POST":
        def act():
            before = unit.name
            if lifecycle.rename_unit(unit, request.form.get("name")):
                return _("Đã đổi tên %(before)s thành %(after)s.", before=before, after=unit.name)
            return _("%(unit)s đã mang tên này.", unit=unit.name)

        return _apply(act, url_for(".rename", unit_id=unit.id), _next())
    return render_template("hierarchy/unit_form.html", unit=unit)


@bp.get("/departments")
def departments():
    """The tenant's departments, renamed in place and added here (the list the importer uses follows them)."""
    units = db.session.execute(select(Unit).where(Unit.kind == "department")
                               .order_by(Unit.active.desc(), Unit.sort_order, Unit.code)).scalars().all()
    return render_template("hierarchy/departments.html", departments=units, root=root_unit())


def _next():
    """Where a form asked to go back to (same-site paths of this blueprint only), else the tree."""
    target = request.form.get("next") or ""
    return target if target.startswith("/app/units/") and "//" not in target else None
