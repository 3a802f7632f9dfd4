"""Public pages (tip form, confirmation, /tra-cuu) and staff pages (inbox, tip page, evidence, bell)."""
import io
import re

from sqlalchemy import select

from core.extensions import db
from core.tenancy import tenant_scope
from inbox.models import Tip, TipAttachment
from tests.inbox.conftest import jpeg_with_exif, png_bytes


def csrf_of(html):
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def form_url(tenant, unit="commune"):
    return f"/p/{tenant.slug}/{tenant.units[unit].code}/gui-tin-bao"


def send_form(client, tenant, **fields):
    token = csrf_of(client.get(form_url(tenant)).get_data(as_text=True))
    data = {"csrf_token": token, "category": "security_report", "description": "Trộm cắp vặt ở chợ đêm."}
    data.update(fields)
    return client.post(form_url(tenant), data=data, content_type="multipart/form-data")


def test_form_page_says_113_and_confidential(client, tenant_a):
    page = client.get(form_url(tenant_a))
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "113" in html and "bí mật" in html
    assert 'name="website"' in html and 'name="contact_phone"' in html and 'name="files"' in html
    assert client.get(f"/p/{tenant_a.slug}/00000/gui-tin-bao").status_code == 404
    assert client.get(f"/p/no-such-tenant/{tenant_a.units['commune'].code}/gui-tin-bao").status_code == 404


def test_form_sends_a_tip_and_shows_code_and_secret_once(client, tenant_a):
    response = send_form(client, tenant_a, files=(io.BytesIO(jpeg_with_exif()), "photo.jpg"))
    html = response.get_data(as_text=True)
    assert response.status_code == 201
    assert response.headers["Cache-Control"] == "no-store" and response.headers["Referrer-Policy"] == "no-referrer"
    code = re.search(r"data-tracking-code>([^<]+)<", html).group(1)
    secret = re.search(r"data-secret>([^<]+)<", html).group(1)
    assert code.startswith("TV-") and len(secret.replace("-", "")) == 28
    with tenant_scope(tenant_a.tenant_id):
        tip = db.session.execute(select(Tip).where(Tip.tracking_code == code)).scalar_one()
        assert tip.channel == "web" and len(tip.attachments) == 1


def test_form_needs_csrf(client, tenant_a):
    response = client.post(form_url(tenant_a), data={"category": "other", "description": "x"})
    assert response.status_code == 403


def test_form_errors_are_shown_on_the_form(client, tenant_a):
    response = send_form(client, tenant_a, category="", description="")
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert 'aria-invalid="true"' in html and "113" in html
    refused = send_form(client, tenant_a, files=(io.BytesIO(b"MZ not an image"), "a.exe"))
    assert refused.status_code == 415 and "JPEG" in refused.get_data(as_text=True)
    with tenant_scope(tenant_a.tenant_id):
        assert db.session.execute(select(Tip)).first() is None


def test_form_honeypot_stores_nothing(client, tenant_a):
    response = send_form(client, tenant_a, website="spam")
    assert response.status_code == 201
    with tenant_scope(tenant_a.tenant_id):
        assert db.session.execute(select(Tip)).first() is None


def lookup(client, code, secret, **extra):
    token = csrf_of(client.get("/tra-cuu").get_data(as_text=True))
    data = {"csrf_token": token, "tracking_code": code, "secret": secret}
    data.update(extra)
    return client.post("/tra-cuu", data=data, content_type="multipart/form-data")


def test_tra_cuu_round_trip(client, post_tip, bearer, tenant_a):
    first = client.get("/tra-cuu")
    assert first.headers["Cache-Control"] == "no-store" and first.headers["Referrer-Policy"] == "no-referrer"
    created = post_tip(tenant_a.units["commune"].id).get_json()
    staff = bearer("officer")
    tip_id = client.get("/api/v1/tips", headers=staff).get_json()["items"][0]["id"]
    client.post(f"/api/v1/tips/{tip_id}/messages", headers=staff, json={"body": "Mời anh chị lên trụ sở."})
    client.post(f"/api/v1/tips/{tip_id}/messages", headers=staff, json={"body": "GHI CHÚ KÍN", "internal": True})

    wrong = lookup(client, created["tracking_code"], "nope")
    assert wrong.status_code == 404 and "Mời anh chị" not in wrong.get_data(as_text=True)
    page = lookup(client, created["tracking_code"], created["secret"])
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and page.headers["Cache-Control"] == "no-store"
    assert "Mời anh chị lên trụ sở." in html and "GHI CHÚ KÍN" not in html
    assert created["secret"] not in page.request.url

    answer = lookup(client, created["tracking_code"], created["secret"], action="reply",
                    body="Tôi sẽ lên vào sáng mai.", files=(io.BytesIO(png_bytes()), "x.png"))
    assert answer.status_code == 200 and "Tôi sẽ lên vào sáng mai." in answer.get_data(as_text=True)
    thread = client.get(f"/api/v1/tips/{tip_id}", headers=staff).get_json()["messages"]
    assert thread[-1]["direction"] == "in" and len(thread[-1]["attachments"]) == 1
    empty = lookup(client, created["tracking_code"], created["secret"], action="reply", body="")
    assert empty.status_code == 422


