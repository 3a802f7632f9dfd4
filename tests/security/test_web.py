"""Web protections a browser relies on: CSRF on every form and cookie-authenticated API write (generated from
`app.url_map`), security headers and production cookies, uploads served as what they are, active content kept
out of public pages and feeds, and list filters that treat SQL and LIKE syntax as plain text."""
import io
import re
from html.parser import HTMLParser
from xml.etree import ElementTree

from tests.security.conftest import csrf_of, png_bytes, sign_in

STRONG = {"SECRET_KEY": "p" * 48, "IDENTITY_KEY": "Y3ZHN0tOeGR3WmdSZk5wS2NxV0ZtYlNqZ3J5dFJ2ZEM="}
WRITES = ("POST", "PUT", "PATCH", "DELETE")


def _fill(rule, value="1"):
    url = rule.rule
    for name in rule.arguments:
        replacement = "submit" if name == "action" else ("tra-vinh" if name == "slug" else value)
        url = re.sub(rf"<(?:[^:>]+(?:\([^)]*\))?:)?{name}>", replacement, url)
    return url


def _write_routes(app, api):
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith(("/webhooks/", "/api/v1/public/", "/open311/")):
            # Anonymous by design, or authenticated by an api_key in the request (Open311): a session cookie
            # gives them nothing to ride on (core.security.csrf_exempt).
            continue
        if rule.rule.startswith("/api/") != api:
            continue
        for method in WRITES:
            if method in rule.methods:
                yield rule, method


def test_every_form_post_without_its_csrf_token_is_refused(client, login_as):
    login_as("director")
    checked = []
    for rule, method in _write_routes(client.application, api=False):
        response = client.open(_fill(rule), method=method, data={"title": "x", "body": "x", "reason": "x"})
        assert response.status_code == 403, (method, rule.rule, response.status_code)
        checked.append(rule.endpoint)
    assert {"tenants.login", "inbox_public.submit_form", "inbox_public.lookup_post", "users.create",
            "inbox.reveal", "content.post_action"} <= set(checked)


def test_every_cookie_authenticated_api_write_needs_the_csrf_header(client, login_as):
    token = login_as("director")
    checked = 0
    for rule, method in _write_routes(client.application, api=True):
        url = _fill(rule)
        refused = client.open(url, method=method, json={})
        assert refused.status_code == 403 and refused.get_json()["error"]["code"] == "csrf_failed", (method, url)
        allowed = client.open(url, method=method, json={}, headers={"X-CSRFToken": token})
        assert allowed.status_code != 403 or allowed.get_json()["error"]["code"] != "csrf_failed", (method, url)
        checked += 1
    assert checked >= 15


class _Inline(HTMLParser):
    """Inline scripts, inline styles and `javascript:` URLs: what the CSP forbids would break the page."""

    def __init__(self):
        super().__init__()
        self.found = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "script" and not attrs.get("src"):
            self.found.append("inline <script>")
        if "style" in attrs:
            self.found.append(f"style= on <{tag}>")
        self.found += [f"{name} on <{tag}>" for name in attrs if name.startswith("on")]
        self.found += [f"javascript: in <{tag}>" for value in attrs.values()
                       if (value or "").strip().lower().startswith("javascript:")]


def _pages(tenant):
    commune = tenant.units["commune"]
    public = ["/login", "/tra-cuu", f"/p/{tenant.slug}", f"/p/{tenant.slug}/{commune.code}",
              f"/p/{tenant.slug}/{commune.code}/gui-tin-bao", f"/p/{tenant.slug}/tim-kiem?q=ma+tuy"]
    staff = ["/app/tree", "/app/inbox", "/app/posts", "/app/posts/new", "/app/dashboard", "/app/exports",
             "/app/audit", "/app/users", "/app/zalo", "/app/account", "/app/inbox/notifications"]
    return public, staff


def test_pages_carry_the_security_headers_and_nothing_the_csp_would_block(client, tenant_a, login_as):
    public, staff = _pages(tenant_a)
    for index, path in enumerate(public + staff):
        if index == len(public):
            login_as("director")
        response = client.get(path)
        assert response.status_code == 200, path
        csp = response.headers["Content-Security-Policy"]
        assert "script-src 'self'" in csp and "unsafe-inline" not in csp and "unsafe-eval" not in csp, path
        assert "frame-ancestors 'none'" in csp and "object-src 'none'" in csp, path
        assert response.headers["X-Frame-Options"] == "DENY", path
        assert response.headers["X-Content-Type-Options"] == "nosniff", path
        assert response.headers["Referrer-Policy"] in ("same-origin", "no-referrer"), path
        assert "Strict-Transport-Security" not in response.headers  # development: plain http is allowed
        parser = _Inline()
        parser.feed(response.get_data(as_text=True))
        assert not parser.found, (path, parser.found[:5])
    assert client.get("/app/tree").headers["Cache-Control"] == "no-store"


