"""Settings, read from the environment once, when the app is created.

Nothing here reads files or talks to services. Every setting has an embedded default so that a fresh clone
runs on SQLite and an in-process queue; `APP_ENV=production` refuses the development secrets.
"""
import os
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent

DEV_SECRET_KEY = "dev-secret-key-not-for-production"
# A valid Fernet key, public on purpose: it only protects demo data on a developer's machine.
DEV_IDENTITY_KEY = "ZGV2LWlkZW50aXR5LWtleS1ub3QtZm9yLXByb2QhISE="


class ConfigError(RuntimeError):
    """A setting is missing or unsafe; the app refuses to start."""


def _bool(value, default=False):
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _list(value):
    return [item.strip() for item in (value or "").split(",") if item.strip()]


def _database_url(env):
    url = env.get("DATABASE_URL")
    if not url:
        return f"sqlite:///{BASE_DIR / 'instance' / 'ketnoi.sqlite3'}"
    # psycopg 3 is the driver we ship; accept the usual spellings of a PostgreSQL URL.
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


class Config:
    """Built from an environment mapping so tests can pass their own."""

    def __init__(self, env=None, **overrides):
        env = os.environ if env is None else env
        self.APP_ENV = env.get("APP_ENV", "development")
        self.SECRET_KEY = env.get("SECRET_KEY", DEV_SECRET_KEY)
        self.IDENTITY_KEYS = _list(env.get("IDENTITY_KEY")) or [DEV_IDENTITY_KEY]
        self.SQLALCHEMY_DATABASE_URI = _database_url(env)
        self.SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True}
        # PostgreSQL: the role that owns the tables, for `flask db upgrade` and `flask db roles`; the app itself
        # connects (DATABASE_URL) as a role that row-level security binds (core/rls.py). Unset: DATABASE_URL.
        owner_url = env.get("DATABASE_OWNER_URL")
        self.DATABASE_OWNER_URL = _database_url({"DATABASE_URL": owner_url}) if owner_url else None
        self.REDIS_URL = env.get("REDIS_URL") or None
        self.ZALO_API_BASE = env.get("ZALO_API_BASE", "https://openapi.zalo.me")
        self.ZALO_OAUTH_BASE = env.get("ZALO_OAUTH_BASE", "https://oauth.zaloapp.com")
        self.ZALO_MEDIA_HOSTS = _list(env.get("ZALO_MEDIA_HOSTS")) or ["zdn.vn", "dlfl.vn", "zadn.vn"]
        # Test-only: lets media be fetched from loopback (the fake Zalo). Production refuses it.
        self.ZALO_ALLOW_PRIVATE_MEDIA = _bool(env.get("ZALO_ALLOW_PRIVATE_MEDIA"))
        # A webhook delivery dated further than this from now (either way) is refused; 0 turns the check off.
        self.ZALO_WEBHOOK_MAX_AGE_SECONDS = int(env.get("ZALO_WEBHOOK_MAX_AGE_SECONDS", "900"))
        self.MEDIA_ROOT = env.get("MEDIA_ROOT", str(BASE_DIR / "instance" / "media"))
        self.PRIVATE_ROOT = env.get("PRIVATE_ROOT", str(BASE_DIR / "instance" / "private"))
        self.PUBLIC_BASE_URL = env.get("PUBLIC_BASE_URL", "http://127.0.0.1:5000")
        self.TRUSTED_PROXIES = int(env.get("TRUSTED_PROXIES", "0"))
        self.SMTP_URL = env.get("SMTP_URL") or None
        self.MAIL_FROM = env.get("MAIL_FROM", "ket-noi@localhost")
        self.AUDIT_ANCHOR_DIR = env.get("AUDIT_ANCHOR_DIR", str(BASE_DIR / "instance" / "audit-anchors"))
        self.EXPORT_TTL_DAYS = int(env.get("EXPORT_TTL_DAYS", "7"))
        # Public rate limits; the benchmark configuration raises them (docs/benchmarks.md).
        self.RATELIMIT_PUBLIC_TIPS = env.get("RATELIMIT_PUBLIC_TIPS", "10 per minute;60 per hour")
        self.RATELIMIT_FOLLOWUP = env.get("RATELIMIT_FOLLOWUP", "20 per minute")
        self.RATELIMIT_OPEN311 = env.get("RATELIMIT_OPEN311", "30 per minute;600 per hour")
        self.RATELIMIT_LOGIN = env.get("RATELIMIT_LOGIN", "10 per minute")
        # Per client address: every delivery (Zalo's servers send them all), and refused ones (forgeries).
        self.RATELIMIT_ZALO_WEBHOOK = env.get("RATELIMIT_ZALO_WEBHOOK", "3000 per minute")
        self.RATELIMIT_ZALO_WEBHOOK_REFUSED = env.get("RATELIMIT_ZALO_WEBHOOK_REFUSED", "60 per minute")
        self.RATELIMIT_ENABLED = _bool(env.get("RATELIMIT_ENABLED"), True)
        self.RATELIMIT_STORAGE_URI = self.REDIS_URL or "memory://"
        self.REQUIRE_TOTP = _bool(env.get("REQUIRE_TOTP"), self.APP_ENV == "production")
        # A signed-in session ends after this long without a request, and this long after sign-in in any case.
        self.SESSION_IDLE_MINUTES = int(env.get("SESSION_IDLE_MINUTES", "30"))
        self.SESSION_MAX_HOURS = int(env.get("SESSION_MAX_HOURS", "12"))
        # An API token works this many days after it is created or renewed.
        self.API_TOKEN_DAYS = int(env.get("API_TOKEN_DAYS", "90"))
        # Operating (ops/): the token `GET /metrics` asks for (unset: /metrics answers 404), and the free space
        # `flask doctor` wants on each file store.
        self.METRICS_TOKEN = env.get("METRICS_TOKEN") or None
        self.DOCTOR_MIN_FREE_MB = int(env.get("DOCTOR_MIN_FREE_MB", "2048"))
        self.PREFERRED_URL_SCHEME = "https" if self.APP_ENV == "production" else "http"

        # Flask and extension settings that follow from the above.
        self.SESSION_COOKIE_HTTPONLY = True
        self.SESSION_COOKIE_SAMESITE = "Lax"
        self.SESSION_COOKIE_SECURE = self.APP_ENV == "production"
        self.REMEMBER_COOKIE_SECURE = self.APP_ENV == "production"
        self.REMEMBER_COOKIE_HTTPONLY = True
        self.SESSION_COOKIE_NAME = "ketnoi_session"
        self.WTF_CSRF_CHECK_DEFAULT = False  # core.security decides per request (bearer tokens skip it)
        self.WTF_CSRF_TIME_LIMIT = None
        self.MAX_CONTENT_LENGTH = 110 * 1024 * 1024  # the largest upload (a 100 MB video) plus form fields
        self.BABEL_DEFAULT_LOCALE = "vi"
        self.BABEL_DEFAULT_TIMEZONE = "Asia/Ho_Chi_Minh"
        self.API_TITLE = "Kết Nối API"
        self.API_VERSION = "v1"
        self.OPENAPI_VERSION = "3.0.3"
        self.OPENAPI_URL_PREFIX = "/api/v1"
        self.OPENAPI_JSON_PATH = "openapi.json"
        self.OPENAPI_REDOC_PATH = None
        self.OPENAPI_SWAGGER_UI_PATH = None
        self.TESTING = False
        for key, value in overrides.items():
            setattr(self, key, value)

    @property
    def embedded_queue(self):
        return self.REDIS_URL is None

    def validate(self):
        """Refuse to start on settings that are unsafe where they are used."""
        if self.APP_ENV == "production":
            if self.SECRET_KEY == DEV_SECRET_KEY or len(self.SECRET_KEY) < 32:
                raise ConfigError("SECRET_KEY must be set to a long random value in production")
            if DEV_IDENTITY_KEY in self.IDENTITY_KEYS:
                raise ConfigError("IDENTITY_KEY must be set in production (the development key is public)")
            if self.ZALO_ALLOW_PRIVATE_MEDIA:
                raise ConfigError("ZALO_ALLOW_PRIVATE_MEDIA is a test-only setting")
        from cryptography.fernet import Fernet

        for key in self.IDENTITY_KEYS:
            try:
                Fernet(key)
            except (ValueError, TypeError) as exc:
                raise ConfigError("IDENTITY_KEY holds a key that is not a urlsafe base64 32-byte key") from exc
        return self

    def as_mapping(self):
        return {key: value for key, value in vars(self).items() if key.isupper()}
