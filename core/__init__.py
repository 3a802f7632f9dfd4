"""The app factory: settings validated once, extensions initialised in a fixed order, features from one list."""
import importlib
import logging

from flask import Flask, current_app, g, request
from flask_login import current_user
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.routing import IntegerConverter

from config import Config, ConfigError
from core import errors, ratelimit, registry, rls, security, transaction  # noqa: F401  (transaction: the commit hooks)
from core.extensions import api, babel, csrf, db, limiter, login_manager, migrate
from core.i18n import localtime, select_locale
from core.nav import header_widgets, nav_items
from core.tenancy import (
    PLATFORM,
    TenantScopeMissing,
    current_scope,
    is_public_path,
    load_path_objects,
    set_request_tenant,
)
from core.urls import public_url

# Every feature package exposes `init_app(app)`, which registers its blueprints, API and CLI commands.
FEATURES = ("tenants", "hierarchy", "content", "inbox", "zalo", "metrics", "audit", "open311", "ops")

log = logging.getLogger(__name__)


def create_app(config=None):
    """`config`: a `Config`, a dict of overrides, or None for the environment."""
    if config is None or isinstance(config, dict):
        config = Config(**(config or {}))
    config.validate()

    app = Flask(__name__, instance_relative_config=False)
    app.url_map.converters["int"] = DatabaseIntConverter
    app.config.from_mapping(config.as_mapping())
    app.config["ketnoi"] = config
    if config.TRUSTED_PROXIES:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=config.TRUSTED_PROXIES, x_proto=config.TRUSTED_PROXIES)

    registry.init_app(app)
    _init_extensions(app, config)
    _init_redis(app, config)
    errors.register_error_handlers(app)
    security.init_security(app)
    app.before_request(_resolve_tenant_from_user)
    app.before_request(load_path_objects)
    app.jinja_env.filters["localtime"] = localtime
    app.context_processor(_template_globals)

    from core import cli, views

    views.init_app(app)
    for name in FEATURES:
        importlib.import_module(name).init_app(app)
    cli.init_app(app)
    # First of all, whatever packages registered (e.g. bearer-token authentication).
    app.before_request_funcs.setdefault(None, []).insert(0, _reset_request_state)

    app.teardown_appcontext(_release_session)

    @app.errorhandler(TenantScopeMissing)
    def _no_tenant(error):
        # A safety net, not a code path: a tenant-owned query with no tenant answers "not found".
        log.error("tenant-owned data requested without a tenant scope: %s", error)
        return errors.respond(404)

    return app


class DatabaseIntConverter(IntegerConverter):
    """`<int:…>` in every route: an id PostgreSQL's integer cannot hold matches no route (404), instead of
    reaching SQL as an out-of-range error."""

    def __init__(self, url_map, fixed_digits=0, min=1, max=2**31 - 1, signed=False):  # noqa: A002
        super().__init__(url_map, fixed_digits=fixed_digits, min=min, max=max, signed=signed)


def _init_extensions(app, config):
    db.init_app(app)
    migrate.init_app(app, db, directory=str(_migrations_dir()))
    login_manager.init_app(app)
    login_manager.login_view = "tenants.login"
    login_manager.login_message = "Vui lòng đăng nhập để tiếp tục."
    csrf.init_app(app)
    babel.init_app(app, locale_selector=select_locale, default_translation_directories="translations")
    app.config["RATELIMIT_STORAGE_URI"] = ratelimit.storage_uri(app.config["RATELIMIT_STORAGE_URI"])
    limiter.init_app(app)
    api.init_app(app, spec_kwargs={"components": {"securitySchemes": {
        "bearer": {"type": "http", "scheme": "bearer"}}}})
    _ensure_sqlite_dir(app)
    with app.app_context():
        if db.engine.dialect.name == "sqlite":
            _tune_sqlite(db.engine)
        rls.install(db.engine)
        if config.APP_ENV == "production":
            _refuse_a_role_above_the_policies()


