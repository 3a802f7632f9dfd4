"""Settings, health, the JSON error envelope and the OpenAPI document."""
import pytest

from config import DEV_IDENTITY_KEY, DEV_SECRET_KEY, Config, ConfigError
from core import create_app

STRONG = {"SECRET_KEY": "x" * 40, "IDENTITY_KEY": "Y3ZHN0tOeGR3WmdSZk5wS2NxV0ZtYlNqZ3J5dFJ2ZEM="}


@pytest.mark.parametrize("env", [
    {"APP_ENV": "production", "IDENTITY_KEY": STRONG["IDENTITY_KEY"]},
    {"APP_ENV": "production", "SECRET_KEY": STRONG["SECRET_KEY"]},
    {"APP_ENV": "production", "SECRET_KEY": DEV_SECRET_KEY, "IDENTITY_KEY": STRONG["IDENTITY_KEY"]},
    {"APP_ENV": "production", **STRONG, "IDENTITY_KEY": f"{STRONG['IDENTITY_KEY']},{DEV_IDENTITY_KEY}"},
    {"APP_ENV": "production", **STRONG, "ZALO_ALLOW_PRIVATE_MEDIA": "1"},
    {"IDENTITY_KEY": "not-a-fernet-key"},
])
def test_unsafe_settings_refuse_to_start(env):
    with pytest.raises(ConfigError):
        create_app(Config(env=env))


def test_production_settings_harden_cookies_and_require_totp():
    config = Config(env={"APP_ENV": "production", **STRONG}).validate()
    assert config.SESSION_COOKIE_SECURE and config.SESSION_COOKIE_HTTPONLY and config.REQUIRE_TOTP
    assert config.SESSION_COOKIE_SAMESITE == "Lax"


def test_database_url_spellings_use_psycopg3():
    assert Config(env={"DATABASE_URL": "postgres://u@h/d"}).SQLALCHEMY_DATABASE_URI == "postgresql+psycopg://u@h/d"
    assert Config(env={}).SQLALCHEMY_DATABASE_URI.startswith("sqlite:///")
    assert Config(env={}).embedded_queue and not Config(env={"REDIS_URL": "redis://x"}).embedded_queue


def test_healthz_reports_db_and_queue(client):
    response = client.get("/healthz")
    assert response.status_code == 200 and response.json == {"db": "ok", "queue": "ok"}


def test_healthz_is_503_when_the_queue_is_down(app_ctx, client):
    class Down:
        def ping(self):
            raise ConnectionError("down")

    original = app_ctx.extensions["ketnoi_redis"]
    app_ctx.extensions["ketnoi_redis"] = Down()
    try:
        response = client.get("/healthz")
    finally:
        app_ctx.extensions["ketnoi_redis"] = original
    assert response.status_code == 503 and response.json["queue"] == "down"


def test_unknown_api_route_is_a_json_404_and_pages_are_vietnamese(client):
    response = client.get("/api/v1/nothing-here")
    assert response.status_code == 404
    assert response.json == {"error": {"code": "not_found", "message": "Không tìm thấy.", "fields": {}}}
    page = client.get("/app/nothing-here")
    assert page.status_code == 404 and "Không tìm thấy." in page.get_data(as_text=True)


def test_wrong_method_is_405_json(client, bearer):
    response = client.delete("/api/v1/units", headers=bearer("director"))
    assert response.status_code == 405 and response.json["error"]["code"] == "method_not_allowed"


def test_openapi_document_describes_the_api(client):
    spec = client.get("/api/v1/openapi.json").json
    assert spec["openapi"].startswith("3.")
    assert "/api/v1/units" in spec["paths"] and "/api/v1/units/{unit_id}" in spec["paths"]
    assert spec["components"]["securitySchemes"]["bearer"]["scheme"] == "bearer"


def test_english_is_available(client):
    html = client.get("/login?lang=en").get_data(as_text=True)
    assert "Sign in" in html
    assert "Sign in" in client.get("/login").get_data(as_text=True)  # the choice sticks for the session
    assert "Đăng nhập" in client.get("/login?lang=vi").get_data(as_text=True)


def test_security_headers_on_pages(client):
    response = client.get("/login")
    assert "script-src 'self'" in response.headers["Content-Security-Policy"]
    assert "unsafe-inline" not in response.headers["Content-Security-Policy"]
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_public_pages_work_for_signed_in_staff_of_any_tenant(client, login_as, world):
    login_as("director")  # tenant A
    b = world["b"]
    for path in ("/tra-cuu", f"/p/{b.slug}", f"/p/{b.slug}/{b.units['commune'].code}"):
        response = client.get(path)
        assert response.status_code == 200, path
        assert 'class="bell"' not in response.get_data(as_text=True)  # nothing of the user's own tenant
    assert client.get(f"/p/{world['a'].slug}/{world['a'].units['commune'].code}").status_code == 200
    assert 'class="bell"' in client.get("/app/tree").get_data(as_text=True)
