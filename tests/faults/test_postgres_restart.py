"""A PostgreSQL of the test's own restarted under the app's feet: the app recovers without a restart
(pooled connections are checked before use), and no answer during the outage is a page with a stack trace
(a 500/503 in the error envelope, or the Vietnamese error page, is what a user may see)."""
import threading
import time
import uuid

import pytest
from sqlalchemy.engine import make_url

from core.extensions import db
from core.tenancy import platform_scope, tenant_scope
from tests.conftest import make_config
from tests.faults.conftest import SERVICES_ONLY, wait_until

pytestmark = [pytest.mark.services, SERVICES_ONLY]
TRACE_MARKERS = ("Traceback", 'File "/', "psycopg", "sqlalchemy", "OperationalError")


@pytest.fixture
def pg_app(app, own_postgres, tmp_root):
    """An app on the test's own PostgreSQL with a tenant, a commune page and a director's token."""
    from core import create_app
    from tenants import services

    url = make_url(own_postgres.url).set(drivername="postgresql+psycopg").render_as_string(hide_password=False)
    pg = create_app(make_config(tmp_root, url, REDIS_URL=None))
    with pg.app_context():
        db.create_all()
        with platform_scope():
            tenant = services.create_tenant(f"pg-{uuid.uuid4().hex[:6]}", "", "84", "2025-06-30")
            db.session.commit()
        with tenant_scope(tenant.id):
            director = services.create_user("lanh-dao@pg.test", "mat-khau-du-dai-1", "director", tenant=tenant,
                                            unit_code="84")
            secret, _token = services.create_token(director, "thu")
            db.session.commit()
        pg.paths = [(f"/p/{tenant.slug}/29236", {}), ("/api/v1/units?code=842", {"Authorization": f"Bearer {secret}"}),
                    ("/healthz", {})]
        db.session.remove()
    yield pg
    with pg.app_context():
        db.session.remove()
        db.engine.dispose()


def _every_path_answers(app):
    client = app.test_client()
    return [client.get(path, headers=headers).status_code for path, headers in app.paths]


def _no_stack_trace(status, content_type, body):
    assert not any(marker in body for marker in TRACE_MARKERS), (status, body[:400])
    if status >= 500:
        assert status in (500, 503), status
        if content_type.startswith("application/json"):
            assert ('"error"' in body and '"code"' in body) or '"db":"down"' in body, body[:200]
        else:
            assert "Vui lòng thử lại" in body or "gián đoạn" in body, body[:400]


def test_an_idle_pool_survives_a_restart(pg_app, own_postgres):
    assert _every_path_answers(pg_app) == [200, 200, 200]  # the pool now holds connections
    own_postgres.stop()
    own_postgres.start()
    assert _every_path_answers(pg_app) == [200, 200, 200]  # stale connections were replaced, not used


def test_requests_during_an_outage_get_an_error_page_and_then_succeed(pg_app, own_postgres):
    answers, escaped, stop = [], [], threading.Event()

    def load():
        client = pg_app.test_client()
        while not stop.is_set():
            for path, headers in pg_app.paths:
                try:
                    response = client.get(path, headers=headers)
                except Exception as error:  # escaped the app (F7): the WSGI server answers a bare 500
                    escaped.append((time.monotonic(), type(error).__name__))
                    continue
                answers.append((time.monotonic(), response.status_code, response.content_type,
                                response.get_data(as_text=True)))

    threads = [threading.Thread(target=load, daemon=True) for _ in range(2)]
    for thread in threads:
        thread.start()
    try:
        wait_until(lambda: len(answers) >= 6, timeout=20, what="requests before the outage")
        own_postgres.stop()
        during = len(answers)
        wait_until(lambda: len(answers) >= during + 6, timeout=20, what="requests during the outage")
        own_postgres.start()
        restarted = time.monotonic()
        wait_until(lambda: sum(1 for at, status, *_ in answers if at > restarted + 0.5 and status == 200) >= 6,
                   timeout=30, what="successful requests after the restart")
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout=30)
    failed = [(status, body[:100]) for _at, status, _type, body in answers if status >= 500]
    assert failed, "the outage was not seen by any request"
    for _at, status, content_type, body in answers:
        _no_stack_trace(status, content_type, body)
    assert not [name for at, name in escaped if at > restarted + 0.5], escaped
    late = [status for at, status, *_ in answers if at > restarted + 0.5]
    assert late and all(status == 200 for status in late[-6:]), late[-12:]
