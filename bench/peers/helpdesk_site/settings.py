"""Django settings for the django-helpdesk peer: PostgreSQL on the benchmark's server, its own database.

Production-like where it matters for the comparison: DEBUG off, sessions and CSRF on, templates cached,
e-mail to the local-memory backend (no network), no teams module (pinax is not needed for public tickets).
"""
import os

SECRET_KEY = os.environ.get("HELPDESK_SECRET_KEY", "bench-only-peer-secret-key-0123456789abcdef")
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
INSTALLED_APPS = [
    "django.contrib.admin", "django.contrib.auth", "django.contrib.contenttypes", "django.contrib.sessions",
    "django.contrib.messages", "django.contrib.staticfiles", "django.contrib.sites", "django.contrib.humanize",
    "rest_framework", "helpdesk",
]
MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]
ROOT_URLCONF = "helpdesk_site.urls"
TEMPLATES = [{
    "BACKEND": "django.template.backends.django.DjangoTemplates",
    "DIRS": [],
    "APP_DIRS": True,
    "OPTIONS": {"context_processors": [
        "django.template.context_processors.request",
        "django.contrib.auth.context_processors.auth",
        "django.contrib.messages.context_processors.messages",
    ]},
}]
WSGI_APPLICATION = "helpdesk_site.wsgi.application"
DATABASES = {"default": {
    "ENGINE": "django.db.backends.postgresql",
    "NAME": os.environ.get("HELPDESK_DB_NAME", "helpdesk_bench"),
    "USER": os.environ.get("HELPDESK_DB_USER", "postgres"),
    "PASSWORD": os.environ.get("HELPDESK_DB_PASSWORD", ""),
    "HOST": os.environ.get("HELPDESK_DB_HOST", "localhost"),
    "PORT": os.environ.get("HELPDESK_DB_PORT", "5432"),
    "CONN_MAX_AGE": 600,  # one connection per worker, like the Flask baselines
}}
SITE_ID = 1
DEFAULT_AUTO_FIELD = "django.db.models.AutoField"
LANGUAGE_CODE = "en-us"
TIME_ZONE = "Asia/Ho_Chi_Minh"
USE_I18N = True
USE_TZ = True
STATIC_URL = "/static/"
MEDIA_ROOT = os.environ.get("HELPDESK_MEDIA_ROOT", "/tmp/helpdesk-bench-media")
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
DEFAULT_FROM_EMAIL = "helpdesk@localhost"
LOGIN_URL = "helpdesk:login"
LOGIN_REDIRECT_URL = "helpdesk:home"

HELPDESK_PUBLIC_ENABLED = True
HELPDESK_SUBMIT_A_TICKET_PUBLIC = True
HELPDESK_VIEW_A_TICKET_PUBLIC = True
HELPDESK_REDIRECT_TO_LOGIN_BY_DEFAULT = False
HELPDESK_TEAMS_MODE_ENABLED = False
HELPDESK_KB_ENABLED = True  # its URLconf fails to import with the knowledge base off
LOGGING = {"version": 1, "disable_existing_loggers": False,
           "handlers": {"console": {"class": "logging.StreamHandler"}},
           "root": {"handlers": ["console"], "level": "WARNING"}}