def test_production_adds_hsts_and_secure_session_cookies(app_using, world, monkeypatch):
    for name, value in STRONG.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("APP_ENV", "production")
    monkeypatch.setenv("REQUIRE_TOTP", "0")  # an officer signs in with a password alone anyway
    app = app_using()
    client = app.test_client()
    page = client.get("/login", base_url="https://localhost")  # the Secure cookie travels over https only
    assert page.headers["Strict-Transport-Security"].startswith("max-age=31536000")
    signed_in = client.post("/login", base_url="https://localhost", headers={"Referer": "https://localhost/login"},
                            data={"email": world["a"].users["officer"].email,
                                            "password": "test-password-123",
                                            "csrf_token": csrf_of(page.get_data(as_text=True))})
    assert signed_in.status_code in (302, 303), re.sub(r"\s+", " ", signed_in.get_data(as_text=True))[-1500:]
    cookies = [value for name, value in signed_in.headers.items() if name == "Set-Cookie"]
    session = [cookie for cookie in cookies if cookie.startswith("ketnoi_session=")]
    assert session, cookies
    for cookie in session:
        attributes = {part.strip().split("=")[0].lower() for part in cookie.split(";")[1:]}
        assert {"secure", "httponly", "samesite"} <= attributes, cookie
        assert "SameSite=Lax" in cookie or "SameSite=Strict" in cookie


SVG = (b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>')
HTML_AS_PNG = b"<html><body><script>alert(document.cookie)</script></body></html>"


def test_uploads_are_served_as_their_sniffed_type_from_their_own_path(client, bearer, world, objects):
    headers = bearer("director")
    post_id = objects.post("commune")
    for content in (SVG, HTML_AS_PNG):
        refused = client.post(f"/api/v1/posts/{post_id}/media", headers=headers, content_type="multipart/form-data",
                              data={"file": (io.BytesIO(content), "anh.png")})
        assert refused.status_code == 415, refused.get_json()
    media = client.post(f"/api/v1/posts/{post_id}/media", headers=headers, content_type="multipart/form-data",
                        data={"file": (io.BytesIO(png_bytes()), "anh.jpg")}).get_json()
    assert media["url"].startswith(f"/p/{world['a'].slug}/media/") and media["url"].endswith(".png")
    served = client.get(media["url"], headers=headers)
    assert served.status_code == 200 and served.mimetype == "image/png"
    assert served.headers["X-Content-Type-Options"] == "nosniff"
    assert client.get(media["url"]).status_code == 404  # a draft's photo is not public

    commune = world["a"].units["commune"]
    for content in (SVG, HTML_AS_PNG):
        tip = client.post(f"/api/v1/public/units/{commune.id}/tips", content_type="multipart/form-data", data={
            "category": "other", "description": "Ảnh kèm theo", "files": (io.BytesIO(content), "anh.png")})
        assert tip.status_code == 415
    attachment_id = objects.attachment("commune")
    evidence = client.get(f"/app/inbox/files/{attachment_id}", headers=headers)
    assert evidence.status_code == 200 and evidence.mimetype == "image/png"
    assert evidence.headers["Content-Disposition"].startswith("attachment")
    assert evidence.headers["X-Content-Type-Options"] == "nosniff"
    assert evidence.headers["Cache-Control"] == "private, no-store"


ACTIVE = ('<script>alert(1)</script>', '<img src=x onerror=alert(1)>', '"><svg onload=alert(1)>',
          "javascript:alert(1)", "<iframe src=//evil.example>")


class _Active(HTMLParser):
    def __init__(self):
        super().__init__()
        self.found = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag in ("iframe", "object", "embed") or (tag == "script" and not attrs.get("src")):
            self.found.append(tag)
        self.found += [f"{tag}[{name}]" for name in attrs if name.startswith("on")]
        self.found += [f"{tag}[{name}]" for name, value in attrs.items()
                       if (value or "").strip().lower().startswith("javascript:")]


def test_active_content_in_titles_and_unit_profiles_stays_text_on_every_public_view(client, bearer, world, login_as,
                                                                                    objects):
    """The post body's corpus is tests/content/test_public.py's; here the other fields that reach the public:
    titles (unit page, search, feeds) and the unit profile."""
    from content.models import Post
    from core.extensions import db
    from core.tenancy import load, tenant_scope

    a = world["a"]
    for number, payload in enumerate(ACTIVE):
        post_id = objects.post("commune", "published", title=f"Cảnh báo {number} {payload}")
        with tenant_scope(a.tenant_id):
            post = load(Post, post_id)
            post.body = payload
            db.session.commit()
    session = sign_in(client, a.users["commune_admin"].email)
    form = {"address": ACTIVE[1], "phone": ACTIVE[2], "contact_hours": ACTIVE[3], "description": ACTIVE[0]}
    assert session.request("POST", f"/app/units/{a.units['commune'].id}/profile", form=form).status_code == 302
    commune = a.units["commune"]
    for path in (f"/p/{a.slug}/{commune.code}", f"/p/{a.slug}", f"/p/{a.slug}/tim-kiem?q=canh+bao",
                 f"/p/{a.slug}/{commune.code}/feed.atom", f"/p/{a.slug}/feed.atom"):
        response = client.get(path)
        assert response.status_code == 200, path
        body = response.get_data(as_text=True)
        parser = _Active()
        if path.endswith(".atom"):
            for element in ElementTree.fromstring(body).iter():
                if element.tag.endswith("}title"):
                    assert not list(element), (path, "markup inside a title")
                if element.tag.endswith("}content") or element.tag.endswith("}summary"):
                    parser.feed(element.text or "")  # type="html": what a feed reader renders
        else:
            parser.feed(body)
        assert not parser.found, (path, parser.found)
