"""`GET /api/v1/metrics/rollup`, `/series` and `/ranking`: roll-ups of a unit's subtree over local dates."""
from flask_login import current_user, login_required

from core.api import Blueprint
from metrics import rollups
from metrics.events import ALL_METRICS
from metrics.periods import granularity_for
from metrics.schemas import RangeArgs, RankingArgs, RankingSchema, RollupSchema, SeriesArgs, SeriesSchema
from metrics.services import unit_for_metrics

NOT_FOUND = "The unit does not exist, belongs to another tenant or lies outside the caller's scope."

blp = Blueprint("metrics_api", __name__, url_prefix="/api/v1/metrics", description="Số liệu và tổng hợp")


def rollup_body(result):
    """The CONTRACT shape of a roll-up (also what the dashboard's tiles are computed from)."""
    return {"unit_id": result.unit.id, "from_": result.day_from, "to": result.day_to, "totals": result.totals,
            "own": result.own, "children": [{"unit_id": child.unit.id, "name": child.unit.name,
                                             "totals": child.totals} for child in result.children]}


@blp.route("/rollup")
@blp.arguments(RangeArgs, location="query")
@blp.response(200, RollupSchema)
@blp.alt_response(404, description=NOT_FOUND)
@login_required
def get_rollup(args):
    """Totals of a unit's subtree over [from, to] (local days, both included): `totals` = `own` + the sum of
    the children's `totals`. Every metric is present, 0 when nothing was counted."""
    unit = unit_for_metrics(current_user, args.get("unit_id"))
    return rollup_body(rollups.rollup(unit, args["from_"], args["to"]))


@blp.route("/series")
@blp.arguments(SeriesArgs, location="query")
@blp.response(200, SeriesSchema)
@blp.alt_response(404, description=NOT_FOUND)
@login_required
def get_series(args):
    """Per-day (or per-month) totals of a unit's subtree, every period present, for charts."""
    unit = unit_for_metrics(current_user, args.get("unit_id"))
    metrics = tuple(dict.fromkeys(args.get("metric") or ALL_METRICS))
    granularity = args.get("granularity") or granularity_for(args["from_"], args["to"])
    points = rollups.series(unit, args["from_"], args["to"], metrics, granularity)
    return {"unit_id": unit.id, "from_": args["from_"], "to": args["to"], "granularity": granularity,
            "points": [{"period": period, "values": values} for period, values in points]}


@blp.route("/ranking")
@blp.arguments(RankingArgs, location="query")
@blp.response(200, RankingSchema)
@blp.alt_response(404, description=NOT_FOUND)
@login_required
def get_ranking(args):
    """The unit's children (or, with `kind`, every unit of that kind below it) ranked by one metric over their
    subtrees; units without a value (a ratio over nothing) come last."""
    unit = unit_for_metrics(current_user, args.get("unit_id"))
    ranked = rollups.ranking(unit, args["from_"], args["to"], args["metric"], kind=args.get("kind"),
                             descending=args["order"] == "desc")
    start = (args["page"] - 1) * args["per_page"]
    items = [{"rank": item.rank, "unit_id": item.unit.id, "code": item.unit.code, "name": item.unit.name,
              "kind": item.unit.kind, "value": item.value} for item in ranked[start:start + args["per_page"]]]
    return {"unit_id": unit.id, "from_": args["from_"], "to": args["to"], "metric": args["metric"],
            "kind": args.get("kind"), "items": items, "total": len(ranked)}

