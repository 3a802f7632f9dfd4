"""What an export holds: for each report kind, its columns, its rows (streamed) and, for the PDF, a summary
table and a chart.

Each register is read by ONE query, `CHUNK` rows at a time through a server-side cursor (`stream`): memory is
flat for a million rows and PostgreSQL walks the register once (a query per chunk re-read the subtree's register
every time, which made exports quadratic). The cursor lives on a session of its own, so the job commits its
progress on `db.session` without closing it. Registers yield tuples in column order, their labels looked up in
dicts built once per export: no dict per row. Nothing identifying a reporter, and no citizen free text, is ever
selected: the tips register names its columns one by one and leaves out description, place, messages and the
reporter.
"""
import json
from collections.abc import Callable, Iterable, Mapping
from datetime import UTC
from typing import NamedTuple

from sqlalchemy import case, func, null, or_, select
from sqlalchemy.orm import aliased

from core.extensions import db
from core.tenancy import TenantScopeMissing, current_tenant_id
from core.timeutil import local_day_bounds, utcnow
from hierarchy.models import Unit

CHUNK = 2000
YES, NO, NOT_YET_DUE = "Có", "Không", "Chưa đến hạn"
UNSETTLED = ("spam", "duplicate")  # resolutions the SLA does not count


class Report(NamedTuple):
    title: str
    columns: list
    total: int  # rows `rows` will yield (for the progress bar)
    rows: Iterable  # dicts by column key, or (registers) tuples in column order
    summary: Callable[[], list] = list  # extra PDF sections, before the main table
    chart: Callable[[], object] = lambda: None  # a BarChart for the PDF, or None
    # The PDF's tables: (heading, columns). A page is narrower than a sheet: each report picks the columns a
    # reader needs, and the CSV/XLSX keep them all. More than one table means `rows` is a list.
    pdf_tables: tuple = ()
    # The CSV as one SELECT of finished text cells in column order, for PostgreSQL's COPY (see copy_csv).
    copy_select: object = None


def pick(columns, *keys):
    """The columns named by `keys`, in that order; a (key, label) pair gives the column a shorter label (a
    PDF table's numeric headers do not wrap)."""
    by_key = {column[0]: column for column in columns}
    picked = []
    for key in keys:
        key, label = key if isinstance(key, tuple) else (key, by_key[key][1])
        picked.append((key, label, by_key[key][2]))
    return picked


class Params(NamedTuple):
    unit: Unit
    date_from: object
    date_to: object
    start: object  # UTC bounds of the local days
    end: object
    filters: dict
    user: object


def build_report(export, requester):
    start, end = local_day_bounds(export.date_from)[0], local_day_bounds(export.date_to)[1]
    params = Params(export.unit, export.date_from, export.date_to, start, end, dict(export.filters or {}), requester)
    return BUILDERS[export.report](params)


def stream(statement, key):
    """The rows (tuples) of `statement` in `key` order, from one query read `CHUNK` rows at a time.

    The query runs on a read-only session of its own (tenant-scoped like every session): committing the job's
    progress on `db.session` would otherwise end the transaction, and with it the server-side cursor. Joined to
    a connection already in a transaction (the tests' rolled-back one), it leaves that transaction alone."""
    session = db.session.session_factory(join_transaction_mode="rollback_only")
    try:
        yield from session.execute(statement.order_by(key), execution_options={"yield_per": CHUNK})
    finally:
        session.close()


def as_mappings(report):
    """The report's rows as dicts by column key (the PDF picks its columns by key); registers stream tuples."""
    keys = [column[0] for column in report.columns]
    for row in report.rows:
        yield row if isinstance(row, Mapping) else dict(zip(keys, row, strict=False))


def count_of(statement):
    return db.session.execute(select(func.count()).select_from(statement.order_by(None).subquery())).scalar_one()


def _in_subtree(path_column, unit):
    return path_column.startswith(unit.path, autoescape=True)


def _subtree_ids(unit):
    """The subtree's unit ids as a literal list: with a path prefix inside the register query PostgreSQL
    under-estimates the subtree (23 units estimated for 567) and plans the register badly."""
    return db.session.execute(select(Unit.id).where(_in_subtree(Unit.path, unit))).scalars().all()


def _labels(mapping):
    return {key: str(label) for key, label in mapping.items()}


def _within(column, p):
    return (column >= p.start) & (column < p.end)


