"""The 2025 reform carries every row of a pre-reform tenant into its new province's tenant (`core.carry`): what
the hostile review put in place travels with the rows and still holds there — each public tip's own vault record
and pseudonym (findings 1, 2), a token's expiry and the session and second-factor state (5, 6, 7), a verified
Zalo app (22), exports encrypted at rest and re-checked at download (9, 19)."""
import pytest
from sqlalchemy import select

from core.audit import AuditLog
from core.errors import Conflict
from core.extensions import db
from core.tenancy import platform_scope, tenant_scope
from inbox.models import Tip
from inbox.vault import ReporterIdentity, pseudonym
from metrics.exports.models import Export
from tenants import services
from tenants.models import ApiToken, Tenant, User
from tests.hierarchy_reorg.conftest import NEUTRAL_TIP, unit
from tests.zalo.conftest import event
from zalo import services as zalo_services
from zalo.models import ZaloApp

PHONE = "0912345678"


def _tenant(slug):
    with platform_scope():
        return db.session.execute(select(Tenant).where(Tenant.slug == slug)).scalar_one()


def _tips_with_phone(code, count):
    from inbox.intake import submit_tip

    tips = [submit_tip(unit(code), "security_report", NEUTRAL_TIP, contact_name="Nguyễn Văn A",
                       contact_phone=PHONE).tip for _ in range(count)]
    db.session.commit()
    return [tip.id for tip in tips]


def test_carried_tips_keep_a_pseudonym_each_and_only_the_reveal_links_them(app_ctx, client, tenant_a):
    runner = app_ctx.test_cli_runner()
    assert runner.invoke(args=["tenants", "create", "vinh-long", "--province", "86"]).exit_code == 0
    vinh_long = _tenant("vinh-long")
    with tenant_scope(vinh_long.id):
        theirs = _tips_with_phone("86", 2)
        director = services.create_user("giamdoc@vinh-long.test", "mat-khau-dai-du", "director", tenant=vinh_long,
                                        unit_code="86")
        secret, _token = services.create_token(director, "test")
        db.session.commit()
        their_aliases = {tip_id: db.session.get(Tip, tip_id).reporter.alias for tip_id in theirs}
    with tenant_scope(tenant_a.tenant_id):
        ours = _tips_with_phone("29236", 2)
        # One of Trà Vinh's pseudonym numbers is also one of Vĩnh Long's: it must be drawn again.
        clashing = db.session.get(Tip, ours[0]).reporter
        clashing.alias = their_aliases[theirs[0]]
        kept_alias = db.session.get(Tip, ours[1]).reporter.alias
        db.session.commit()
        reporters = {tip_id: db.session.get(Tip, tip_id).reporter_id for tip_id in ours}

    plan = runner.invoke(args=["reform", "plan", "tra-vinh", "--into", "vinh-long"])
    assert "1 bí danh người báo tin được rút số mới" in plan.output, plan.output
    assert runner.invoke(args=["reform", "apply", "tra-vinh", "--into", "vinh-long"]).exit_code == 0

    with tenant_scope(vinh_long.id):
        tips = {tip_id: db.session.get(Tip, tip_id) for tip_id in theirs + ours}
        # No record was merged or shared: four tips, four records, four pseudonyms.
        assert len(db.session.execute(select(ReporterIdentity.id)).scalars().all()) == 4
        assert len({tip.reporter_id for tip in tips.values()}) == 4
        assert {tip_id: tips[tip_id].reporter_id for tip_id in ours} == reporters
        assert len({pseudonym(tip.reporter) for tip in tips.values()}) == 4
        assert {tip_id: tips[tip_id].reporter.alias for tip_id in theirs} == their_aliases
        assert tips[ours[0]].reporter.alias not in their_aliases.values()
        assert tips[ours[1]].reporter.alias == kept_alias
    headers = {"Authorization": f"Bearer {secret}"}
    listed = client.get("/api/v1/tips?per_page=200", headers=headers).get_json()["items"]
    assert len({item["reporter"] for item in listed if item["id"] in tips}) == 4
    # The audited reveal still finds the same phone across the two old provinces (one blind-index key).
    revealed = client.post(f"/api/v1/tips/{theirs[0]}/reveal", headers=headers,
                           json={"reason": "Đối chiếu sau sáp nhập tỉnh"}).get_json()
    assert sorted(linked["id"] for linked in revealed["linked_tips"]) == sorted(theirs[1:] + ours)
    with tenant_scope(vinh_long.id):
        record = db.session.execute(select(AuditLog).where(AuditLog.action == "tip.reveal")).scalar_one()
        assert record.details["linked_tips"] == 3


