"""What the director's dashboard shows, computed from roll-ups: tiles with their change against the previous
period, trend charts, the ranking of child units with sparklines, and SLA and overdue tips by child unit."""
from dataclasses import dataclass, field

from flask_babel import lazy_gettext as _l

from metrics import charts, rollups
from metrics.figures import DERIVED_INPUTS, FIGURES, change, derive, label, tone
from metrics.periods import granularity_for, previous_period


@dataclass
class Tile:
    key: str
    label: str
    value: object
    display: str
    previous_display: str
    change_display: str
    tone: str  # "good", "bad" or "flat": how the change reads for this figure
    parts: list = field(default_factory=list)  # [(key, label, value, display)]
    note: str = ""


# (key, parts, note): label, kind and which way is better come from `metrics.figures`.
TILES = (
    ("posts_published", (), ""),
    ("post_views", (), ""),
    ("followers_net", ("followers_gained", "followers_lost"), ""),
    ("interactions", ("messages_in", "messages_out", "followers_gained"), ""),
    ("tips_received", (), ""),
    ("tips_acknowledged", ("tips_resolved",), ""),
    ("tips_overdue", ("tips_escalated",), ""),
    ("sla_compliance", ("sla_met", "sla_missed"), ""),
    ("first_response_median", (), _l("ước tính theo nhóm thời gian")),
    ("first_response_avg", ("first_response_count",), ""),
)

CHARTS = (
    ("tips", _l("Tin báo theo thời gian"), (("tips_received", _l("Tiếp nhận")),
                                             ("tips_acknowledged", _l("Đã phản hồi")),
                                             ("tips_overdue", _l("Quá hạn"))), False),
    ("followers", _l("Người theo dõi"), (("followers_gained", _l("Theo dõi mới")),
                                         ("followers_lost", _l("Bỏ theo dõi"))), False),
    ("messages", _l("Tin nhắn"), (("messages_in", _l("Đến")), ("messages_out", _l("Trả lời"))), False),
    ("posts", _l("Bài đăng"), (("posts_published", _l("Bài đăng")),), True),
)

# Ranking columns: (key, label). "name" sorts by the unit's name; the others by value, missing values last.
COLUMNS = (
    ("name", _l("Đơn vị")), ("posts_published", _l("Bài đăng")), ("followers_net", _l("Người theo dõi")),
    ("interactions", _l("Tương tác")), ("tips_received", _l("Tin báo")), ("tips_acknowledged", _l("Đã phản hồi")),
    ("tips_overdue", _l("Quá hạn")), ("sla_compliance", _l("Đúng hạn")),
)
COLUMN_KEYS = tuple(key for key, _label in COLUMNS)
DEFAULT_SORT = "interactions"
SPARK_FALLBACK = "interactions"


def figures(totals):
    """Counters and derived figures in one mapping."""
    return {**totals, **derive(totals)}


def display(value, kind):
    if kind == "ratio":
        return charts.percent(value)
    if kind == "duration":
        return charts.duration(value)
    return charts.number(value)


def compare(value, old, kind):
    """(delta, text): percentage points for a ratio; else the absolute difference, with the relative change in
    percent only when the previous figure is large enough (`figures.MIN_PERCENT_BASE`), "mới" when it was 0;
    (None, "—") when one side cannot be computed."""
    if value is None or old is None:
        return None, "—"
    if kind == "ratio":
        delta = (value - old) * 100
        return delta, charts.signed(delta, " " + str(_l("điểm %")))
    if kind == "duration":
        return value - old, charts.signed_duration(value - old)
    delta = value - old
    relative = change(value, old)
    if relative is not None:
        return delta, f"{charts.signed(delta)} ({charts.signed(relative, ' %')})"
    if old == 0 and value:
        return delta, f"{charts.signed(delta)} ({_l('mới')})"
    return delta, charts.signed(delta)


def build_tiles(current, previous):
    now, before = figures(current), figures(previous)
    tiles = []
    for key, parts, note in TILES:
        kind = FIGURES[key].kind
        value, old = now.get(key), before.get(key)
        delta, change_display = compare(value, old, kind)
        tiles.append(Tile(key, label(key), value, display(value, kind), display(old, kind), change_display,
                          tone(key, delta),
                          [(part, label(part).lower() if part not in ("sla_met", "sla_missed") else label(part),
                            now.get(part, 0), charts.number(now.get(part, 0))) for part in parts], str(note)))
    return tiles


def build_charts(unit, day_from, day_to):
    granularity = granularity_for(day_from, day_to)
    metrics = tuple(dict.fromkeys(metric for _key, _title, lines, _bars in CHARTS for metric, _label in lines))
    points = rollups.series(unit, day_from, day_to, metrics, granularity)
    return [charts.build_chart(key, str(title), points, [(metric, str(label)) for metric, label in lines],
                               granularity, as_bars=bars)
            for key, title, lines, bars in CHARTS]


def build_ranking(unit, result, day_from, day_to, sort, descending):
    """Rows of the child-unit ranking, sorted, each with a sparkline of the sorted figure over the period."""
    spark_metric = sort if sort not in ("name", "sla_compliance") else SPARK_FALLBACK
    inputs = DERIVED_INPUTS.get(spark_metric, (spark_metric,))
    by_child = rollups.child_series(unit, day_from, day_to, inputs) if result.children else {}
    rows = []
    for child in result.children:
        values = figures(child.totals)
        trend = [figures(point).get(spark_metric, 0) for _period, point in by_child.get(child.unit.id, [])]
        rows.append({"unit": child.unit, "values": values,
                     "display": {key: display(values.get(key), "ratio" if key == "sla_compliance" else "count")
                                 for key in COLUMN_KEYS if key != "name"},
                     "spark": charts.sparkline(trend), "spark_total": charts.number(sum(trend))})
    if sort == "name":
        rows.sort(key=lambda row: row["unit"].name, reverse=descending)
    else:
        present = [row for row in rows if row["values"].get(sort) is not None]
        missing = [row for row in rows if row["values"].get(sort) is None]
        present.sort(key=lambda row: (row["values"][sort], row["unit"].name), reverse=descending)
        rows = present + missing
    return rows, spark_metric


def build_sla(result):
    """Per child: SLA compliance and overdue tips, worst first (most overdue, then lowest compliance)."""
    rows = []
    for child in result.children:
        values = figures(child.totals)
        ratio = values["sla_compliance"]
        rows.append({"unit": child.unit, "ratio": ratio, "percent": charts.percent(ratio),
                     "bar": round(ratio * 100, 1) if ratio is not None else 0, "met": values["sla_met"],
                     "missed": values["sla_missed"], "overdue": values["tips_overdue"],
                     "received": values["tips_received"]})
    rows.sort(key=lambda row: (-row["overdue"], row["ratio"] if row["ratio"] is not None else 2, row["unit"].name))
    return rows


def build_dashboard(unit, day_from, day_to, sort=DEFAULT_SORT, descending=True):
    current = rollups.rollup(unit, day_from, day_to)
    previous_from, previous_to = previous_period(day_from, day_to)
    previous = rollups.totals(unit, previous_from, previous_to)
    ranking, spark_metric = build_ranking(unit, current, day_from, day_to, sort, descending)
    return {
        "rollup": current, "previous_from": previous_from, "previous_to": previous_to,
        "tiles": build_tiles(current.totals, previous), "charts": build_charts(unit, day_from, day_to),
        "ranking": ranking, "spark_metric": spark_metric, "sla_rows": build_sla(current),
    }