def _grouped_counts(statement, name, labels=None):
    """[(label, n)] of `statement`'s rows grouped by its column `name`, largest first."""
    column = statement.order_by(None).subquery().c[name]
    grouped = select(column, func.count()).group_by(column)
    rows = sorted(db.session.execute(grouped).all(), key=lambda row: (-row[1], str(row[0])))
    return [((labels or {}).get(value, value) or "—", count) for value, count in rows]


def _count_section(heading, label, pairs):
    """A PDF section (heading, columns, rows): the pdf module takes plain tuples."""
    columns = [("label", label, "text"), ("count", "Số lượng", "int")]
    return heading, columns, [{"label": name, "count": count} for name, count in pairs]


def _chart(title, bars, value_type="int"):
    """A bar chart for the PDF, or None without bars. Imported late: WeasyPrint loads Pango on import, and
    only a PDF job should pay for that."""
    from metrics.exports.pdf import BarChart

    return BarChart(title, bars, value_type) if bars else None


# --- metrics: the dashboard's roll-up, by child unit ---------------------------------------------------------
METRIC_LABELS = {
    "posts_published": "Bài đã đăng", "post_views": "Lượt xem bài", "followers_gained": "Người theo dõi mới",
    "followers_lost": "Bỏ theo dõi", "followers_net": "Theo dõi tăng ròng", "messages_in": "Tin nhắn đến",
    "messages_out": "Tin nhắn trả lời", "interactions": "Lượt tương tác", "tips_received": "Tin báo tiếp nhận",
    "tips_acknowledged": "Tin báo đã xác nhận", "tips_resolved": "Tin báo đã giải quyết",
    "tips_escalated": "Tin báo chuyển cấp trên", "tips_overdue": "Tin báo quá hạn", "sla_met": "Đúng hạn",
    "sla_missed": "Trễ hạn",
}


def metrics_report(p):
    from metrics.kpis import derive
    from metrics.rollups import rollup

    result = rollup(p.unit, p.date_from, p.date_to)
    columns = [("code", "Mã đơn vị", "text"), ("name", "Đơn vị", "text")]
    columns += [(key, label, "int") for key, label in METRIC_LABELS.items()]
    columns += [("sla_compliance", "Tỷ lệ đúng hạn", "percent"),
                ("first_response_avg", "Phản hồi đầu trung bình (giờ)", "float"),
                ("first_response_median", "Phản hồi đầu trung vị (giờ)", "float")]

    def row(code, name, totals):
        figures = {**totals, **derive(totals)}
        for key in ("first_response_avg", "first_response_median"):
            figures[key] = figures[key] / 3600 if figures[key] is not None else None
        return {"code": code, "name": name, **figures}

    rows = [row(p.unit.code, f"{p.unit.name} (trực tiếp)", result.own)]
    rows += [row(child.unit.code, child.unit.name, child.totals) for child in result.children]
    rows.append(row("", "Tổng cộng", result.totals))
    bars = [(child.unit.name, child.totals.get("tips_received", 0)) for child in result.children]
    return Report(
        title="Báo cáo tổng hợp số liệu hoạt động", columns=columns, total=len(rows), rows=rows,
        chart=lambda: _chart("Tin báo tiếp nhận theo đơn vị trực thuộc", bars),
        pdf_tables=(
            ("Trang thông tin và tương tác", pick(
                columns, "name", ("posts_published", "Bài đăng"), ("post_views", "Lượt xem"),
                ("followers_gained", "Theo dõi mới"), ("followers_lost", "Bỏ theo dõi"),
                ("messages_in", "Tin nhắn đến"), ("messages_out", "Trả lời"))),
            ("Tin báo và thời hạn xử lý", pick(
                columns, "name", ("tips_received", "Tiếp nhận"), ("tips_resolved", "Giải quyết"),
                ("tips_escalated", "Chuyển lên"), ("tips_overdue", "Quá hạn"), ("sla_compliance", "Đúng hạn"),
                ("first_response_avg", "Phản hồi TB (giờ)"), ("first_response_median", "Trung vị (giờ)")))))


# --- tips: the register, never identity nor free text ---------------------------------------------------------
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