def test_staff_inbox_list_filters_and_counts(client, login_as, make_tip, tenant_a):
    make_tip("commune", severity="urgent")
    make_tip("sibling")
    login_as("unit_admin")
    html = client.get("/app/inbox").get_data(as_text=True)
    assert html.count('data-tip-id="') == 2
    assert re.search(r'data-status-count="new"[^>]*>[^<]*<span class="count">2<', html)
    filtered = client.get(f"/app/inbox?severity=urgent&unit_id={tenant_a.units['commune'].id}").get_data(as_text=True)
    assert filtered.count('data-tip-id="') == 1
    assert "Hộp thư" in html  # the nav entry


def test_staff_tip_page_actions(client, login_as, make_tip, tenant_a):
    tip_id, _ = make_tip("commune", files=[png_bytes()])
    token = login_as("officer")
    page = client.get(f"/app/inbox/{tip_id}")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "Tiếp nhận" in html
    assert client.post(f"/app/inbox/{tip_id}/update", data={"status": "acknowledged", "csrf_token": token}
                       ).status_code == 302
    client.post(f"/app/inbox/{tip_id}/reply", data={"body": "Đang xác minh", "csrf_token": token})
    client.post(f"/app/inbox/{tip_id}/reply", data={"body": "Nội bộ thôi", "internal": "1", "csrf_token": token})
    bad = client.post(f"/app/inbox/{tip_id}/escalate", data={"reason": "", "csrf_token": token},
                      follow_redirects=True)
    assert "Cần ghi lý do" in bad.get_data(as_text=True)
    html = client.get(f"/app/inbox/{tip_id}").get_data(as_text=True)
    assert 'class="msg out internal"' in html and "Đang xác minh" in html
    assert 'data-status="acknowledged"' in html
    moved = client.post(f"/app/inbox/{tip_id}/escalate", data={"reason": "Cần cấp huyện", "csrf_token": token})
    assert moved.headers["Location"].endswith("/app/inbox")  # out of the officer's subtree now
    assert client.get(f"/app/inbox/{tip_id}").status_code == 404


def test_evidence_is_served_stripped_to_staff_in_scope_only(client, app_ctx, login_as, make_tip, tenant_a):
    from tests.conftest import login

    tip_id, _ = make_tip("commune", files=[jpeg_with_exif()])
    with tenant_scope(tenant_a.tenant_id):
        attachment_id = db.session.execute(select(TipAttachment.id)).scalar_one()
    login_as("officer")
    response = client.get(f"/app/inbox/files/{attachment_id}")
    assert response.status_code == 200 and response.mimetype == "image/jpeg"
    assert response.headers["Content-Disposition"].startswith("attachment")
    assert b"SecretCam" not in response.data and response.data[:3] == b"\xff\xd8\xff"
    assert client.get(f"/app/inbox/files/{attachment_id}?thumb=1").status_code == 200
    outsider = app_ctx.test_client()
    login(outsider, tenant_a.users["commune_admin"].email.replace("commune_admin", "commune_admin"))
    assert outsider.get(f"/app/inbox/files/{attachment_id}").status_code == 200
    other_tenant = app_ctx.test_client()
    login(other_tenant, "director@kien-giang.test")
    assert other_tenant.get(f"/app/inbox/files/{attachment_id}").status_code == 404
    assert other_tenant.get(f"/app/inbox/{tip_id}").status_code == 404
    anonymous = app_ctx.test_client()
    assert anonymous.get(f"/app/inbox/files/{attachment_id}").status_code == 302


def test_bell_counts_unread_notifications(client, login_as, make_tip):
    make_tip("commune")
    token = login_as("officer")
    html = client.get("/app/inbox").get_data(as_text=True)
    assert re.search(r"data-unread>1<", html)
    notes = client.get("/app/inbox/notifications").get_data(as_text=True)
    assert "Tin báo mới" in notes
    client.post("/app/inbox/notifications/read", data={"csrf_token": token})
    assert "data-unread" not in client.get("/app/inbox").get_data(as_text=True)
