"""A planted name and phone number must appear nowhere but in the vault's ciphertext until revealed."""
import io
import json
import logging
import re

from tests.inbox.conftest import png_bytes
from tests.scans import stored_text_values

NAME = "Hoàng Thị Bảo Mật"
PHONE = "0934567812"
NEEDLES = (NAME, "Bảo Mật", PHONE, "934567812", "934 567 812")


def as_text(response):
    """The JSON body with non-ASCII characters as themselves, so a search for a Vietnamese name can match."""
    return json.dumps(response.get_json(), ensure_ascii=False)


def csrf_of(html):
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def plant(client, tenant):
    commune = tenant.units["commune"]
    api = client.post(f"/api/v1/public/units/{commune.id}/tips", json={
        "category": "crime_report", "description": "Có người cho vay nặng lãi, đe doạ đòi nợ.",
        "contact": {"name": NAME, "phone": PHONE}})
    assert api.status_code == 201
    form_url = f"/p/{tenant.slug}/{commune.code}/gui-tin-bao"
    token = csrf_of(client.get(form_url).get_data(as_text=True))
    form = client.post(form_url, data={
        "csrf_token": token, "category": "security_report", "description": "Đánh nhau ở quán nhậu đầu xóm.",
        "contact_name": NAME, "contact_phone": "+84 934 567 812", "website": "",
        "files": [(io.BytesIO(png_bytes()), f"{NAME}.png")]}, content_type="multipart/form-data")
    assert form.status_code == 201, form.get_data(as_text=True)[:400]
    return api.get_json()


def test_identity_is_in_no_plaintext_column_and_no_log_line(client, tenant_a, caplog):
    caplog.set_level(logging.DEBUG)
    plant(client, tenant_a)
    for where, value in stored_text_values():
        if isinstance(value, (bytes, bytearray, memoryview)):
            raw = bytes(value)
            assert not any(needle.encode() in raw for needle in NEEDLES), where
        else:
            text = str(value)
            assert not any(needle in text for needle in NEEDLES), (where, text[:200])
    for record in caplog.records:
        line = record.getMessage() + " " + repr(record.args)
        assert not any(needle in line for needle in NEEDLES), line


def test_staff_see_the_pseudonym_until_a_director_reveals(client, bearer, tenant_a):
    plant(client, tenant_a)
    for role in ("officer", "director", "auditor"):
        headers = bearer(role)
        listing = client.get("/api/v1/tips", headers=headers)
        assert not any(needle in as_text(listing) for needle in NEEDLES)
        for item in listing.get_json()["items"]:
            detail = as_text(client.get(f"/api/v1/tips/{item['id']}", headers=headers))
            assert not any(needle in detail for needle in NEEDLES), role
            assert item["reporter"] in detail
    tip_id = client.get("/api/v1/tips", headers=bearer("director")).get_json()["items"][0]["id"]
    revealed = client.post(f"/api/v1/tips/{tip_id}/reveal", headers=bearer("director"), json={"reason": "Lấy lời khai"})
    assert revealed.get_json()["name"] == NAME and revealed.get_json()["phone"] == PHONE


def test_staff_pages_show_no_identity(client, login_as, tenant_a):
    plant(client, tenant_a)
    login_as("officer")
    page = client.get("/app/inbox").get_data(as_text=True)
    assert "Người báo tin #" in page and not any(needle in page for needle in NEEDLES)
    for tip_id in re.findall(r'data-tip-id="(\d+)"', page):
        detail = client.get(f"/app/inbox/{tip_id}").get_data(as_text=True)
        assert not any(needle in detail for needle in NEEDLES)


def test_same_phone_is_linked_only_inside_the_vault(app_ctx, client, bearer, tenant_a):
    from sqlalchemy import select

    from core.extensions import db
    from core.tenancy import tenant_scope
    from inbox.models import Tip
    from inbox.vault import reporters_by_phone

    plant(client, tenant_a)
    items = client.get("/api/v1/tips", headers=bearer("director")).get_json()["items"]
    assert len({item["reporter"] for item in items}) == 2  # one pseudonym per public tip
    with tenant_scope(tenant_a.tenant_id):
        reporters = set(db.session.execute(select(Tip.reporter_id)).scalars())
        assert set(db.session.execute(reporters_by_phone(PHONE)).scalars()) == reporters


def test_vault_rotation_re_encrypts_under_the_new_key(app_ctx, client, bearer, tenant_a):
    from cryptography.fernet import Fernet

    from core.crypto import rotate_columns
    from core.extensions import db
    from core.tenancy import tenant_scope
    from inbox.vault import ReporterIdentity, reporters_by_phone, reveal

    plant(client, tenant_a)
    old_keys = list(app_ctx.config["IDENTITY_KEYS"])
    new_key = Fernet.generate_key().decode()
    try:
        app_ctx.config["IDENTITY_KEYS"] = [new_key, *old_keys]
        with tenant_scope(tenant_a.tenant_id):
            assert rotate_columns([ReporterIdentity])["danh tính"] >= 1
            app_ctx.config["IDENTITY_KEYS"] = [new_key]  # the old key is gone: everything still reads
            reporter = db.session.get(ReporterIdentity, db.session.execute(reporters_by_phone(PHONE)).scalars().first())
            assert reporter is not None and reveal(reporter)["name"] == NAME
    finally:
        app_ctx.config["IDENTITY_KEYS"] = old_keys
