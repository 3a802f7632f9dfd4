"""A reporter's name, phone and Zalo user id, planted through the public API, the HTML form and signed Zalo
webhook events, then taken through the whole staff flow (list, read, reply, refused actions, a director's
reveal, notifications in-app and by e-mail, the tips register in CSV/XLSX/PDF, the audit export): they
appear in no log line, no error answer, no export, no notification, not in the OpenAPI document and in no
plaintext column of any table. The audit chains still verify at the end (`flask audit verify`).

The vault's own tests (tests/inbox/test_confidentiality.py) cover the API and form at the column level;
this one follows the identity everywhere it could leak to.
"""
import csv
import io
import logging

import openpyxl
from pypdf import PdfReader
from sqlalchemy import select

from core.extensions import db
from tests.scans import stored_text_values
from tests.security.conftest import csrf_of
from tests.zalo.conftest import CITIZEN, event

NAME, PHONE = "Trịnh Thị Kín Đáo", "0987654321"
ZALO_NAME, ZALO_PHONE, ZALO_ADDRESS = "Nguyễn Văn Bình", "912345678", "Số 45 đường Nguyễn Đáng"
NEEDLES = (NAME, "Kín Đáo", PHONE, "987654321", "987 654 321", CITIZEN, ZALO_NAME, ZALO_PHONE, ZALO_ADDRESS)


def leaks(text):
    return [needle for needle in NEEDLES if needle in text]


def plant(client, tenant, channel):
    commune = tenant.units["commune"]
    api = client.post(f"/api/v1/public/units/{commune.id}/tips", json={
        "category": "crime_report", "description": "Có người tàng trữ vũ khí trái phép trong nhà kho.",
        "contact": {"name": NAME, "phone": PHONE}})
    assert api.status_code == 201
    form_url = f"/p/{tenant.slug}/{commune.code}/gui-tin-bao"
    form = client.post(form_url, data={
        "csrf_token": csrf_of(client.get(form_url).get_data(as_text=True)), "category": "social_evil",
        "description": "Tụ điểm đánh bạc sau chợ.", "contact_name": NAME, "contact_phone": "+84 987 654 321"})
    assert form.status_code == 201
    channel.deliver(event(1))
    channel.deliver(event(9))
    return api.get_json()


def export_texts(client, headers, run_jobs, unit_id):
    """The tips register in every format, and the audit log's own export, as text."""
    for report, fmt in (("tips", "csv"), ("tips", "xlsx"), ("tips", "pdf"), ("audit", "csv")):
        created = client.post("/api/v1/exports", headers=headers,
                              json={"report": report, "format": fmt, "unit_id": unit_id})
        assert created.status_code == 202, created.get_json()
        run_jobs()
        state = client.get(f"/api/v1/exports/{created.get_json()['id']}", headers=headers).get_json()
        assert state["status"] == "done", state
        data = client.get(state["download_url"], headers=headers).data
        if fmt == "csv":
            yield report, fmt, "\n".join(",".join(row) for row in csv.reader(io.StringIO(data.decode("utf-8-sig"))))
        elif fmt == "xlsx":
            book = openpyxl.load_workbook(io.BytesIO(data))
            yield report, fmt, "\n".join(str(cell.value) for sheet in book for row in sheet.iter_rows() for cell in row)
        else:
            yield report, fmt, "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


def test_a_planted_identity_leaks_nowhere(app_ctx, client, world, bearer, channel, run_jobs, caplog, monkeypatch):
    from inbox import notify
    from inbox.notify import Notification

    caplog.set_level(logging.DEBUG)
    mails = []
    monkeypatch.setitem(app_ctx.config, "SMTP_URL", "smtp://127.0.0.1:1")
    monkeypatch.setattr(notify, "_send", lambda _url, message: mails.append(message.as_string()))
    a = world["a"]
    plant(client, a, channel)
    run_jobs()

    director, officer, auditor = bearer("director"), bearer("officer"), bearer("auditor")
    tips = client.get("/api/v1/tips?per_page=200", headers=director).get_json()["items"]
    assert len(tips) >= 3
    answers = []
    for tip in tips:
        answers.append(client.get(f"/api/v1/tips/{tip['id']}", headers=officer))
        answers.append(client.post(f"/api/v1/tips/{tip['id']}/messages", headers=officer,
                                   json={"body": "Công an xã đã tiếp nhận, cảm ơn anh chị."}))
        answers.append(client.post(f"/api/v1/tips/{tip['id']}/reveal", headers=officer, json={"reason": "Thử"}))
        answers.append(client.post(f"/api/v1/tips/{tip['id']}/reveal", headers=auditor, json={"reason": "Thử"}))
        answers.append(client.patch(f"/api/v1/tips/{tip['id']}", headers=officer, json={"status": "nonsense"}))
        answers.append(client.post(f"/api/v1/tips/{tip['id']}/forward", headers=officer, json={"unit_id": 0}))
    answers.append(client.get("/api/v1/tips/999999", headers=officer))
    run_jobs()
    for answer in answers:
        assert answer.status_code < 500 and not leaks(answer.get_data(as_text=True)), answer.status_code
    assert {answer.status_code for answer in answers} >= {200, 201, 403, 404, 422}

    revealed = client.post(f"/api/v1/tips/{tips[-1]['id']}/reveal", headers=director, json={"reason": "Lấy lời khai"})
    assert revealed.status_code == 200 and leaks(revealed.get_data(as_text=True))  # the one place it may appear
    client.post("/login", data={})  # a refused sign-in form: another error answer, checked below with the rest

    for report, fmt, text in export_texts(client, director, run_jobs, a.units["root"].id):
        assert text and not leaks(text), (report, fmt, leaks(text))

    from core.tenancy import platform_scope, tenant_scope

    with tenant_scope(a.tenant_id):
        notes = db.session.execute(select(Notification.message)).scalars().all()
    assert notes and not any(leaks(note) for note in notes)
    assert mails and not any(leaks(mail) for mail in mails)
    assert not leaks(client.get("/api/v1/openapi.json").get_data(as_text=True))

    with platform_scope():
        columns = list(stored_text_values())
    for where, value in columns:
        raw = bytes(value) if isinstance(value, (bytes, bytearray, memoryview)) else str(value).encode()
        assert not any(needle.encode() in raw for needle in NEEDLES), (where, raw[:200])
    for record in caplog.records:
        line = f"{record.getMessage()} {record.args!r} {record.exc_text or ''}"
        assert not leaks(line), line[:300]

    verified = app_ctx.test_cli_runner().invoke(args=["audit", "verify"])
    assert verified.exit_code == 0, verified.output
