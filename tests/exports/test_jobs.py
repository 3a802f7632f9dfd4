"""The export job: claimed once, progress as it goes, recovered by the sweep after a crash, files expire."""
import re
from datetime import timedelta

import time_machine
from sqlalchemy import func, select, update

from core import reports
from core.audit import AuditLog
from core.extensions import db
from core.tenancy import load
from core.timeutil import utcnow
from metrics.exports import jobs
from metrics.exports.models import Export
from metrics.exports.services import private_storage


def _request(client, headers, **body):
    response = client.post("/api/v1/exports", json=body, headers=headers)
    assert response.status_code == 202, response.get_data(as_text=True)
    return response.json["id"]


def _done_records(export_id):
    return db.session.execute(select(func.count()).select_from(AuditLog).where(
        AuditLog.action == "export.done", AuditLog.target_id == str(export_id))).scalar_one()


def test_a_worker_killed_mid_export_is_requeued_by_the_sweep_and_finished_once(client, world, bearer, run_jobs,
                                                                               in_tenant, tenant_a, monkeypatch):
    # The job does not run at request time here: a worker "takes" it and dies.
    monkeypatch.setattr("metrics.exports.services.enqueue_export", lambda *ids: None)
    headers = bearer("auditor")
    export_id = _request(client, headers, report="audit", format="csv", unit_id=world["a"].units["root"].id)
    with in_tenant(tenant_a):
        db.session.execute(update(Export).where(Export.id == export_id).values(
            status="running", attempts=1, progress=40, heartbeat_at=utcnow() - timedelta(minutes=1)))
        db.session.commit()
        jobs.sweep_exports()  # a fresh heartbeat: the worker may be alive, nothing happens
        assert load(Export, export_id).status == "running"
        db.session.execute(update(Export).where(Export.id == export_id).values(
            heartbeat_at=utcnow() - timedelta(minutes=30)))
        db.session.commit()
    jobs.sweep_exports()
    run_jobs()
    state = client.get(f"/api/v1/exports/{export_id}", headers=headers).json
    assert state["status"] == "done" and state["progress"] == 100
    with in_tenant(tenant_a):
        export = load(Export, export_id)
        assert export.attempts == 2 and re.search(rf"/{export_id}-2-[0-9a-f]{{16}}\.csv$", export.file_key)
        assert _done_records(export_id) == 1
        first_sha = export.sha256
    # The dead worker's queue entry runs later, and the sweep runs again: nothing changes.
    jobs.run_export(tenant_a.tenant_id, export_id)
    jobs.sweep_exports()
    run_jobs()
    with in_tenant(tenant_a):
        export = load(Export, export_id)
        assert (export.status, export.attempts, export.sha256) == ("done", 2, first_sha)
        assert _done_records(export_id) == 1


def test_an_export_stalled_too_often_fails_instead_of_looping(client, world, bearer, in_tenant, tenant_a,
                                                              monkeypatch):
    monkeypatch.setattr("metrics.exports.services.enqueue_export", lambda *ids: None)
    export_id = _request(client, bearer("auditor"), report="metrics", format="csv",
                         unit_id=world["a"].units["root"].id)
    with in_tenant(tenant_a):
        db.session.execute(update(Export).where(Export.id == export_id).values(
            status="running", attempts=jobs.MAX_ATTEMPTS, heartbeat_at=utcnow() - timedelta(hours=1)))
        db.session.commit()
    jobs.sweep_exports()
    with in_tenant(tenant_a):
        export = load(Export, export_id)
        assert export.status == "failed" and export.error


def test_a_superseded_attempt_cannot_finish(client, world, bearer, in_tenant, tenant_a, monkeypatch):
    """The sweep handed the export to attempt 2 while attempt 1 was still writing: attempt 1 gives up."""
    monkeypatch.setattr("metrics.exports.services.enqueue_export", lambda *ids: None)
    export_id = _request(client, bearer("auditor"), report="metrics", format="csv",
                         unit_id=world["a"].units["root"].id)
    saved = []
    storage = private_storage()
    original_save = storage.save

    def save_then_lose_ownership(key, data):
        db.session.execute(update(Export).where(Export.id == export_id).values(attempts=Export.attempts + 1))
        db.session.commit()
        saved.append(key)
        return original_save(key, data)

    monkeypatch.setattr(storage, "save", save_then_lose_ownership)
    monkeypatch.setattr(jobs, "private_storage", lambda: storage)
    jobs.run_export(tenant_a.tenant_id, export_id)
    with in_tenant(tenant_a):
        export = load(Export, export_id)
        assert export.status == "running" and export.file_key == ""
        assert _done_records(export_id) == 0
    assert len(saved) == 1 and not storage.exists(saved[0])


