"""`flask vault rotate` after a new IDENTITY_KEY is put first: once it ran, the old key can go and every
encrypted value still reads — identities (and phone lookups), TOTP secrets, Zalo secrets, evidence files."""
from cryptography.fernet import Fernet
from sqlalchemy import select

from core.crypto import decrypt_text, encrypt
from core.extensions import db
from core.tenancy import platform_scope, tenant_scope
from inbox.evidence import private_storage, read_stripped
from inbox.models import Tip, TipAttachment
from inbox.vault import reporters_by_phone, reveal
from tenants.models import User
from tests.inbox.conftest import png_bytes

TOTP = "JBSWY3DPEHPK3PXP"
APP_SECRET, OA_SECRET_KEY = "app-secret-of-the-province-1234", "Xk9pQ2vL7mR4tY8wZ1aB"


def _fresh(statement):
    return db.session.execute(statement.execution_options(populate_existing=True)).scalar_one()


def test_help_says_what_it_covers(app_ctx):
    result = app_ctx.test_cli_runner().invoke(args=["vault", "rotate", "--help"])
    assert "re-encrypts every encrypted column" in result.output


def test_after_rotating_the_old_key_can_be_dropped(app_ctx, make_tip, tenant_a, monkeypatch):
    from zalo.models import ZaloApp
    from zalo.services import configure_app

    tip_id, _ = make_tip(contact_name="Nguyễn Văn A", contact_phone="0912 345 678", files=[png_bytes()])
    with platform_scope():
        admin = _fresh(select(User).where(User.email == "platform@test.test"))
        director = _fresh(select(User).where(User.id == tenant_a.users["director"].id))
        admin.totp_secret, director.totp_secret = encrypt(TOTP), encrypt(TOTP)
        db.session.commit()
    with tenant_scope(tenant_a.tenant_id):
        configure_app("1730512954321986543", APP_SECRET, OA_SECRET_KEY)
        db.session.commit()
        attachment = _fresh(select(TipAttachment).where(TipAttachment.tip_id == tip_id))
        before = private_storage().read(attachment.stripped_key)

    new_key = Fernet.generate_key().decode()
    monkeypatch.setitem(app_ctx.config, "IDENTITY_KEYS", [new_key, *app_ctx.config["IDENTITY_KEYS"]])
    result = app_ctx.test_cli_runner().invoke(args=["vault", "rotate"])
    assert result.exit_code == 0, result.output
    assert "2 mã TOTP" in result.output and "3 tệp chứng cứ" in result.output
    monkeypatch.setitem(app_ctx.config, "IDENTITY_KEYS", [new_key])  # the old key is gone

    with platform_scope():
        for user_id in (admin.id, director.id):
            assert decrypt_text(_fresh(select(User).where(User.id == user_id)).totp_secret) == TOTP
    with tenant_scope(tenant_a.tenant_id):
        tip = _fresh(select(Tip).where(Tip.id == tip_id))
        assert reveal(tip.reporter)["name"] == "Nguyễn Văn A"
        # the blind index follows the key
        assert db.session.execute(reporters_by_phone("0912345678")).scalars().all() == [tip.reporter_id]
        app = _fresh(select(ZaloApp))
        assert app.app_secret == APP_SECRET and app.oa_secret_key == OA_SECRET_KEY
        attachment = _fresh(select(TipAttachment).where(TipAttachment.tip_id == tip_id))
        assert read_stripped(attachment) == before and private_storage().read(attachment.original_key)
