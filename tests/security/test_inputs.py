"""Hostile input through the product's own paths: SQL and LIKE syntax in every filter and search, formulas in
exported cells, internal addresses in Zalo media URLs, and floods of public intake, follow-up and sign-in."""
import csv
import io
import json

import openpyxl
import pytest
from sqlalchemy import select

from core.extensions import db
from core.tenancy import tenant_scope

HOSTILE = ("'; DROP TABLE tips; --", "' OR '1'='1", "%", "_", "%%__", '"', "\\", "ﬃ％＿", "Công an' --", "a" * 500)


def _lists(a):
    commune = a.units["commune"].id
    api = ["/api/v1/units?q={v}", "/api/v1/units?code={v}", f"/api/v1/units/{commune}/posts?q={{v}}&subtree=true",
           "/api/v1/audit?actor={v}&action={v}", "/api/v1/tips?status={v}", "/api/v1/units?kind={v}"]
    pages = ["/app/tree?q={v}", "/app/posts?q={v}", "/app/inbox?status={v}&unit_id={v}",
             "/app/audit?actor={v}&action={v}",
             "/app/zalo?q={v}", "/app/users?page={v}", f"/p/{a.slug}/tim-kiem?q={{v}}", "/app/dashboard?unit_id={v}"]
    return api, pages


def test_hostile_filters_never_fail_and_never_widen_a_list(client, world, bearer, login_as, objects):
    from urllib.parse import quote

    a = world["a"]
    objects.tip("commune")
    objects.post("commune", "published", title="Cảnh báo lừa đảo")
    headers = bearer("director")
    api, pages = _lists(a)
    baseline = {"units": client.get("/api/v1/units?per_page=200", headers=headers).get_json()["total"]}
    login_as("director")
    for value in HOSTILE:
        for template in api:
            response = client.get(template.format(v=quote(value)), headers=headers)
            assert response.status_code in (200, 404, 422), (template, value, response.status_code)
            if response.status_code == 200 and template.startswith("/api/v1/units?"):
                assert response.get_json()["total"] <= baseline["units"]
                if value in ("%", "_", "%%__", "ﬃ％＿"):
                    assert response.get_json()["total"] == 0, (template, value)  # LIKE wildcards are text
        for template in pages:
            response = client.get(template.format(v=quote(value)))
            assert response.status_code in (200, 404, 422), (template, value, response.status_code)
    with tenant_scope(a.tenant_id):
        from inbox.models import Tip

        assert db.session.execute(select(Tip.id)).first() is not None  # nothing was dropped


@pytest.mark.parametrize("path", ["/api/v1/units?q=a%00b", "/app/tree?q=a%00b", "/p/tra-vinh/tim-kiem?q=a%00b"])
def test_a_nul_character_in_a_search_is_not_a_server_error(client, login_as, path):
    login_as("director")
    response = client.get(path)
    db.session.rollback()
    assert response.status_code in (200, 422), response.status_code


FORMULAS = ("=HYPERLINK(\"http://evil.example\",\"x\")", "+1+1", "-2+3", "@SUM(A1)", "\t=1+1", "\r=1+1")


def test_formulas_in_post_titles_stay_text_in_csv_and_xlsx_exports(client, bearer, world, objects, run_jobs):
    a = world["a"]
    for formula in FORMULAS:
        objects.post("commune", "draft", title=formula)
    headers = bearer("director")
    for fmt in ("csv", "xlsx"):
        created = client.post("/api/v1/exports", headers=headers,
                              json={"report": "posts", "format": fmt, "unit_id": a.units["commune"].id})
        assert created.status_code == 202
        run_jobs()
        state = client.get(f"/api/v1/exports/{created.get_json()['id']}", headers=headers).get_json()
        data = client.get(state["download_url"], headers=headers).data
        if fmt == "csv":
            cells = [cell for row in csv.reader(io.StringIO(data.decode("utf-8-sig"))) for cell in row]
        else:
            book = openpyxl.load_workbook(io.BytesIO(data))
            assert all(cell.data_type != "f" for row in book.active.iter_rows() for cell in row)
            cells = [str(cell.value).replace("_x000D_", "\r")  # XLSX escapes a carriage return so
                     for row in book.active.iter_rows() for cell in row if cell.value is not None]
        for formula in FORMULAS:
            assert "'" + formula in cells and formula not in cells, (fmt, formula)


