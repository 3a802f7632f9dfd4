"""`GET /api/v1/units` and `GET /api/v1/units/<id>`: the units in the caller's scope."""
from flask_login import current_user, login_required

from core.api import Blueprint, page_schema
from core.errors import NotFound
from core.pagination import paginate
from core.permissions import require
from core.tenancy import load
from hierarchy.models import Unit
from hierarchy.schemas import UnitQueryArgs, UnitSchema
from hierarchy.services import units_in_scope

blp = Blueprint("hierarchy_api", __name__, url_prefix="/api/v1", description="Đơn vị")


@blp.route("/units")
@blp.arguments(UnitQueryArgs, location="query")
@blp.response(200, page_schema(UnitSchema, "UnitPage"))
@login_required
def list_units(args):
    statement = units_in_scope(current_user, code=args.get("code"), kind=args.get("kind"),
                               parent_id=args.get("parent_id"), query=args.get("q"))
    return paginate(statement, args["page"], args["per_page"])


@blp.route("/units/<int:unit_id>")
@blp.response(200, UnitSchema)
@login_required
def get_unit(unit_id):
    unit = load(Unit, unit_id)
    if unit is None:
        raise NotFound()
    return require(current_user, "unit.view", unit)
