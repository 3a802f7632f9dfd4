"""Test fixtures: one database per test session, a rolled-back transaction per test.

The embedded leg (no DATABASE_URL) uses a SQLite file in a temporary directory; the services leg
(`DATABASE_URL`, `REDIS_URL` set) creates its own PostgreSQL database `ketnoi_test_<pid>` on that server and
drops it afterwards, and uses the Redis it is given: each pytest-xdist worker takes its own database number
counting down from the one given (db 15, 14, ...), flushed at the start, so one worker's rq worker never runs
another's jobs.

Two tenants are built once per session with their real unit trees and a user per role:
`tra-vinh` (84, "tenant A") and `kien-giang` (91, "tenant B").
"""
import os
import tempfile
import uuid
from contextlib import contextmanager
from types import SimpleNamespace
from urllib.parse import urlsplit

import pytest
from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import make_url

from config import Config
from core import create_app
from core.extensions import db
from core.tenancy import platform_scope, tenant_scope

PASSWORD = "test-password-123"
# The fixtures' tenants are built on the map before the 2025 reform (three tiers), as the suite was written for.
PRE_REFORM_AS_OF = "2025-06-30"
ROLE_UNITS = {"director": "root", "unit_admin": "district", "officer": "commune", "auditor": "root"}


def _postgres_test_url(base_url):
    url = make_url(Config(env={"DATABASE_URL": base_url}).SQLALCHEMY_DATABASE_URI)
    name = f"ketnoi_test_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return url.set(database=name), name


def _drop_postgres(url, name):
    admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(scope="session")
def services_leg():
    return bool(os.environ.get("DATABASE_URL"))


@pytest.fixture(scope="session")
def tmp_root():
    with tempfile.TemporaryDirectory(prefix="ketnoi-test-") as root:
        yield root


def _worker_redis_url(url):
    """The given Redis URL with this xdist worker's own database number."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "gw0")
    parsed = urlsplit(url)
    base = int(parsed.path.strip("/") or 15)
    return parsed._replace(path=f"/{base - int(worker.lstrip('gw') or 0)}").geturl()


def make_config(tmp_root, database_uri, **overrides):
    env = {key: value for key, value in os.environ.items() if key != "DATABASE_URL"}
    if env.get("REDIS_URL"):
        env["REDIS_URL"] = _worker_redis_url(env["REDIS_URL"])
    config = Config(env=env)
    config.SQLALCHEMY_DATABASE_URI = database_uri
    config.TESTING = True
    config.MEDIA_ROOT = os.path.join(tmp_root, "media")
    config.PRIVATE_ROOT = os.path.join(tmp_root, "private")
    config.AUDIT_ANCHOR_DIR = os.path.join(tmp_root, "anchors")
    config.RATELIMIT_ENABLED = False
    # Recorded Zalo events keep the time they were recorded at (tests/security covers the window itself).
    config.ZALO_WEBHOOK_MAX_AGE_SECONDS = 0
    config.SERVER_NAME = None
    for key, value in overrides.items():
        setattr(config, key, value)
    return config


@pytest.fixture(scope="session")
def database_uri(tmp_root):
    base = os.environ.get("DATABASE_URL")
    if not base:
        yield f"sqlite:///{os.path.join(tmp_root, 'test.sqlite3')}"
        return
    url, name = _postgres_test_url(base)
    yield url.render_as_string(hide_password=False)
    _drop_postgres(url, name)


@pytest.fixture(scope="session")
def app(tmp_root, database_uri):
    app = create_app(make_config(tmp_root, database_uri))
    with app.app_context():
        if app.config["REDIS_URL"]:
            app.extensions["ketnoi_redis"].flushdb()
        db.create_all()
        app_role = _connect_as_app_role(app) if db.engine.dialect.name == "postgresql" else None
        world = _build_world(app)
        db.session.remove()
    app.world = world
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()
    if app_role:
        _drop_role(database_uri, app_role)


def _connect_as_app_role(app):
    """On PostgreSQL the suite runs as production does: the tables belong to the owner that created them, and
    the app works as a role row-level security binds (`flask db roles`). Each connection of the app's engine
    takes that role as it opens (`SET ROLE`, so `table_owner` can step back to the owner inside a test's
    transaction). The role is named after this session's database, so parallel sessions never share one."""
    from core import rls

    role = db.engine.url.database
    owner_url = db.engine.url.render_as_string(hide_password=False)
    with db.engine.begin() as connection:
        rls.enable(connection)
        rls.grant_app_role(connection, role, APP_ROLE_PASSWORD)

    @event.listens_for(db.engine, "connect")
    def _become_app_role(dbapi_connection, _record):
        dbapi_connection.execute(f'SET ROLE "{role}"')
        dbapi_connection.commit()

    db.engine.dispose()
    app.config["TEST_APP_ROLE"] = role
    app.config["DATABASE_OWNER_URL"] = owner_url
    # For apps a test makes itself that must log in as the app's role (production refuses a superuser).
    app.config["TEST_APP_ROLE_URL"] = db.engine.url.set(username=role, password=APP_ROLE_PASSWORD).render_as_string(
        hide_password=False)
    return role