INTERNAL = ("https://169.254.169.254/latest/meta-data/", "https://127.0.0.1/media/photo.png",
            "https://10.0.0.5/a.png", "https://[::1]/a.png", "https://[::ffff:127.0.0.1]/a.png",
            "file:///etc/passwd", "https://zdn.vn.evil.example/a.png", "gopher://zdn.vn/a")


@pytest.fixture
def strict_media(app_ctx, monkeypatch):
    """Production media settings, with the internal addresses listed as if an operator had allowed them."""
    monkeypatch.setitem(app_ctx.config, "ZALO_MEDIA_HOSTS",
                        ["zdn.vn", "169.254.169.254", "127.0.0.1", "10.0.0.5", "::1", "::ffff:127.0.0.1"])
    monkeypatch.setitem(app_ctx.config, "ZALO_ALLOW_PRIVATE_MEDIA", False)


def _image_event(url, number):
    from tests.zalo.conftest import event

    payload = json.loads(event(3))
    payload["message"]["msg_id"] = f"5e5e{number:016d}"
    payload["message"]["attachments"][0]["payload"]["url"] = url
    return json.dumps(payload, ensure_ascii=False).encode()


def test_media_urls_pointing_inside_are_refused_through_the_webhook(channel, strict_media):
    from inbox.models import TipAttachment
    from zalo.models import MediaFetch

    for number, url in enumerate(INTERNAL):
        channel.deliver(_image_event(url, number))
    with channel.scope():
        fetches = db.session.execute(select(MediaFetch)).scalars().all()
        assert len(fetches) == len(INTERNAL)
        assert {fetch.state for fetch in fetches} == {"refused"}, [(f.state, f.last_error) for f in fetches]
        assert db.session.execute(select(TipAttachment)).first() is None


def test_a_redirect_from_an_allowed_host_to_an_internal_address_is_refused(channel, fake):
    from zalo.models import MediaFetch

    for number, target in enumerate(("http://169.254.169.254/latest/meta-data/", "http://10.0.0.5/a.png",
                                     "http://[::ffff:169.254.169.254]/")):
        channel.deliver(_image_event(fake.redirect_url(target), number))
    with channel.scope():
        states = db.session.execute(select(MediaFetch.state, MediaFetch.last_error)).all()
    assert [state for state, _error in states] == ["refused"] * 3, states


def test_public_intake_follow_up_and_sign_in_are_rate_limited(limited_client, tenant_a, world):
    from tests.security.conftest import csrf_of

    commune = tenant_a.units["commune"]
    form_url = f"/p/{tenant_a.slug}/{commune.code}/gui-tin-bao"
    token = csrf_of(limited_client.get(form_url).get_data(as_text=True))
    statuses = [limited_client.post(form_url, data={"csrf_token": token, "category": "other",
                                                    "description": f"Tin số {n}"}).status_code for n in range(11)]
    assert statuses[:10] == [201] * 10 and statuses[10] == 429
    api = limited_client.post(f"/api/v1/public/units/{commune.id}/tips", json={"category": "other",
                                                                               "description": "Thêm"})
    assert api.status_code == 429 and "Retry-After" in api.headers  # the form and the API share one budget
    lookups = [limited_client.post("/tra-cuu", data={"csrf_token": token, "tracking_code": "TV-XXXX-XXXX",
                                                     "secret": "sai"}).status_code for _ in range(21)]
    assert set(lookups[:20]) == {404} and lookups[20] == 429
    logins = [limited_client.post("/login", data={"csrf_token": token, "email": f"khong-co-{n}@x.test",
                                                  "password": "sai-mat-khau"}).status_code for n in range(11)]
    assert logins[10] == 429 and 429 not in logins[:10]
