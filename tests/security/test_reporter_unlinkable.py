"""Findings 1 and 2 of the hostile review: a public submission must never unmask a reporter.

An officer who files a probe tip with a guessed phone number must not learn whether it belongs to the reporter
of another tip (the pseudonym staff see would be the same), in either channel; and the probe must never change
what a director's reveal of the other tip returns. The linkage stays in the vault (blind indexes) and is shown
only through the audited reveal.
"""
from sqlalchemy import select

from core.audit import AuditLog
from core.extensions import db
from core.tenancy import tenant_scope
from tests.security.conftest import csrf_of
from tests.zalo.conftest import event

VICTIM_PHONE = "0912345678"  # also the phone Zalo's `user_submit_info` fixture carries (84912345678)


def _api_tip(client, tenant, **contact):
    response = client.post(f"/api/v1/public/units/{tenant.units['commune'].id}/tips", json={
        "category": "crime_report", "description": "Có nhóm thanh niên tụ tập gây rối ở đầu hẻm.", "contact": contact})
    assert response.status_code == 201, response.get_json()
    return response.get_json()["tracking_code"]


def _form_tip(client, tenant, name="", phone=""):
    url = f"/p/{tenant.slug}/{tenant.units['commune'].code}/gui-tin-bao"
    response = client.post(url, data={"csrf_token": csrf_of(client.get(url).get_data(as_text=True)),
                                      "category": "security_report", "description": "Tin thử.",
                                      "contact_name": name, "contact_phone": phone})
    assert response.status_code == 201, response.get_data(as_text=True)[:300]


def _tips_by_code(client, headers):
    items = client.get("/api/v1/tips?per_page=200", headers=headers).get_json()["items"]
    return {item["tracking_code"]: item for item in items}


def test_a_probe_tip_with_a_victims_phone_gets_a_pseudonym_of_its_own(client, world, bearer):
    a = world["a"]
    victim = _api_tip(client, a, name="Lê Thị Nạn Nhân", phone=VICTIM_PHONE)
    officer = bearer("officer")
    before = _tips_by_code(client, officer)
    _api_tip(client, a, phone="+84 912 345 678")  # the officer's probe, through the API
    _form_tip(client, a, phone="0912 345 678")  # and through the form
    after = _tips_by_code(client, officer)
    probes = [item for code, item in after.items() if code not in before]
    assert len(probes) == 2
    pseudonyms = {after[victim]["reporter"], *(probe["reporter"] for probe in probes)}
    assert len(pseudonyms) == 3, "a probe shares the victim's pseudonym: the phone is confirmed"
    for probe in probes:  # nothing else in what staff read tells the tips apart by reporter either
        detail = client.get(f"/api/v1/tips/{probe['id']}", headers=officer).get_json()
        assert after[victim]["reporter"] not in str(detail)


def test_a_web_probe_is_not_linked_to_a_zalo_reporter(client, world, bearer, channel):
    channel.deliver(event(1))  # a citizen writes on Zalo ...
    channel.deliver(event(9))  # ... and shares their phone (84912345678) through the OA's form
    officer = bearer("officer")
    zalo_tip = next(item for item in _tips_by_code(client, officer).values() if item["channel"] == "zalo")
    probe_code = _api_tip(client, world["a"], phone=VICTIM_PHONE)
    probe = _tips_by_code(client, officer)[probe_code]
    assert probe["reporter"] != zalo_tip["reporter"]


def test_zalo_messages_of_one_citizen_still_share_one_pseudonym(client, bearer, channel):
    channel.deliver(event(1))
    channel.deliver(event(2))
    zalo = [item for item in _tips_by_code(client, bearer("officer")).values() if item["channel"] == "zalo"]
    assert len(zalo) == 1  # threaded into the one open tip: the OA user id is Zalo's proof of the sender


def test_a_submission_never_changes_another_tips_identity(app_ctx, client, world, bearer):
    from inbox.models import Tip
    from inbox.vault import ReporterIdentity

    a = world["a"]
    victim_code = _api_tip(client, a, phone=VICTIM_PHONE)  # no name given
    with tenant_scope(a.tenant_id):
        reporter_id = db.session.execute(select(Tip.reporter_id).where(Tip.tracking_code == victim_code)).scalar_one()
        stored = db.session.execute(select(ReporterIdentity.name_enc, ReporterIdentity.phone_enc).where(
            ReporterIdentity.id == reporter_id)).one()
    _api_tip(client, a, name="Kẻ Giả Danh", phone=VICTIM_PHONE)
    _form_tip(client, a, name="Người Khác", phone=VICTIM_PHONE)
    with tenant_scope(a.tenant_id):
        assert db.session.execute(select(ReporterIdentity.name_enc, ReporterIdentity.phone_enc).where(
            ReporterIdentity.id == reporter_id)).one() == stored
    director = bearer("director")
    victim_id = _tips_by_code(client, director)[victim_code]["id"]
    revealed = client.post(f"/api/v1/tips/{victim_id}/reveal", headers=director, json={"reason": "Lấy lời khai"})
    assert revealed.status_code == 200
    assert (revealed.get_json()["name"], revealed.get_json()["phone"]) == (None, VICTIM_PHONE)


