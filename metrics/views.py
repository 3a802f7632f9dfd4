"""`/app/dashboard`: the director's overview of a unit's subtree (default: the user's top unit)."""
from datetime import date

from flask import Blueprint, render_template, request, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required

from core.extensions import db
from core.permissions import can
from core.timeutil import local_today
from hierarchy.models import Unit
from metrics import charts, figures
from metrics.dashboard import COLUMN_KEYS, COLUMNS, DEFAULT_SORT, build_dashboard
from metrics.periods import PRESETS, days_between, preset_range
from metrics.schemas import DEFAULT_DAYS, range_errors
from metrics.services import unit_for_metrics

bp = Blueprint("metrics", __name__, url_prefix="/app", template_folder="templates")
# The stylesheet is served outside /app, like every package's assets.
assets = Blueprint("metrics_assets", __name__, static_folder="static", static_url_path="/static/metrics")

PRESET_LABELS = (("7d", _l("7 ngày")), ("30d", _l("30 ngày")), ("90d", _l("90 ngày")), ("month", _l("Tháng này")),
                 ("quarter", _l("Quý này")), ("year", _l("Năm nay")))


def parse_period(args, today):
    """(from, to, preset or None, errors) from ?preset= or ?from=&to=; bad input falls back to 30 days."""
    errors = {}
    if args.get("from") or args.get("to"):
        days = {}
        for name in ("from", "to"):
            raw = (args.get(name) or "").strip()
            if raw:
                try:
                    days[name] = date.fromisoformat(raw)
                except ValueError:
                    errors[name] = ["Ngày không hợp lệ, cần dạng YYYY-MM-DD."]
        if not errors:
            day_to = days.get("to", today)
            day_from = days.get("from") or preset_range(f"{DEFAULT_DAYS}d", day_to)[0]
            errors = range_errors(day_from, day_to)
            if not errors:
                return day_from, day_to, None, {}
    preset = args.get("preset") if args.get("preset") in PRESETS else f"{DEFAULT_DAYS}d"
    if args.get("preset") and args.get("preset") not in PRESETS:
        errors["preset"] = ["Khoảng thời gian không hợp lệ."]
    return *preset_range(preset, today), (None if errors.get("preset") else preset), errors


def breadcrumbs(unit):
    """The unit's ancestors from the root down, each with whether the user may open its dashboard."""
    chain = db.session.execute(Unit.ancestors_of(unit).order_by(Unit.depth)).scalars().all()
    return [(member, can(current_user, "metrics.view", member)) for member in chain]


@bp.get("/dashboard")
@login_required
def dashboard():
    args = request.args
    errors = {}
    unit_id = None
    if args.get("unit_id"):
        try:
            unit_id = int(args["unit_id"])
        except ValueError:
            errors["unit_id"] = ["Mã đơn vị không hợp lệ."]
    unit = unit_for_metrics(current_user, unit_id)
    today = local_today()
    day_from, day_to, preset, period_errors = parse_period(args, today)
    errors.update(period_errors)
    sort = args.get("sort") if args.get("sort") in COLUMN_KEYS else DEFAULT_SORT
    direction = args.get("dir") if args.get("dir") in ("asc", "desc") else ("asc" if sort == "name" else "desc")
    data = build_dashboard(unit, day_from, day_to, sort, direction == "desc")
    period = {"preset": preset} if preset else {"from": day_from.isoformat(), "to": day_to.isoformat()}

    def link(**overrides):
        params = {"unit_id": unit.id, **period, "sort": sort, "dir": direction}
        if "preset" in overrides or "from" in overrides:
            params = {key: value for key, value in params.items() if key not in ("preset", "from", "to")}
        params.update(overrides)
        return url_for("metrics.dashboard", **params)

    return render_template(
        "metrics/dashboard.html", unit=unit, crumbs=breadcrumbs(unit), day_from=day_from, day_to=day_to,
        days=days_between(day_from, day_to), preset=preset, presets=PRESET_LABELS, errors=errors, sort=sort,
        direction=direction, columns=COLUMNS, link=link, fmt=charts,
        definition=lambda key: dict((k, d) for k, _l, d in figures.definitions([key])).get(key, ""), **data,
    ), (422 if errors else 200)


@bp.get("/metrics/definitions")
@login_required
def definitions():
    """What every figure counts: the dashboard's "?" links here, the exports print the same texts."""
    return render_template("metrics/definitions.html", definitions=figures.definitions(),
                           min_base=figures.MIN_PERCENT_BASE, english={key: f.label_en for key, f in
                                                                        figures.FIGURES.items()})
