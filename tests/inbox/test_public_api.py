"""The citizen's API: intake (JSON and multipart), anti-abuse, and follow-up by code and secret."""
import io
import re
import time

import pytest
from sqlalchemy import func, select

from core.extensions import db
from core.tenancy import tenant_scope
from inbox.models import Tip, TipAttachment
from metrics.models import Event
from tests.inbox.conftest import jpeg_with_exif, png_bytes

CODE = re.compile(r"^TV-[2-9A-HJ-NP-TV-Z]{4}-[2-9A-HJ-NP-TV-Z]{4}$")


def count(model, tenant):
    with tenant_scope(tenant.tenant_id):
        return db.session.execute(select(func.count()).select_from(model)).scalar_one()


def test_json_tip_gets_code_and_secret_and_is_counted_at_receiving_unit(post_tip, tenant_a):
    response = post_tip(tenant_a.units["commune"].id, severity="high", place="Chợ phường 4",
                        contact={"name": "Trần Thị Lan", "phone": "0901234567"})
    assert response.status_code == 201
    body = response.get_json()
    assert CODE.match(body["tracking_code"]) and body["status"] == "new"
    assert len(body["secret"].replace("-", "")) >= 27  # 27 × log2(30) > 128 bits
    with tenant_scope(tenant_a.tenant_id):
        tip = db.session.execute(select(Tip).where(Tip.tracking_code == body["tracking_code"])).scalar_one()
        assert body["secret"] not in tip.secret_hash and len(tip.secret_hash) == 64
        assert (tip.unit_id, tip.first_unit_id, tip.channel) == (tenant_a.units["commune"].id,) * 2 + ("api",)
        received = db.session.execute(select(Event.unit_id).where(Event.metric == "tips_received",
                                                                  Event.subject_id == tip.id)).scalars().all()
        assert received == [tenant_a.units["commune"].id]
        assert tip.ack_due_at is not None and tip.resolve_due_at > tip.ack_due_at


def test_drug_tip_is_routed_to_the_drug_department_but_counted_where_it_was_sent(post_tip, tenant_a):
    body = post_tip(tenant_a.units["commune"].id, category="crime_report",
                    description="Nhà cuối hẻm có người bán ma túy đá mỗi tối.").get_json()
    with tenant_scope(tenant_a.tenant_id):
        tip = db.session.execute(select(Tip).where(Tip.tracking_code == body["tracking_code"])).scalar_one()
        assert tip.unit_id == tenant_a.units["department"].id
        assert tip.first_unit_id == tenant_a.units["commune"].id


def test_multipart_tip_with_photo_keeps_encrypted_original_and_stripped_copy(client, app_ctx, tenant_a):
    photo = jpeg_with_exif()
    response = client.post(f"/api/v1/public/units/{tenant_a.units['commune'].id}/tips", data={
        "category": "social_evil", "description": "Tụ điểm đánh bạc sau nhà văn hoá.",
        "contact_name": "Lê Văn Tư", "contact_phone": "0987654321",
        "files": [(io.BytesIO(photo), "IMG_0001.jpg"), (io.BytesIO(png_bytes()), "b.png")]},
        content_type="multipart/form-data")
    assert response.status_code == 201, response.get_data(as_text=True)
    import hashlib

    from inbox.evidence import private_storage, read_stripped

    with tenant_scope(tenant_a.tenant_id):
        items = db.session.execute(select(TipAttachment).order_by(TipAttachment.id)).scalars().all()
        assert [item.kind for item in items] == ["image", "image"]
        first = items[0]
        assert first.sha256 == hashlib.sha256(photo).hexdigest()
        assert private_storage().read(first.original_key) == photo
        raw_on_disk = private_storage().inner.read(first.original_key)
        assert photo not in raw_on_disk and b"SecretCam" not in raw_on_disk
        assert b"SecretCam" not in read_stripped(first)


@pytest.mark.parametrize("payload, field", [
    ({"description": "x"}, "category"),
    ({"category": "crime_report"}, "description"),
    ({"category": "nonsense", "description": "x"}, "category"),
    ({"category": "other", "description": "x", "severity": "extreme"}, "severity"),
    ({"category": "other", "description": "x", "colour": "red"}, "colour"),
    ({"category": "other", "description": "x", "contact": {"name": "A", "email": "a@b.c"}}, "contact.email"),
    ({"category": "other", "description": "x", "contact": {"phone": "12"}}, "contact_phone"),
    ({"category": "other", "description": "   "}, "description"),
])
def test_invalid_tip_answers_422_naming_the_field(client, tenant_a, payload, field):
    response = client.post(f"/api/v1/public/units/{tenant_a.units['commune'].id}/tips", json=payload)
    assert response.status_code == 422
    assert field in response.get_json()["error"]["fields"]


def test_non_json_body_is_400(client, tenant_a):
    response = client.post(f"/api/v1/public/units/{tenant_a.units['commune'].id}/tips", data="oops",
                           content_type="text/plain")
    assert response.status_code == 400


def test_unknown_unit_is_404(post_tip):
    assert post_tip(999999).status_code == 404


def test_honeypot_is_answered_like_success_but_nothing_is_stored(post_tip, tenant_a):
    before = count(Tip, tenant_a)
    response = post_tip(tenant_a.units["commune"].id, website="http://spam.example")
    assert response.status_code == 201 and set(response.get_json()) == {"tracking_code", "secret", "status"}
    assert count(Tip, tenant_a) == before


