"""The inbox's reports (`core.reports`): the tips register and SLA compliance, never identity nor free text.

The tips register names its columns one by one and leaves out description, place, messages and the reporter;
nothing identifying a reporter, and no citizen free text, is ever selected.
"""
from datetime import UTC

from sqlalchemy import case, func, null, select
from sqlalchemy.orm import aliased

from core.reports import Report, chart, count_of, count_section, grouped_counts, labels, pick, stream, within
from core.tenancy import TenantScopeMissing, current_tenant_id
from core.timeutil import utcnow
from hierarchy.models import Unit
from inbox.constants import CATEGORIES, CHANNELS, RESOLUTIONS, SEVERITIES, STATUSES
from inbox.models import Escalation, Tip

YES, NO, NOT_YET_DUE = "Có", "Không", "Chưa đến hạn"
UNSETTLED = ("spam", "duplicate")  # resolutions the SLA does not count


def _aware(moment):
    """`moment` comparable with aware datetimes: naive ones (read back from SQLite) are UTC. Cheaper than
    `as_utc`, which converts aware ones too: a register compares two per row."""
    return moment.replace(tzinfo=UTC) if moment is not None and moment.tzinfo is None else moment


def _sla_state(resolution, resolved_at, closed_at, resolve_due_at, now):
    """Met / missed / not yet due, for a tip the unit had to settle (spam and duplicates are not counted)."""
    if resolution in UNSETTLED:
        return ""
    done, due = _aware(resolved_at or closed_at), _aware(resolve_due_at)
    if done is not None:
        return YES if due is None or done <= due else NO
    return NO if due is not None and due < now else NOT_YET_DUE


def _sla_state_sql(resolution, resolved_at, closed_at, resolve_due_at, now):
    """`_sla_state` as a SQL expression (NULL for "")."""
    done = func.coalesce(resolved_at, closed_at)
    return case((resolution.in_(UNSETTLED), null()),
                (done.is_not(None), case((resolve_due_at.is_(None) | (done <= resolve_due_at), YES), else_=NO)),
                (resolve_due_at < now, NO), else_=NOT_YET_DUE)


def _labelled(expression, names):
    """The label of `expression`'s key in SQL, the key itself when it has none (as `names.get(key, key)`)."""
    return case(names, value=expression, else_=expression) if names else expression


def _tips_copy_select(statement, names, now):
    """The tips register's raw cells in SQL, from the register's own statement, for COPY: the sort key, then one
    value per column, labels looked up (the exports package formats the cells).

    COPY runs outside the session's tenancy hook, so the tenant is named here, explicitly, beside the
    subtree's unit ids the statement already lists."""
    tenant_id = current_tenant_id()
    if tenant_id is None:  # `tenant_id = NULL` would copy nothing, silently
        raise TenantScopeMissing("a register's COPY names its tenant")
    row = statement.where(Tip.tenant_id == tenant_id).subquery("register").c
    return select(
        row.id, row.tracking_code, row.unit_code, row.unit_name, row.first_unit_code,
        _labelled(row.channel, names["channel"]), _labelled(row.category, names["category"]),
        _labelled(row.severity, names["severity"]), _labelled(row.status, names["status"]),
        _labelled(row.resolution, names["resolution"]), row.created_at, row.acknowledged_at, row.resolved_at,
        row.closed_at, _sla_state_sql(row.resolution, row.resolved_at, row.closed_at, row.resolve_due_at, now),
        case((row.overdue, YES)), row.escalations,
    )


def _subtree_ids(unit):
    """The subtree's unit ids as a literal list: with a path prefix inside the register query PostgreSQL
    under-estimates the subtree (23 units estimated for 567) and plans the register badly."""
    from core.extensions import db

    return db.session.execute(Unit.subtree_of(unit).with_only_columns(Unit.id)).scalars().all()


def _tips_base(p):
    return (select(Tip.id.label("id")).join(Unit, Unit.id == Tip.unit_id)
            .where(Tip.unit_id.in_(_subtree_ids(p.unit)), within(Tip.created_at, p)))


