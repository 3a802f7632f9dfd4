"""`flask zalo config|link|simulate` as an operator uses them."""
from sqlalchemy import select

from core import audit
from core.extensions import db
from core.tenancy import tenant_scope
from hierarchy.models import Unit
from zalo.models import ZaloApp

from .conftest import APP_ID, EVENTS, OA_ID, OA_SECRET_KEY, thread, zalo_tips

SECRET = "app-secret-of-the-province-1234"


def _invoke(app, *args):
    return app.test_cli_runner().invoke(args=["zalo", *args])


def test_config_stores_the_secrets_encrypted_and_shows_only_their_end(app_ctx, tenant_a):
    result = _invoke(app_ctx, "config", "tra-vinh", "--app-id", APP_ID, "--app-secret", SECRET,
                     "--oa-secret-key", OA_SECRET_KEY)
    assert result.exit_code == 0, result.output
    assert "…1234" in result.output and SECRET not in result.output and OA_SECRET_KEY not in result.output
    assert "/webhooks/zalo" in result.output
    with tenant_scope(tenant_a.tenant_id):
        app = db.session.execute(select(ZaloApp)).scalar_one()
        assert app.app_secret == SECRET and SECRET.encode() not in app.app_secret_enc
        assert app.oa_secret_key == OA_SECRET_KEY and app.oa_secret_key_last4 == "Z1aB"
        assert app.app_secret_last4 == "1234"
        record = db.session.execute(select(audit.AuditLog).where(audit.AuditLog.action == "zalo.config")
                                    ).scalar_one()
        assert record.details["app_id"] == APP_ID and SECRET not in str(record.details)


def test_config_refuses_bad_input_and_an_app_of_another_tenant(app_ctx):
    bad = _invoke(app_ctx, "config", "tra-vinh", "--app-id", "abc", "--app-secret", SECRET,
                  "--oa-secret-key", OA_SECRET_KEY)
    assert bad.exit_code == 1 and "app_id" in bad.output
    assert _invoke(app_ctx, "config", "tra-vinh", "--app-id", APP_ID, "--app-secret", SECRET,
                   "--oa-secret-key", OA_SECRET_KEY).exit_code == 0
    taken = _invoke(app_ctx, "config", "kien-giang", "--app-id", APP_ID, "--app-secret", SECRET,
                    "--oa-secret-key", OA_SECRET_KEY)
    assert taken.exit_code == 1
    assert _invoke(app_ctx, "config", "atlantis", "--app-id", APP_ID, "--app-secret", SECRET,
                   "--oa-secret-key", OA_SECRET_KEY).exit_code == 1


def test_link_binds_a_unit_to_its_oa_once(app_ctx, tenant_a):
    commune, sibling = tenant_a.units["commune"], tenant_a.units["sibling"]
    result = _invoke(app_ctx, "link", commune.code, "--tenant", "tra-vinh", "--oa-id", OA_ID)
    assert result.exit_code == 0, result.output
    with tenant_scope(tenant_a.tenant_id):
        assert db.session.execute(select(Unit.zalo_oa_id).where(Unit.id == commune.id)).scalar_one() == OA_ID
        record = db.session.execute(select(audit.AuditLog).where(audit.AuditLog.action == "zalo.link")).scalar_one()
        assert record.details["oa_id"] == OA_ID and record.unit_id == commune.id
    twice = _invoke(app_ctx, "link", sibling.code, "--tenant", "tra-vinh", "--oa-id", OA_ID)
    assert twice.exit_code == 1 and commune.name in twice.output
    assert _invoke(app_ctx, "link", "00000", "--tenant", "tra-vinh", "--oa-id", OA_ID).exit_code == 1
    assert _invoke(app_ctx, "link", commune.code, "--tenant", "tra-vinh", "--oa-id", "not-an-id").exit_code == 1


def test_simulate_signs_a_file_and_delivers_it_to_the_unit(app_ctx, tenant_a, run_jobs):
    commune, sibling = tenant_a.units["commune"], tenant_a.units["sibling"]
    _invoke(app_ctx, "config", "tra-vinh", "--app-id", "1730512954321988888", "--app-secret", SECRET,
            "--oa-secret-key", "another-oa-secret-key")
    _invoke(app_ctx, "link", sibling.code, "--tenant", "tra-vinh", "--oa-id", "2871465093512271111")
    path = str(EVENTS / "e1_user_send_text.json")
    result = _invoke(app_ctx, "simulate", path, "--unit", sibling.code)
    assert result.exit_code == 0 and result.output.startswith("200"), result.output
    again = _invoke(app_ctx, "simulate", path, "--unit", sibling.code, "--tenant", "tra-vinh")
    assert '"duplicate":true' in again.output.replace(" ", "")
    fresh = _invoke(app_ctx, "simulate", path, "--unit", sibling.code, "--fresh")
    assert fresh.exit_code == 0
    run_jobs()
    with tenant_scope(tenant_a.tenant_id):
        [tip] = zalo_tips()
        assert tip.first_unit_id == sibling.id and tip.zalo_oa_id == "2871465093512271111"
        assert [m.body for m in thread(tip) if m.direction == "in"] == [
            "Tôi muốn trình báo bị lừa đảo qua điện thoại"] * 2
    unlinked = _invoke(app_ctx, "simulate", path, "--unit", commune.code)
    assert unlinked.exit_code == 1


def test_rotate_re_encrypts_under_the_newest_key(app_ctx, tenant_a, monkeypatch):
    from cryptography.fernet import Fernet

    from core.crypto import decrypt_text

    assert _invoke(app_ctx, "config", "tra-vinh", "--app-id", APP_ID, "--app-secret", SECRET,
                   "--oa-secret-key", OA_SECRET_KEY).exit_code == 0
    old_keys = list(app_ctx.config["IDENTITY_KEYS"])
    new_key = Fernet.generate_key().decode()
    monkeypatch.setitem(app_ctx.config, "IDENTITY_KEYS", [new_key, *old_keys])
    result = _invoke(app_ctx, "rotate")
    assert result.exit_code == 0, result.output
    monkeypatch.setitem(app_ctx.config, "IDENTITY_KEYS", [new_key])  # the old key is dropped
    with tenant_scope(tenant_a.tenant_id):
        app = db.session.execute(select(ZaloApp).execution_options(populate_existing=True)).scalar_one()
        assert decrypt_text(app.app_secret_enc) == SECRET and app.oa_secret_key == OA_SECRET_KEY