APP_ROLE_PASSWORD = "ketnoi-app-test"


def _drop_role(database_uri, role):
    url = make_url(database_uri)
    _drop_postgres(url, url.database)
    admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP ROLE IF EXISTS "{role}"'))
    admin.dispose()


def _build_world(app):
    """Two tenants with real trees and a user per role; ids kept for the tests."""
    from hierarchy.models import Unit
    from tenants import services

    world = {}
    for key, slug, code in (("a", "tra-vinh", "84"), ("b", "kien-giang", "91")):
        with platform_scope():
            tenant = services.create_tenant(slug, "", code, PRE_REFORM_AS_OF)
            db.session.commit()
        with tenant_scope(tenant.id):
            root = db.session.execute(db.select(Unit).where(Unit.parent_id.is_(None))).scalar_one()
            district = db.session.execute(db.select(Unit).where(Unit.kind == "district").order_by(Unit.code)
                                          ).scalars().first()
            communes = db.session.execute(db.select(Unit).where(Unit.parent_id == district.id).order_by(Unit.code)
                                          ).scalars().all()
            department = db.session.execute(db.select(Unit).where(Unit.code == "PC04")).scalar_one()
            units = {"root": root, "district": district, "commune": communes[0], "sibling": communes[1],
                     "department": department}
            users = {}
            for role, unit_key in ROLE_UNITS.items():
                users[role] = services.create_user(f"{role}@{slug}.test", PASSWORD, role, tenant=tenant,
                                                   unit_code=units[unit_key].code, name=f"{role} {slug}")
            users["commune_admin"] = services.create_user(f"commune_admin@{slug}.test", PASSWORD, "unit_admin",
                                                          tenant=tenant, unit_code=units["commune"].code)
            users["district_officer"] = services.create_user(f"district_officer@{slug}.test", PASSWORD, "officer",
                                                             tenant=tenant, unit_code=units["district"].code)
            db.session.commit()
            world[key] = SimpleNamespace(
                tenant_id=tenant.id, slug=slug, code=code,
                units={name: SimpleNamespace(id=u.id, code=u.code, path=u.path, name=u.name)
                       for name, u in units.items()},
                users={name: SimpleNamespace(id=u.id, email=u.email) for name, u in users.items()},
            )
    services.create_user("platform@test.test", PASSWORD, "platform_admin")
    db.session.commit()
    return world


@pytest.fixture
def world(app):
    return app.world


def share_connection(app, connection):
    """Point `app`'s default bind at `connection`, so that every session of the app (and `db.engine`) runs
    inside the test's transaction; returns the engine it replaced. `db.engines` is Flask-SQLAlchemy's map of
    the current app's binds."""
    with app.app_context():
        engines = db.engines
        replaced, engines[None] = engines[None], connection
    return replaced


