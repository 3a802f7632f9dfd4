"""Exports: request one, find the caller's own, open its file. Services flush; the caller commits, and the
export job is enqueued by that commit."""
from datetime import timedelta

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select

from core import audit
from core.crypto import bound_cipher
from core.errors import Forbidden, Invalid, NotFound
from core.extensions import db
from core.jobs import enqueue
from core.permissions import can, require
from core.reports import report_types
from core.storage import LocalStorage, StreamingEncryptedStorage
from core.tenancy import load
from core.timeutil import local_today
from core.transaction import after_commit
from hierarchy.models import Unit
from metrics.exports.models import FORMATS, Export

QUEUE = "exports"
# A million-row XLSX takes minutes; rq would otherwise kill it at the default 10 minutes of a job.
EXPORT_TIMEOUT = 3600
MAX_RANGE_DAYS = 3 * 366
DEFAULT_RANGE_DAYS = 30


def private_storage():
    """Finished files, encrypted at rest like evidence (in constant memory: a register may be hundreds of MB)
    and readable by the app's own user only."""
    return StreamingEncryptedStorage(LocalStorage(current_app.config["PRIVATE_ROOT"], file_mode=0o600),
                                     *bound_cipher())


def export_ttl():
    return timedelta(days=int(current_app.config.get("EXPORT_TTL_DAYS") or 7))


def check_period(date_from, date_to):
    """Default: the last 30 local days. A range ending before it starts, or over three years, is a 422."""
    date_to = date_to or local_today()
    date_from = date_from or date_to - timedelta(days=DEFAULT_RANGE_DAYS - 1)
    if date_from > date_to:
        raise Invalid(_("Khoảng thời gian không hợp lệ."), {"from": [_("Ngày bắt đầu sau ngày kết thúc.")]})
    if (date_to - date_from).days >= MAX_RANGE_DAYS:
        raise Invalid(_("Khoảng thời gian quá dài."), {"to": [_("Tối đa 3 năm.")]})
    return date_from, date_to


def request_export(user, report, fmt, unit_id, date_from=None, date_to=None, filters=None):
    """Queue an export of `report` over the unit's subtree; its job is enqueued when the caller commits.

    Out of scope: 404; in scope without the right (export, plus the report's own read right): 403.
    """
    fields, types = {}, report_types()
    if report not in types:
        fields["report"] = [_("Giá trị phải là một trong: %(values)s.", values=", ".join(types))]
    if fmt not in FORMATS:
        fields["format"] = [_("Giá trị phải là một trong: %(values)s.", values=", ".join(FORMATS))]
    if fields:
        raise Invalid(fields=fields)
    unit = load(Unit, unit_id)
    if unit is None:
        raise NotFound(_("Không tìm thấy đơn vị."))
    require(user, "export.create", unit)
    require(user, types[report].action, unit)  # the report's own read right, on top of the export right
    date_from, date_to = check_period(date_from, date_to)
    kept = {key: value for key, value in (filters or {}).items() if key in types[report].filters and value}
    export = Export(requester_id=user.id, report=report, format=fmt, unit_id=unit.id, unit=unit,
                    date_from=date_from, date_to=date_to, filters=kept, status="queued", progress=0)
    db.session.add(export)
    db.session.flush()
    audit.record("export.request", target=export, unit_id=unit.id, details=scope_details(export))
    after_commit(enqueue_export, export.tenant_id, export.id)
    return export


def enqueue_export(tenant_id, export_id):
    enqueue("metrics.exports.jobs.run_export", tenant_id, export_id, queue_name=QUEUE, timeout=EXPORT_TIMEOUT)


def scope_details(export):
    """What an audit record says about an export's scope (no identity, no free text)."""
    details = {"report": export.report, "format": export.format, "unit": export.unit.code,
               "from": export.date_from.isoformat(), "to": export.date_to.isoformat()}
    if export.filters:
        details["filters"] = dict(export.filters)
    return details


def exports_of(user, limit=50):
    """The user's own exports, newest first (nobody else's: an export is its requester's)."""
    statement = select(Export).where(Export.requester_id == user.id).order_by(Export.id.desc()).limit(limit)
    return db.session.execute(statement).scalars().all()


def own_export(user, export_id):
    """The caller's export, or 404 (another user's export is not theirs to know about)."""
    export = load(Export, export_id)
    if export is None or export.requester_id != user.id:
        raise NotFound(_("Không tìm thấy tệp xuất."))
    return export


def open_download(user, export_id):
    """(export, readable file) for the requester of a finished, unexpired export, who still holds the rights
    it was made with (403 once they lost them); audited."""
    export = own_export(user, export_id)
    report = report_types().get(export.report)
    if report is None or not (can(user, "export.create", export.unit) and can(user, report.action, export.unit)):
        raise Forbidden(_("Bạn không còn quyền tải tệp xuất này."))
    if export.status == "expired":
        raise NotFound(_("Tệp đã hết hạn và đã bị xoá; hãy xuất lại."), code="expired")
    if export.status != "done" or not export.file_key:
        raise NotFound(_("Tệp chưa sẵn sàng."), code="not_ready")
    try:
        stream = private_storage().open(export.file_key)
    except FileNotFoundError:
        raise NotFound(_("Không tìm thấy tệp.")) from None
    audit.record("export.download", target=export, unit_id=export.unit_id,
                 details={"report": export.report, "format": export.format, "sha256": export.sha256})
    return export, stream