def _tips_copy_select(statement, labels, now):
    """The tips register's CSV cells in SQL, from the register's own statement, for COPY.

    COPY runs outside the session's tenancy hook, so the tenant is named here, explicitly, beside the
    subtree's unit ids the statement already lists."""
    from inbox.models import Tip
    from metrics.exports.copy_csv import labelled, local_time, neutral_text

    tenant_id = current_tenant_id()
    if tenant_id is None:  # `tenant_id = NULL` would copy nothing, silently
        raise TenantScopeMissing("a register's COPY names its tenant")
    row = statement.where(Tip.tenant_id == tenant_id).subquery("register").c
    return select(
        neutral_text(row.tracking_code), neutral_text(row.unit_code), neutral_text(row.unit_name),
        neutral_text(row.first_unit_code), labelled(row.channel, labels["channel"]),
        labelled(row.category, labels["category"]), labelled(row.severity, labels["severity"]),
        labelled(row.status, labels["status"]), labelled(row.resolution, labels["resolution"]),
        local_time(row.created_at), local_time(row.acknowledged_at), local_time(row.resolved_at),
        local_time(row.closed_at),
        _sla_state_sql(row.resolution, row.resolved_at, row.closed_at, row.resolve_due_at, now),
        case((row.overdue, YES)), row.escalations,
    ).order_by(row.id)


def _tips_base(p):
    from inbox.models import Tip

    return (select(Tip.id.label("id")).join(Unit, Unit.id == Tip.unit_id)
            .where(Tip.unit_id.in_(_subtree_ids(p.unit)), _within(Tip.created_at, p)))


def tips_report(p):
    from inbox.constants import CATEGORIES, CHANNELS, RESOLUTIONS, SEVERITIES, STATUSES
    from inbox.models import Escalation, Tip

    first_unit = aliased(Unit)
    escalations = (select(func.count(Escalation.id)).where(Escalation.tip_id == Tip.id)
                   .correlate(Tip).scalar_subquery())
    statement = _tips_base(p).add_columns(
        Tip.tracking_code, Unit.code.label("unit_code"), Unit.name.label("unit_name"),
        first_unit.code.label("first_unit_code"), Tip.channel, Tip.category, Tip.severity, Tip.status,
        Tip.resolution, Tip.created_at, Tip.acknowledged_at, Tip.resolved_at, Tip.closed_at, Tip.resolve_due_at,
        Tip.overdue, escalations.label("escalations"),
    ).join(first_unit, first_unit.id == Tip.first_unit_id)
    labels = {"category": _labels(CATEGORIES), "severity": _labels(SEVERITIES), "status": _labels(STATUSES),
              "resolution": _labels(RESOLUTIONS), "channel": _labels(CHANNELS)}
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
    channel, category, severity = labels["channel"].get, labels["category"].get, labels["severity"].get
    status, resolution_of = labels["status"].get, labels["resolution"].get

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
        copy_select=_tips_copy_select(statement, labels, now),
        summary=lambda: [_count_section("Tin báo theo trạng thái", "Trạng thái",
                                        _grouped_counts(base, "status", labels["status"]))],
        chart=lambda: _chart("Tin báo theo loại", _grouped_counts(base, "category", labels["category"])),
        pdf_tables=(("Danh sách tin báo", pick(columns, "tracking_code", "unit_name", "category", "severity",
                                               "status", "created_at", "sla", ("escalations", "Chuyển"))),))


# --- sla: compliance by unit and category, from the tips ------------------------------------------------------
def sla_report(p):
    from inbox.constants import CATEGORIES
    from inbox.models import Tip

    names = _labels(CATEGORIES)
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
                  chart=lambda: _chart("Tỷ lệ đúng hạn theo đơn vị", bars, "percent"),
                  pdf_tables=(("Theo đơn vị và loại tin", pick(columns, "unit_name", "category", ("total", "Số tin"),
                                                                "met", "missed", ("pending", "Chưa đến hạn"),
                                                                ("compliance", "Tỷ lệ"))),))


