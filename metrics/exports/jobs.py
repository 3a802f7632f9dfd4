"""The export job (queue `exports`) and its sweep.

One attempt at a time: an attempt *claims* a queued export with a conditional UPDATE (queued → running,
attempts + 1) and owns it while its heartbeat is fresh. Rows are streamed into a local temporary file, whose
bytes are hashed and stored under a key of this attempt; only then does a second conditional UPDATE (still
running, still this attempt) mark it done, in the same transaction as the `export.done` audit record. A
worker killed mid-export leaves `running` with a stale heartbeat: the sweep puts it back to `queued` and
enqueues it again, and since a superseded attempt can no longer finish, the export is finished exactly once.
"""
import hashlib
import itertools
import logging
import secrets
import tempfile
import time
from datetime import timedelta

from flask_babel import force_locale
from sqlalchemy import select, update

from core import audit
from core.audit import AuditChainHead, chain_name
from core.extensions import db
from core.jobs import job
from core.permissions import can
from core.reports import Params, as_mappings, report_types
from core.tenancy import for_each_tenant, load, platform_scope, tenant_scope
from core.timeutil import local_day_bounds, utcnow
from metrics.exports.models import Export
from metrics.exports.services import enqueue_export, export_ttl, private_storage, scope_details

log = logging.getLogger(__name__)

STALE_AFTER = timedelta(minutes=5)  # no heartbeat for this long: the worker is gone
LOST_AFTER = timedelta(minutes=15)  # still queued after this long: the enqueue was lost
HEARTBEAT_SECONDS = 5
PROGRESS_STEP = 2  # percent
PROGRESS_EVERY = 500  # rows between two progress callbacks
MAX_ATTEMPTS = 3
PDF_ROW_LIMIT = 500  # rows of a register a PDF shows; WeasyPrint holds the whole document in memory


class Superseded(Exception):
    """This attempt no longer owns the export (the sweep gave it to a newer one)."""


@job
def run_export(tenant_id, export_id):
    with tenant_scope(tenant_id):
        attempt = _claim(export_id)
        if attempt is None:
            return
        try:
            _build(tenant_id, export_id, attempt)
        except Superseded:
            db.session.rollback()
            log.info("export %s attempt %s superseded", export_id, attempt)
        except Exception:  # any failure is reported on the export; retrying a deterministic error is pointless
            db.session.rollback()
            log.exception("export %s attempt %s failed", export_id, attempt)
            _settle(export_id, attempt, status="failed", error="Lỗi khi tạo tệp; vui lòng thử lại.")
            db.session.commit()


def _owned(export_id, attempt):
    return update(Export).where(Export.id == export_id, Export.status == "running", Export.attempts == attempt)


def _claim(export_id):
    now = utcnow()
    result = db.session.execute(
        update(Export).where(Export.id == export_id, Export.status == "queued")
        .values(status="running", attempts=Export.attempts + 1, progress=0, started_at=now, heartbeat_at=now)
        .execution_options(synchronize_session=False))
    if result.rowcount != 1:
        db.session.rollback()
        return None
    attempt = db.session.execute(select(Export.attempts).where(Export.id == export_id)).scalar_one()
    db.session.commit()
    return attempt


def _settle(export_id, attempt, **values):
    result = db.session.execute(_owned(export_id, attempt).values(finished_at=utcnow(), **values)
                                .execution_options(synchronize_session=False))
    return result.rowcount == 1


