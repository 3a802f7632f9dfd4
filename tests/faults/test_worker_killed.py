"""A real `rq worker` killed (-9, with its work horse) in the middle of an export: the periodic sweep puts the
export back in the queue, a second worker finishes it, and it is finished exactly once."""
import os
import uuid
from datetime import timedelta

import pytest
from sqlalchemy import func, select, update

from core.audit import AuditLog, chain_name, verify_chain
from core.extensions import db
from core.tenancy import platform_scope, tenant_scope
from core.timeutil import utcnow
from tests.conftest import make_config
from tests.faults.conftest import SERVICES_ONLY, kill_group, wait_until, worker_process

pytestmark = [pytest.mark.services, SERVICES_ONLY]


@pytest.fixture
def committed_app(app, own_redis, tmp_root, database_uri):
    """An app on the session database that really commits, queueing on the test's own Redis."""
    from core import create_app
    app = create_app(make_config(tmp_root, database_uri, REDIS_URL=own_redis.url))
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def _worker_env(app, own_redis, database_uri):
    env = dict(os.environ)
    env.update(DATABASE_URL=database_uri, REDIS_URL=own_redis.url, MEDIA_ROOT=app.config["MEDIA_ROOT"],
               PRIVATE_ROOT=app.config["PRIVATE_ROOT"], AUDIT_ANCHOR_DIR=app.config["AUDIT_ANCHOR_DIR"],
               KETNOI_TEST_EXPORT_PAUSE="60")
    return env


def _export(app, export_id, tenant_id):
    from metrics.exports.models import Export

    with app.app_context(), tenant_scope(tenant_id):
        return db.session.execute(select(Export).where(Export.id == export_id)).scalar_one()


def test_a_killed_worker_leaves_an_export_that_the_sweep_requeues_and_a_second_worker_finishes_once(
        committed_app, own_redis, database_uri):
    from metrics.exports.jobs import sweep_exports
    from metrics.exports.models import Export
    from tenants import services

    app = committed_app
    with app.app_context(), platform_scope():
        tenant = services.create_tenant(f"thu-loi-{uuid.uuid4().hex[:6]}", "", "84", "2025-06-30")
        db.session.commit()
        tenant_id = tenant.id
    with app.app_context(), tenant_scope(tenant_id):
        director = services.create_user(f"lanh-dao-{uuid.uuid4().hex[:6]}@thu-loi.test", "mat-khau-du-dai-1",
                                        "director", tenant=db.session.get(type(tenant), tenant_id), unit_code="84")
        secret, _token = services.create_token(director, "thu")
        db.session.commit()
        root_id = director.memberships[0].unit_id
    response = app.test_client().post("/api/v1/exports", headers={"Authorization": f"Bearer {secret}"},
                                      json={"report": "tips", "format": "csv", "unit_id": root_id})
    assert response.status_code == 202, response.get_json()
    export_id = response.get_json()["id"]

    env = _worker_env(app, own_redis, database_uri)
    with worker_process(own_redis.url, env, worker_class="tests.faults.slow_worker.SlowWorker") as first:
        wait_until(lambda: _export(app, export_id, tenant_id).status == "running", timeout=60,
                   what="the first worker to start the export")
        kill_group(first)
    assert _export(app, export_id, tenant_id).status == "running"  # abandoned mid-job

    with app.app_context(), tenant_scope(tenant_id):  # five minutes without a heartbeat
        db.session.execute(update(Export).where(Export.id == export_id).values(
            heartbeat_at=utcnow() - timedelta(minutes=6)))
        db.session.commit()
    with app.app_context():
        sweep_exports()
    assert _export(app, export_id, tenant_id).status == "queued"

    env["KETNOI_TEST_EXPORT_PAUSE"] = "0"
    with worker_process(own_redis.url, env, burst=True) as second:
        second.wait(timeout=90)
    export = _export(app, export_id, tenant_id)
    assert export.status == "done" and export.progress == 100 and export.attempts == 2
    with app.app_context(), tenant_scope(tenant_id):
        done = db.session.execute(select(func.count()).select_from(AuditLog).where(
            AuditLog.action == "export.done", AuditLog.target_id == str(export_id))).scalar_one()
        assert done == 1
        assert verify_chain(chain_name(tenant_id)) is None
    download = app.test_client().get(f"/api/v1/exports/{export_id}/download",
                                     headers={"Authorization": f"Bearer {secret}"})
    assert download.status_code == 200 and download.headers["X-Content-SHA256"] == export.sha256