# --- posts: the register ------------------------------------------------------------------------------------
def posts_report(p):
    from content.models import Post, PostView

    kinds = {"news": "Tin tức", "warning": "Cảnh báo", "procedure": "Thủ tục", "notice": "Thông báo"}
    statuses = {"draft": "Nháp", "in_review": "Chờ duyệt", "approved": "Đã duyệt", "scheduled": "Hẹn giờ đăng",
                "published": "Đã đăng", "hidden": "Đã ẩn"}
    views = (select(func.count(PostView.id)).where(PostView.post_id == Post.id, PostView.day >= p.date_from,
                                                   PostView.day <= p.date_to).correlate(Post).scalar_subquery())
    base = (select(Post.id.label("id")).join(Unit, Unit.id == Post.unit_id).where(
        Post.unit_id.in_(_subtree_ids(p.unit)),
        or_(_within(Post.created_at, p), _within(Post.published_at, p))))
    statement = base.add_columns(Unit.code.label("unit_code"), Unit.name.label("unit_name"), Post.title, Post.kind,
                                 Post.status, Post.created_at, Post.approved_at, Post.published_at,
                                 views.label("views"))
    columns = [("id", "Số", "int"), ("unit_code", "Mã đơn vị", "text"), ("unit_name", "Đơn vị", "text"),
               ("title", "Tiêu đề", "text"), ("kind", "Loại bài", "text"), ("status", "Trạng thái", "text"),
               ("created_at", "Tạo lúc", "datetime"), ("approved_at", "Duyệt lúc", "datetime"),
               ("published_at", "Đăng lúc", "datetime"), ("views", "Lượt xem trong kỳ", "int")]

    kind_of, status_of = kinds.get, statuses.get

    def rows():
        for (post_id, unit_code, unit_name, title, kind, status, created_at, approved_at, published_at,
             view_count) in stream(statement, Post.id):
            yield (post_id, unit_code, unit_name, title, kind_of(kind, kind), status_of(status, status), created_at,
                   approved_at, published_at, view_count)

    with_status = base.add_columns(Post.status, Unit.name.label("unit_name"))
    return Report(
        title="Sổ theo dõi bài viết", columns=columns, total=count_of(base), rows=rows(),
        summary=lambda: [_count_section("Bài viết theo trạng thái", "Trạng thái",
                                        _grouped_counts(with_status, "status", statuses))],
        chart=lambda: _chart("Bài viết theo đơn vị", _grouped_counts(with_status, "unit_name")),
        pdf_tables=(("Danh sách bài viết", pick(columns, "unit_name", "title", "kind", "status", "published_at",
                                                ("views", "Lượt xem"))),))


# --- audit: the audit log, filtered as on its page ---------------------------------------------------------
def audit_report(p):
    from audit.views import audit_records
    from core.audit import AuditLog

    statement = audit_records(p.user, p.unit, p.filters.get("actor"), p.filters.get("action"), p.date_from,
                              p.date_to)
    listing = statement.with_only_columns(
        AuditLog.id.label("id"), AuditLog.seq, AuditLog.at, AuditLog.actor, AuditLog.action, AuditLog.unit_id,
        AuditLog.target_type, AuditLog.target_id, AuditLog.details, AuditLog.hash)
    codes = dict(db.session.execute(select(Unit.id, Unit.code)).all())
    columns = [("id", "Mã bản ghi", "int"), ("seq", "Số thứ tự chuỗi", "int"), ("at", "Thời điểm", "datetime"),
               ("actor", "Người thực hiện", "text"), ("action", "Hành động", "text"), ("unit", "Đơn vị", "text"),
               ("target", "Đối tượng", "text"), ("details", "Chi tiết", "text"), ("hash", "Mã băm", "text")]

    def rows():
        for row in stream(listing, AuditLog.id):
            row = row._mapping
            yield {**row, "unit": codes.get(row["unit_id"], ""),
                   "target": f"{row['target_type']} #{row['target_id']}" if row["target_type"] else "",
                   "details": json.dumps(row["details"] or {}, ensure_ascii=False, sort_keys=True),
                   "hash_short": row["hash"][:12] + "…"}

    actions = listing.with_only_columns(AuditLog.id.label("id"), AuditLog.action)
    return Report(
        title="Trích xuất nhật ký kiểm toán", columns=columns, total=count_of(listing), rows=rows(),
        chart=lambda: _chart("Bản ghi theo hành động", _grouped_counts(actions, "action")),
        pdf_tables=(("Các bản ghi", [*pick(columns, ("seq", "Số"), "at", "actor", "action", "unit", "target",
                                          "details"), ("hash_short", "Mã băm (đầu)", "text")]),))


BUILDERS = {"metrics": metrics_report, "tips": tips_report, "sla": sla_report, "posts": posts_report,
            "audit": audit_report}
