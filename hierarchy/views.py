"""The staff tree page: the whole subtree, collapsible, with counts and a diacritics-insensitive search."""
from flask import Blueprint, abort, render_template, request
from flask_login import current_user, login_required

from core.extensions import db
from core.permissions import can
from hierarchy.services import subtree_sizes, units_in_scope

bp = Blueprint("hierarchy", __name__, template_folder="templates", url_prefix="/app")


@bp.get("/tree")
@login_required
def tree():
    if not can(current_user, "unit.view"):
        abort(403)
    query = (request.args.get("q") or "").strip()[:100]
    units = db.session.execute(units_in_scope(current_user)).scalars().all()
    matches = None
    if query:
        matches = db.session.execute(units_in_scope(current_user, query=query)).scalars().all()
    children = {}
    for unit in units:
        children.setdefault(unit.parent_id, []).append(unit)
    visible_ids = {unit.id for unit in units}
    roots = [unit for unit in units if unit.parent_id not in visible_ids]
    return render_template("hierarchy/tree.html", roots=roots, children=children, sizes=subtree_sizes(units),
                           total=len(units), query=query, matches=matches)