def test_the_linkage_is_shown_only_by_the_audited_reveal(client, world, bearer):
    a = world["a"]
    first = _api_tip(client, a, name="Trần Văn Một", phone=VICTIM_PHONE)
    second = _api_tip(client, a, name="Trần Văn Một", phone="+84912345678")
    director = bearer("director")
    tips = _tips_by_code(client, director)
    assert tips[first]["reporter"] != tips[second]["reporter"]
    revealed = client.post(f"/api/v1/tips/{tips[second]['id']}/reveal", headers=director,
                           json={"reason": "Đối chiếu tin báo cùng người gửi"}).get_json()
    assert [linked["tracking_code"] for linked in revealed["linked_tips"]] == [first]
    with tenant_scope(a.tenant_id):
        record = db.session.execute(select(AuditLog).where(AuditLog.action == "tip.reveal")).scalar_one()
        assert record.target_id == str(tips[second]["id"]) and record.details["linked_tips"] == 1


def test_the_upgrade_gives_tips_matched_by_phone_a_record_of_their_own(tmp_root):
    """Tips that earlier releases attached to one reporter by phone: after `db upgrade` the Zalo tip keeps the
    record, each web or API tip has its own copy (same encrypted name and phone, no Zalo user, new pseudonym)."""
    from flask_migrate import upgrade
    from sqlalchemy import text

    from core import create_app
    from tests.conftest import make_config
    from tests.foundation.test_migrations import _fresh_database

    uri, cleanup = _fresh_database(tmp_root)
    app = create_app(make_config(tmp_root, uri))
    try:
        with app.app_context():
            upgrade(revision="0004")
            with db.engine.begin() as connection:
                connection.execute(text(
                    "INSERT INTO tenants (id, slug, name, province_code, settings, created_at) "
                    "VALUES (1, 'tra-vinh', 'Trà Vinh', '84', '{}', CURRENT_TIMESTAMP)"))
                connection.execute(text(
                    "INSERT INTO units (id, tenant_id, parent_id, kind, code, name, search_name, path, depth, "
                    "sort_order, address, phone, email, contact_hours, description, avatar_path, active) "
                    "VALUES (1, 1, NULL, 'province', '84', 'Công an', '', '/84/', 0, 0, '', '', '', '', '', '', "
                    "true)"))
                connection.execute(text(
                    "INSERT INTO reporter_identities (id, tenant_id, alias, name_enc, phone_enc, zalo_user_enc, "
                    "phone_index, zalo_index, zalo_oa_id, created_at) VALUES (7, 1, 4821, :name, :phone, :zalo, "
                    "'phone-index', 'zalo-index', 'oa', CURRENT_TIMESTAMP)"),
                    {"name": b"name-ciphertext", "phone": b"phone-ciphertext", "zalo": b"zalo-ciphertext"})
                for tip_id, channel in ((1, "web"), (2, "zalo"), (3, "api"), (4, "web")):
                    connection.execute(text(
                        "INSERT INTO tips (id, tenant_id, tracking_code, secret_hash, unit_id, first_unit_id, "
                        "channel, category, severity, status, description, place, reporter_id, overdue, escalated, "
                        "flagged_at_root, created_at, updated_at) VALUES (:id, 1, :code, 'h', 1, 1, :channel, "
                        "'other', 'normal', 'new', '', '', 7, false, false, false, CURRENT_TIMESTAMP, "
                        "CURRENT_TIMESTAMP)"), {"id": tip_id, "code": f"TV-{tip_id}", "channel": channel})
            upgrade()
            with db.engine.connect() as connection:
                owners = dict(connection.execute(text("SELECT id, reporter_id FROM tips")).all())
                assert owners[2] == 7 and len({owners[1], owners[3], owners[4], 7}) == 4
                copies = connection.execute(text(
                    "SELECT alias, name_enc, phone_enc, phone_index, zalo_user_enc, zalo_index FROM "
                    "reporter_identities WHERE id != 7")).all()
                assert len(copies) == 3 and len({row[0] for row in copies} | {4821}) == 4
                for row in copies:
                    assert (bytes(row[1]), bytes(row[2]), row[3], row[4], row[5]) == (
                        b"name-ciphertext", b"phone-ciphertext", "phone-index", None, None)
            db.engine.dispose()
    finally:
        cleanup()