def tips_report(p):
    first_unit = aliased(Unit)
    escalations = (select(func.count(Escalation.id)).where(Escalation.tip_id == Tip.id)
                   .correlate(Tip).scalar_subquery())
    statement = _tips_base(p).add_columns(
        Tip.tracking_code, Unit.code.label("unit_code"), Unit.name.label("unit_name"),
        first_unit.code.label("first_unit_code"), Tip.channel, Tip.category, Tip.severity, Tip.status,
        Tip.resolution, Tip.created_at, Tip.acknowledged_at, Tip.resolved_at, Tip.closed_at, Tip.resolve_due_at,
        Tip.overdue, escalations.label("escalations"),
    ).join(first_unit, first_unit.id == Tip.first_unit_id)
    names = {"category": labels(CATEGORIES), "severity": labels(SEVERITIES), "status": labels(STATUSES),
             "resolution": labels(RESOLUTIONS), "channel": labels(CHANNELS)}
    columns = [
        ("tracking_code", "Mã tin báo", "text"), ("unit_code", "Mã đơn vị", "text"),
        ("unit_name", "Đơn vị đang xử lý", "text"), ("first_unit_code", "Đơn vị tiếp nhận đầu", "text"),
        ("channel", "Kênh", "text"), ("category", "Loại tin", "text"), ("severity", "Mức độ", "text"),
        ("status", "Trạng thái", "text"), ("resolution", "Kết quả", "text"),
        ("created_at", "Tiếp nhận lúc", "datetime"), ("acknowledged_at", "Xác nhận lúc", "datetime"),
        ("resolved_at", "Giải quyết lúc", "datetime"), ("closed_at", "Đóng lúc", "datetime"),
        ("sla", "Đúng hạn", "text"), ("overdue", "Quá hạn", "text"), ("escalations", "Số lần chuyển", "int"),
    ]
    now = utcnow()
    channel, category, severity = names["channel"].get, names["category"].get, names["severity"].get
    status, resolution_of = names["status"].get, names["resolution"].get

    def rows():
        for (_id, code, unit_code, unit_name, first_unit_code, channel_key, category_key, severity_key, status_key,
             resolution, created_at, acknowledged_at, resolved_at, closed_at, resolve_due_at, overdue,
             escalation_count) in stream(statement, Tip.id):
            yield (code, unit_code, unit_name, first_unit_code, channel(channel_key, channel_key or ""),
                   category(category_key, category_key or ""), severity(severity_key, severity_key or ""),
                   status(status_key, status_key or ""), resolution_of(resolution, resolution or ""),
                   created_at, acknowledged_at, resolved_at, closed_at,
                   _sla_state(resolution, resolved_at, closed_at, resolve_due_at, now), YES if overdue else "",
                   escalation_count)

    base = _tips_base(p).add_columns(Tip.status, Tip.category)
    return Report(
        title="Sổ theo dõi tin báo, tố giác", columns=columns, total=count_of(_tips_base(p)), rows=rows(),
        copy_select=_tips_copy_select(statement, names, now),
        summary=lambda: [count_section("Tin báo theo trạng thái", "Trạng thái",
                                       grouped_counts(base, "status", names["status"]))],
        chart=lambda: chart("Tin báo theo loại", grouped_counts(base, "category", names["category"])),
        pdf_tables=(("Danh sách tin báo", pick(columns, "tracking_code", "unit_name", "category", "severity",
                                               "status", "created_at", "sla", ("escalations", "Chuyển"))),))


def sla_report(p):
    """Compliance by unit and category, from the tips."""
    names = labels(CATEGORIES)
    statement = _tips_base(p).add_columns(Unit.path.label("path"), Unit.code.label("unit_code"),
                                          Unit.name.label("unit_name"), Tip.category, Tip.resolution,
                                          Tip.resolved_at, Tip.closed_at, Tip.resolve_due_at)
    now, groups, tally = utcnow(), {}, {YES: "met", NO: "missed"}
    for (_id, path, unit_code, unit_name, category, resolution, resolved_at, closed_at,
         resolve_due_at) in stream(statement, Tip.id):
        state = _sla_state(resolution, resolved_at, closed_at, resolve_due_at, now)
        if not state:
            continue
        group = groups.get((path, category))
        if group is None:
            group = groups[path, category] = {"unit_code": unit_code, "unit_name": unit_name,
                                              "category": names.get(category, category),
                                              "met": 0, "missed": 0, "pending": 0}
        group[tally.get(state, "pending")] += 1
    rows = [groups[key] for key in sorted(groups)]
    by_unit = {}
    for row in rows:
        row["total"] = row["met"] + row["missed"] + row["pending"]
        row["compliance"] = row["met"] / (row["met"] + row["missed"]) if row["met"] + row["missed"] else None
        unit_totals = by_unit.setdefault(row["unit_name"], [0, 0])
        unit_totals[0] += row["met"]
        unit_totals[1] += row["missed"]
    columns = [("unit_code", "Mã đơn vị", "text"), ("unit_name", "Đơn vị", "text"), ("category", "Loại tin", "text"),
               ("total", "Số tin báo", "int"), ("met", "Đúng hạn", "int"), ("missed", "Trễ hạn", "int"),
               ("pending", "Chưa đến hạn", "int"), ("compliance", "Tỷ lệ đúng hạn", "percent")]
    bars = [(name, met / (met + missed)) for name, (met, missed) in by_unit.items() if met + missed]
    return Report(title="Báo cáo tỷ lệ giải quyết tin báo đúng hạn", columns=columns, total=len(rows), rows=rows,
                  chart=lambda: chart("Tỷ lệ đúng hạn theo đơn vị", bars, "percent"),
                  pdf_tables=(("Theo đơn vị và loại tin", pick(columns, "unit_name", "category", ("total", "Số tin"),
                                                                "met", "missed", ("pending", "Chưa đến hạn"),
                                                                ("compliance", "Tỷ lệ"))),))