def test_progress_is_committed_as_rows_stream_in_small_chunks(client, world, bearer, in_tenant, tenant_a, run_jobs,
                                                              monkeypatch):
    from core import audit

    with in_tenant(tenant_a):
        for index in range(120):
            audit.record("test.bulk", unit_id=world["a"].units["commune"].id, details={"n": index})
        db.session.commit()
    monkeypatch.setattr(reports, "CHUNK", 7)
    monkeypatch.setattr(jobs, "PROGRESS_STEP", 1)
    seen = []
    original = jobs._Progress.__call__

    def spy(self, done):
        original(self, done)
        seen.append(db.session.execute(select(Export.progress).where(Export.id == self.export_id)).scalar_one())

    monkeypatch.setattr(jobs._Progress, "__call__", spy)
    monkeypatch.setattr(jobs, "PROGRESS_EVERY", 10)
    headers = bearer("auditor")
    state_id = _request(client, headers, report="audit", format="xlsx", unit_id=world["a"].units["root"].id,
                        action="test.bulk")
    run_jobs()
    state = client.get(f"/api/v1/exports/{state_id}", headers=headers).json
    assert state["status"] == "done" and state["row_count"] == 120
    assert seen and seen == sorted(seen) and 0 < max(seen) < 100


def test_rights_are_checked_again_when_the_job_runs(client, world, bearer, in_tenant, tenant_a, monkeypatch):
    from tenants.models import User

    monkeypatch.setattr("metrics.exports.services.enqueue_export", lambda *ids: None)
    export_id = _request(client, bearer("auditor"), report="tips", format="csv", unit_id=world["a"].units["root"].id)
    with in_tenant(tenant_a):
        db.session.execute(update(User).where(User.id == world["a"].users["auditor"].id).values(active=False))
        db.session.commit()
    jobs.run_export(tenant_a.tenant_id, export_id)
    with in_tenant(tenant_a):
        export = load(Export, export_id)
        assert export.status == "failed" and "quyền" in export.error and export.file_key == ""


def test_expired_files_are_deleted_by_the_sweep(client, world, bearer, run_jobs, in_tenant, tenant_a):
    headers = bearer("auditor")
    export_id = _request(client, headers, report="metrics", format="xlsx", unit_id=world["a"].units["root"].id)
    run_jobs()
    with in_tenant(tenant_a):
        key = load(Export, export_id).file_key
    assert private_storage().exists(key)
    with time_machine.travel(utcnow() + timedelta(days=6), tick=False):
        jobs.sweep_exports()
    assert private_storage().exists(key)
    with time_machine.travel(utcnow() + timedelta(days=7, minutes=1), tick=False):
        jobs.sweep_exports()
    assert not private_storage().exists(key)
    state = client.get(f"/api/v1/exports/{export_id}", headers=headers).json
    assert state["status"] == "expired" and state["download_url"] is None
    response = client.get(f"/api/v1/exports/{export_id}/download", headers=headers)
    assert response.status_code == 404 and response.json["error"]["code"] == "expired"


def test_an_export_finished_while_the_sweep_looks_is_not_made_again(client, world, bearer, in_tenant, tenant_a,
                                                                   monkeypatch):
    """The sweep reads a stalled export; its slow worker commits the finished export just then: the sweep must
    not put it back in the queue (it would be made, and audited, a second time)."""
    monkeypatch.setattr("metrics.exports.services.enqueue_export", lambda *ids: None)
    export_id = _request(client, bearer("auditor"), report="metrics", format="csv",
                         unit_id=world["a"].units["root"].id)
    with in_tenant(tenant_a):
        db.session.execute(update(Export).where(Export.id == export_id).values(
            status="running", attempts=1, heartbeat_at=utcnow() - timedelta(hours=1)))
        db.session.commit()
        read_stalled = db.session.execute

        def finish_between_read_and_write(statement, *args, **kwargs):
            result = read_stalled(statement, *args, **kwargs)
            if getattr(statement, "is_select", False) and "heartbeat_at" in str(statement):
                read_stalled(update(Export).where(Export.id == export_id).values(status="done", progress=100))
            return result

        monkeypatch.setattr(db.session, "execute", finish_between_read_and_write)
        assert jobs.recover_stalled() == []
        monkeypatch.undo()
        assert load(Export, export_id).status == "done"