def _refuse_a_role_above_the_policies():
    """In production the app must connect as a role that row-level security binds (core/rls.py)."""
    from sqlalchemy.exc import OperationalError

    if db.engine.dialect.name != "postgresql":
        return
    try:
        with db.engine.connect() as connection:
            problem = rls.role_problem(connection)
    except OperationalError as exc:  # the database is down: the health check says so, the app still starts
        log.warning("could not check the database role: %s", exc)
        return
    if problem:
        raise ConfigError(f"{problem}; connect as the role `flask db roles` creates (README, 'Database roles')")


def _release_session(_error):
    """Runs before Flask-SQLAlchemy's own teardown: if the database went away, rolling back on the dead
    connection raises after the response was built and would escape as a bare server error. Drop the
    connection instead; the pool's pre-ping replaces it on the next request."""
    from sqlalchemy.exc import DBAPIError

    try:
        db.session.remove()
    except DBAPIError:
        log.warning("database connection lost while closing the session; discarded")
        db.session.invalidate()
        db.session.remove()


def _tune_sqlite(engine):
    """pysqlite's own transaction handling defers BEGIN and breaks SAVEPOINTs; let SQLAlchemy emit BEGIN
    itself (the documented recipe), wait for locks instead of failing, and let readers run beside a writer."""
    from sqlalchemy import event

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA busy_timeout = 10000")
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection):
        connection.exec_driver_sql("BEGIN")


def _migrations_dir():
    from config import BASE_DIR

    return BASE_DIR / "migrations"


def _ensure_sqlite_dir(app):
    from pathlib import Path

    url = app.config["SQLALCHEMY_DATABASE_URI"]
    if url.startswith("sqlite:///"):
        Path(url[len("sqlite:///"):]).parent.mkdir(parents=True, exist_ok=True)


def _init_redis(app, config):
    """Redis connections are built here, never at import time. Embedded: an in-process fake."""
    if config.REDIS_URL:
        from redis import Redis

        app.extensions["ketnoi_redis"] = Redis.from_url(config.REDIS_URL, socket_timeout=5,
                                                        socket_connect_timeout=2)
    else:
        import fakeredis

        app.extensions["ketnoi_redis"] = fakeredis.FakeRedis()


TENANT_AREAS = ("/app/", "/api/v1/")
# What a platform admin (no tenant) may open: its own account and tokens, the tenants page, the API docs.
PLATFORM_AREAS = ("/app/platform/", "/app/account", "/api/v1/docs", "/api/v1/openapi.json")
PLATFORM_PATHS = {"/api/v1/me"}
REQUEST_STATE = ("_tenant_scope", "_memberships", "path_objects", "_login_user", "csrf_token", "_flask_babel",
                 ratelimit.STATE)


def _reset_request_state():
    """Start every request from a clean slate, even when an app context outlives it (tests, CLI)."""
    for key in REQUEST_STATE:
        g.pop(key, None)


def _resolve_tenant_from_user():
    """A staff request's tenant is the signed-in user's; public blueprints set theirs from the URL."""
    if is_public_path(request.path) or not current_user.is_authenticated:
        return
    if current_user.tenant_id:
        if current_scope() is None:
            set_request_tenant(current_user.tenant_id)
    elif request.path in PLATFORM_PATHS or request.path.startswith(PLATFORM_AREAS):
        # Their own account and tokens have no tenant; the named platform scope lets those rows be read.
        set_request_tenant(PLATFORM)
    elif request.path.startswith(TENANT_AREAS):
        # A platform admin belongs to no tenant: tenant pages and data are simply not theirs.
        raise errors.Forbidden()


def _template_globals():
    from core.permissions import can

    return {"can": can, "nav_items": nav_items, "header_widgets": header_widgets,
            "in_own_tenant": _in_own_tenant, "app_env": current_app.config["APP_ENV"], "public_url": public_url}


def _in_own_tenant():
    """Staff header widgets (the bell) need the signed-in user's own tenant in scope, not a public page's."""
    return bool(current_user.is_authenticated and current_user.tenant_id
                and current_scope() == current_user.tenant_id)