@pytest.mark.parametrize("content, status", [(b"<html>not a picture</html>", 415), ("big", 413)])
def test_bad_file_refuses_the_whole_tip(client, app_ctx, tenant_a, monkeypatch, content, status):
    if content == "big":
        import inbox.evidence

        monkeypatch.setattr(inbox.evidence, "VIDEO_MAX_BYTES", 1000)
        content = png_bytes() + b"\0" * 2000
    before = count(Tip, tenant_a)
    response = client.post(f"/api/v1/public/units/{tenant_a.units['commune'].id}/tips", data={
        "category": "other", "description": "Ảnh kèm theo.",
        "files": [(io.BytesIO(png_bytes()), "ok.png"), (io.BytesIO(content), "bad.jpg")]},
        content_type="multipart/form-data")
    assert response.status_code == status
    assert "files" in response.get_json()["error"]["fields"]
    assert count(Tip, tenant_a) == before and count(TipAttachment, tenant_a) == 0


def test_followup_shows_replies_and_accepts_messages(client, post_tip, bearer, tenant_a):
    created = post_tip(tenant_a.units["commune"].id).get_json()
    headers = {"X-Tip-Secret": created["secret"]}
    staff = bearer("officer")
    tip_id = client.get("/api/v1/tips", headers=staff).get_json()["items"][0]["id"]
    client.post(f"/api/v1/tips/{tip_id}/messages", headers=staff, json={"body": "Đã nhận, đang xác minh."})
    client.post(f"/api/v1/tips/{tip_id}/messages", headers=staff, json={"body": "Nghi vấn A", "internal": True})

    # Typed back loosely: lower case, no dashes.
    loose = created["tracking_code"].lower().replace("-", "")
    view = client.get(f"/api/v1/public/tips/{loose}", headers={"X-Tip-Secret": created["secret"].lower()})
    assert view.status_code == 200
    assert view.headers["Cache-Control"] == "no-store"
    data = view.get_json()
    assert data["status"] == "acknowledged"
    assert [m["body"] for m in data["messages"]] == ["Đã nhận, đang xác minh."]

    sent = client.post(f"/api/v1/public/tips/{created['tracking_code']}/messages", headers=headers,
                       json={"body": "Tối nay họ lại tụ tập."})
    assert sent.status_code == 201
    assert client.post(f"/api/v1/public/tips/{created['tracking_code']}/messages", headers=headers,
                       json={"body": ""}).status_code == 422
    assert client.post(f"/api/v1/public/tips/{created['tracking_code']}/messages", headers=headers,
                       json={"text": "x"}).get_json()["error"]["fields"] == {"text": ["Unknown field."]}
    thread = client.get(f"/api/v1/tips/{tip_id}", headers=staff).get_json()["messages"]
    assert [m["direction"] for m in thread] == ["out", "out", "in"]


def test_wrong_or_missing_secret_looks_exactly_like_an_unknown_code(client, post_tip, tenant_a):
    created = post_tip(tenant_a.units["commune"].id).get_json()
    code = created["tracking_code"]
    answers = [
        client.get(f"/api/v1/public/tips/{code}", headers={"X-Tip-Secret": "WRONG-SECRET"}),
        client.get(f"/api/v1/public/tips/{code}"),
        client.get("/api/v1/public/tips/TV-2222-2222", headers={"X-Tip-Secret": created["secret"]}),
        client.post(f"/api/v1/public/tips/{code}/messages", headers={"X-Tip-Secret": "x"}, json={"body": "hi"}),
    ]
    assert {response.status_code for response in answers} == {404}
    assert len({response.get_data() for response in answers}) == 1


def test_intake_is_rate_limited_per_client_with_retry_after(limited_client, tenant_a):
    limited_client.application.config["RATELIMIT_PUBLIC_TIPS"] = "2 per minute"
    url = f"/api/v1/public/units/{tenant_a.units['commune'].id}/tips"
    body = {"category": "other", "description": "Thử giới hạn."}
    answers = [limited_client.post(url, json=body) for _ in range(3)]
    assert [answer.status_code for answer in answers] == [201, 201, 429]
    assert [answer.headers["X-RateLimit-Remaining"] for answer in answers] == ["1", "0", "0"]
    assert {answer.headers["X-RateLimit-Limit"] for answer in answers} == {"2"}
    refused = limited_client.post(url, json=body)
    assert refused.status_code == 429 and 0 < int(refused.headers["Retry-After"]) <= 60
    assert 0 < int(refused.headers["X-RateLimit-Reset"]) - time.time() <= 61
    assert refused.get_json()["error"]["code"] == "rate_limited"
    # Another client (another address) is not affected.
    other = limited_client.post(url, json=body, environ_base={"REMOTE_ADDR": "203.0.113.9"})
    assert other.status_code == 201


def test_wrong_secret_guesses_are_throttled(limited_client, post_tip, tenant_a):
    code = post_tip(tenant_a.units["commune"].id).get_json()["tracking_code"]
    limited_client.application.config["RATELIMIT_FOLLOWUP"] = "3 per minute"
    statuses = [limited_client.get(f"/api/v1/public/tips/{code}", headers={"X-Tip-Secret": f"guess{n}"}).status_code
                for n in range(4)]
    assert statuses == [404, 404, 404, 429]
    assert "Retry-After" in limited_client.get(f"/api/v1/public/tips/{code}").headers