def test_tokens_sessions_zalo_app_and_exports_keep_their_protections(app_ctx, client, world, tenant_a,
                                                                      bearer, run_jobs):
    headers, officer = bearer("director"), bearer("officer")
    created = client.post("/api/v1/exports", headers=headers, json={
        "report": "posts", "format": "csv", "unit_id": tenant_a.units["root"].id})
    assert created.status_code == 202, created.get_json()
    run_jobs()
    export = client.get(f"/api/v1/exports/{created.get_json()['id']}", headers=headers).get_json()
    assert export["status"] == "done", export
    with tenant_scope(tenant_a.tenant_id):
        director = db.session.get(User, tenant_a.users["director"].id)
        director.totp_last_step, director.session_version = 58_000_000, 3
        token_expiry = db.session.execute(select(ApiToken.expires_at).where(ApiToken.user_id == director.id)
                                          ).scalar_one()
        zalo_services.configure_app("4455667788", "bi-mat-ung-dung", "khoa-bi-mat-oa", verified=True)
        verified_at = db.session.execute(select(ZaloApp.verified_at)).scalar_one()
        db.session.commit()

    result = app_ctx.test_cli_runner().invoke(args=["reform", "apply", "tra-vinh", "--into", "vinh-long"])
    assert result.exit_code == 0, result.output
    vinh_long = _tenant("vinh-long")

    with tenant_scope(vinh_long.id):
        director = db.session.get(User, tenant_a.users["director"].id)
        assert (director.tenant_id, director.totp_last_step, director.session_version) == (vinh_long.id,
                                                                                           58_000_000, 3)
        token = db.session.execute(select(ApiToken).where(ApiToken.user_id == director.id)).scalar_one()
        assert token.expires_at == token_expiry and not token.expired
        app = db.session.execute(select(ZaloApp)).scalar_one()
        assert (app.app_id, app.verified_at) == ("4455667788", verified_at)
        assert db.session.get(Export, export["id"]).tenant_id == vinh_long.id
    # The carried token still signs the director in; the carried export still decrypts, for its requester only
    # while the rights hold.
    downloaded = client.get(export["download_url"], headers=headers)
    assert downloaded.status_code == 200 and downloaded.headers["X-Content-SHA256"] == export["sha256"]
    assert client.get(export["download_url"], headers=officer).status_code == 404
    # A verified app id stays the carried tenant's: another province cannot claim it.
    with tenant_scope(world["b"].tenant_id), pytest.raises(Conflict):
        zalo_services.configure_app("4455667788", "bi-mat-ung-dung-khac", "khoa-bi-mat-khac")


def test_a_zalo_delivery_right_after_the_reform_reaches_the_new_tenant(app_ctx, channel, tenant_a):
    """The webhook keeps each app's key (and tenant) per process; the carry moves the app by a bulk UPDATE, so the
    kept tenant must be forgotten, or a citizen's message would land in the emptied old tenant."""
    from zalo.models import WebhookDelivery

    channel.deliver(event(1))  # the webhook now keeps the app's key with Trà Vinh's id
    result = app_ctx.test_cli_runner().invoke(args=["reform", "apply", "tra-vinh", "--into", "vinh-long"])
    assert result.exit_code == 0, result.output
    channel.deliver(event(2))
    vinh_long = _tenant("vinh-long")
    with platform_scope():
        assert set(db.session.execute(select(WebhookDelivery.tenant_id)).scalars()) == {vinh_long.id}
        tips = db.session.execute(select(Tip).where(Tip.channel == "zalo")).scalars().all()
        assert [tip.tenant_id for tip in tips] == [vinh_long.id, vinh_long.id]  # two citizens, a tip each
        assert all(delivery.processed_at for delivery in db.session.execute(select(WebhookDelivery)).scalars())