class _Progress:
    """The writers' progress callback: commits progress and heartbeat every few percent or seconds."""

    def __init__(self, export_id, attempt, total):
        self.export_id, self.attempt, self.total = export_id, attempt, max(total, 1)
        self.percent, self.beat = 0, time.monotonic()

    def __call__(self, done):
        percent = min(99, done * 100 // self.total)
        if percent < self.percent + PROGRESS_STEP and time.monotonic() - self.beat < HEARTBEAT_SECONDS:
            return
        result = db.session.execute(_owned(self.export_id, self.attempt)
                                    .values(progress=percent, heartbeat_at=utcnow())
                                    .execution_options(synchronize_session=False))
        db.session.commit()
        if result.rowcount != 1:
            raise Superseded()
        self.percent, self.beat = percent, time.monotonic()


def _counted(rows, progress):
    for done, row in enumerate(rows, 1):
        yield row
        if done % PROGRESS_EVERY == 0:
            progress(done)


def _chain_head(tenant_id):
    with platform_scope():
        head = db.session.execute(select(AuditChainHead).where(AuditChainHead.chain == chain_name(tenant_id))
                                  ).scalar_one_or_none()
    return f"{head.last_hash} (bản ghi số {head.last_seq})" if head else ""


def _write(export, report, out, progress):
    from metrics.exports.copy_csv import write_report_csv
    from metrics.exports.writers import write_xlsx

    if export.format == "csv":
        return write_report_csv(report, out, progress=progress, progress_every=PROGRESS_EVERY)
    if export.format == "xlsx":
        return write_xlsx(report.columns, report.rows, out, progress=progress, progress_every=PROGRESS_EVERY,
                          definitions=report.definitions)
    from metrics.exports.pdf import render_pdf

    tables = report.pdf_tables or (("Chi tiết", report.columns),)
    if len(tables) == 1:
        # A PDF shows the first rows and says how many more the CSV/XLSX hold: the rest are not read, only
        # counted (placeholders stand in for them), so a register of a million rows renders as fast as one page.
        shown = itertools.islice(_counted(as_mappings(report), progress), PDF_ROW_LIMIT)
        rows = itertools.chain(shown, itertools.repeat({}, max(0, report.total - PDF_ROW_LIMIT)))
    else:
        rows = list(_counted(as_mappings(report), progress))
    sections = [*report.summary(), *((heading, columns, rows) for heading, columns in tables)]
    if report.definitions:
        sections.append(("Định nghĩa các chỉ số", [("label", "Chỉ số", "text"), ("text", "Định nghĩa", "text")],
                         [{"label": name, "text": text} for name, text in report.definitions]))
    render_pdf(out, title=report.title, scope=export.unit.name, period=(export.date_from, export.date_to),
               generated_at=utcnow(), sections=sections, chart=report.chart(),
               audit_hash=_chain_head(export.tenant_id), row_limit=PDF_ROW_LIMIT)
    return report.total


def build_report(export, requester):
    """The export's report, built by the package that registered it (`core.reports`)."""
    start, end = local_day_bounds(export.date_from)[0], local_day_bounds(export.date_to)[1]
    params = Params(export.unit, export.date_from, export.date_to, start, end, dict(export.filters or {}), requester)
    return report_types()[export.report].build(params)


def _build(tenant_id, export_id, attempt):
    from tenants.models import User

    export = load(Export, export_id)
    requester = load(User, export.requester_id)
    # The right is checked again when the job runs: a role withdrawn since the request stops the export.
    if (requester is None or not requester.active or not can(requester, "export.create", export.unit)
            or not can(requester, report_types()[export.report].action, export.unit)):
        _settle(export_id, attempt, status="failed", error="Người yêu cầu không còn quyền xuất báo cáo này.")
        db.session.commit()
        return
    key = f"exports/{tenant_id}/{export_id}-{attempt}-{secrets.token_hex(8)}.{export.format}"
    storage = private_storage()
    # Report files are Vietnamese documents, whatever language the requester's screens are in.
    with force_locale("vi"), tempfile.TemporaryFile(prefix="ketnoi-export-") as out:
        report = build_report(export, requester)
        shown = min(report.total, PDF_ROW_LIMIT) if export.format == "pdf" else report.total
        row_count = _write(export, report, out, _Progress(export_id, attempt, shown))
        out.seek(0)
        digest = hashlib.sha256()
        for block in iter(lambda: out.read(1024 * 1024), b""):
            digest.update(block)
        size = out.tell()
        out.seek(0)
        storage.save(key, out)
    now = utcnow()
    if not _settle(export_id, attempt, status="done", progress=100, row_count=row_count, size=size,
                   sha256=digest.hexdigest(), file_key=key, expires_at=now + export_ttl(), heartbeat_at=now):
        db.session.rollback()
        storage.delete(key)
        raise Superseded()
    export = load(Export, export_id)
    audit.record("export.done", target=export, unit_id=export.unit_id, actor=(requester.id, requester.email),
                 details={**scope_details(export), "rows": row_count, "sha256": export.sha256, "bytes": size})
    db.session.commit()


@job
def sweep_exports():
    """Re-queue exports whose worker died (or whose enqueue was lost); delete expired files."""
    for tenant_id in for_each_tenant():
        requeue = recover_stalled()
        expire_files()
        db.session.commit()
        for export_id in requeue:
            enqueue_export(tenant_id, export_id)


def recover_stalled(now=None):
    """Ids of exports to enqueue again: stalled running ones (put back to queued) and long-queued ones.

    A stalled export is taken back by a conditional UPDATE (still running, same attempt, heartbeat still stale):
    a worker that finishes it while the sweep is looking keeps its result, and the export is not made twice."""
    now = now or utcnow()
    cutoff = now - STALE_AFTER
    stalled = db.session.execute(select(Export.id, Export.attempts).where(
        Export.status == "running", Export.heartbeat_at < cutoff)).all()
    requeue = []
    for export_id, attempts in stalled:
        given_up = attempts >= MAX_ATTEMPTS
        values = (dict(status="failed", finished_at=now, error="Quá số lần thử; vui lòng yêu cầu lại.") if given_up
                  else dict(status="queued", progress=0))
        taken = db.session.execute(
            update(Export).where(Export.id == export_id, Export.status == "running", Export.attempts == attempts,
                                 Export.heartbeat_at < cutoff)
            .values(**values).execution_options(synchronize_session=False)).rowcount
        if taken and not given_up:
            requeue.append(export_id)
    lost = db.session.execute(select(Export.id).where(
        Export.status == "queued", Export.created_at < now - LOST_AFTER)).scalars().all()
    db.session.flush()
    return requeue + [export_id for export_id in lost if export_id not in requeue]


def expire_files(now=None):
    """Delete the files of exports past their expiry; the export stays listed as expired."""
    now = now or utcnow()
    storage = private_storage()
    expired = db.session.execute(select(Export).where(Export.status == "done", Export.expires_at < now)
                                 ).scalars().all()
    for export in expired:
        storage.delete(export.file_key)
        export.status, export.file_key = "expired", ""
    db.session.flush()
    if expired:
        log.info("deleted %d expired export files", len(expired))
    return len(expired)