@pytest.fixture
def app_ctx(app, tmp_path):
    """An app context whose session runs inside one transaction that is rolled back after the test; audit
    anchors of this test go to a directory of its own (they would name records the rollback removes)."""
    anchors = app.config["AUDIT_ANCHOR_DIR"]
    app.config["AUDIT_ANCHOR_DIR"] = str(tmp_path / "anchors")
    with app.app_context():
        connection = db.engine.connect()
        transaction = connection.begin()
        original_engine = share_connection(app, connection)
        db.session.remove()
        db.session.configure(join_transaction_mode="create_savepoint")
        try:
            yield app
        finally:
            db.session.remove()
            share_connection(app, original_engine)
            transaction.rollback()
            connection.close()
            db.session.configure(join_transaction_mode="conditional_savepoint")
            app.config["AUDIT_ANCHOR_DIR"] = anchors


@pytest.fixture
def table_owner(app_ctx):
    """A context manager: inside it, the test's statements run as the tables' owner, not the app's role (what
    someone holding the owner's rights could do to the database, e.g. tamper with the audit log)."""
    role = app_ctx.config.get("TEST_APP_ROLE")

    @contextmanager
    def as_owner():
        if role:
            db.session.execute(text("RESET ROLE"))
        try:
            yield
        finally:
            if role:
                db.session.execute(text(f'SET ROLE "{role}"'))

    return as_owner


@pytest.fixture
def client(app_ctx):
    """A test client sharing the test's rolled-back transaction."""
    return app_ctx.test_client()


@pytest.fixture
def tenant_a(world):
    return world["a"]


@pytest.fixture
def tenant_b(world):
    return world["b"]


@contextmanager
def scope_of(tenant):
    with tenant_scope(tenant.tenant_id):
        yield


@pytest.fixture
def in_tenant():
    """`with in_tenant(tenant_a): ...` runs a block in that tenant's scope (as a job would)."""
    return scope_of


def login(client, email, password=PASSWORD):
    """Sign in through the real form (CSRF token included)."""
    page = client.get("/login")
    token = _csrf_from(page.get_data(as_text=True))
    response = client.post("/login", data={"email": email, "password": password, "csrf_token": token})
    assert response.status_code in (302, 303), response.get_data(as_text=True)[:500]
    return _csrf_from(client.get("/app/account").get_data(as_text=True))


def _csrf_from(html):
    marker = 'name="csrf-token" content="'
    start = html.index(marker) + len(marker)
    return html[start:html.index('"', start)]


@pytest.fixture
def login_as(client, world):
    """`login_as("director")` or `login_as("officer", tenant="b")`; returns the page CSRF token."""

    def _login(user_key, tenant="a"):
        return login(client, world[tenant].users[user_key].email)

    return _login


@pytest.fixture
def bearer(app_ctx, world):
    """`bearer("director", tenant="b")` → headers with a fresh API token for that user."""
    from tenants import services
    from tenants.models import User

    def _headers(user_key, tenant="a"):
        info = world[tenant]
        with tenant_scope(info.tenant_id):
            user = db.session.get(User, info.users[user_key].id)
            secret, _token = services.create_token(user, "test")
            db.session.commit()
        return {"Authorization": f"Bearer {secret}"}

    return _headers


@pytest.fixture
def run_jobs(app_ctx):
    """Run whatever is queued. Embedded: jobs already ran in-process; services leg: a real rq worker, burst."""

    def _run():
        if not app_ctx.config["REDIS_URL"]:
            return
        from rq import SimpleWorker

        from core.jobs import QUEUES

        connection = app_ctx.extensions["ketnoi_redis"]
        SimpleWorker(list(QUEUES), connection=connection).work(burst=True, with_scheduler=False)

    return _run


@pytest.fixture
def query_counter(app_ctx):
    """Count the SQL statements a block runs: `with query_counter() as count: ...; count.n`."""

    @contextmanager
    def _count():
        counter = SimpleNamespace(n=0)

        def _before(*_args):
            counter.n += 1

        engine = db.engine
        event.listen(engine, "before_cursor_execute", _before)
        try:
            yield counter
        finally:
            event.remove(engine, "before_cursor_execute", _before)

    return _count
