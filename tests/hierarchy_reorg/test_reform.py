"""The 2025 reform: `flask reform plan|apply` carries a pre-reform tenant onto today's map with every figure of
every period unchanged, its old addresses redirecting, its open tips followable, its audit chain joined."""
import calendar
import re
from datetime import date, datetime

import pytest
from sqlalchemy import func, select, text

from core.audit import AuditLog
from core.extensions import db
from core.tenancy import platform_scope, tenant_scope
from core.timeutil import LOCAL_TZ
from hierarchy.models import Unit
from tenants.models import Membership, Tenant, User
from tests.hierarchy_reorg.conftest import post_at, unit

MONTHS = (date(2023, 5, 1), date(2024, 3, 1), date(2025, 6, 1), date(2025, 7, 1), date(2026, 3, 1))
METRICS = ("post_views", "followers_gained", "tips_received", "messages_in")
# A period that spans the reform date, for the dashboard's picker and the exports.
ACROSS = (date(2025, 6, 15), date(2025, 7, 15))


def _tenant(slug):
    with platform_scope():
        return db.session.execute(select(Tenant).where(Tenant.slug == slug)).scalar_one_or_none()


def _history(codes):
    """Events at the given units in every month (both edges of the reform included), values all different."""
    from metrics.events import record

    for index, code in enumerate(codes):
        target = unit(code)
        for month in MONTHS:
            for position, metric in enumerate(METRICS):
                for day in (3, 28):
                    record(metric, target, value=index * 7 + position + day + month.month,
                           at=datetime(month.year, month.month, day, 9, tzinfo=LOCAL_TZ))


def _figures(root):
    """{(period, metric): value} of the root's roll-up for every month and the period across the reform."""
    from metrics.rollups import rollup

    periods = [(m, m.replace(day=calendar.monthrange(m.year, m.month)[1])) for m in MONTHS] + [ACROSS]
    figures = {}
    for start, end in periods:
        totals = rollup(root, start, end, metrics=METRICS, today=date(2027, 1, 1)).totals
        figures.update({((start, end), metric): totals[metric] for metric in METRICS})
    return figures


def _open_tip(client, unit_id):
    response = client.post(f"/api/v1/public/units/{unit_id}/tips", json={
        "category": "security_report", "description": "Có người lạ lảng vảng trước cổng trường buổi tối."})
    assert response.status_code == 201, response.json
    return response.json["tracking_code"], response.json["secret"]


def _walk_rows(tenant_id):
    """{table: rows} of a tenant over every table of the metadata that has a tenant_id column."""
    left = {}
    with platform_scope():
        for table in db.metadata.sorted_tables:
            if "tenant_id" in table.c:
                count = db.session.execute(select(func.count()).select_from(table)
                                           .where(table.c.tenant_id == tenant_id)).scalar_one()
                if count:
                    left[table.name] = count
    return left


@pytest.fixture
def tra_vinh_history(app_ctx, client, tenant_a):
    """Tenant A (Trà Vinh 84, old map) with events across the reform, a published post at Phường 4 and an open
    tip there; returns what the tests compare after the reform."""
    with tenant_scope(tenant_a.tenant_id):
        _history(["84", "842", "29236", "29242", "PC04", "849", "29461"])
        post = post_at(unit("29236"), "Tin của Phường 4")
        post.status, post.published_at = "published", datetime(2024, 3, 5, 8, tzinfo=LOCAL_TZ)
        db.session.commit()
        before = _figures(unit("84"))
        codes = [u.code for u in db.session.execute(select(Unit)).scalars()]
        phuong_4 = unit("29236")
    code, secret = _open_tip(client, phuong_4.id)
    with platform_scope():
        from inbox.models import Tip

        tip = db.session.execute(select(Tip).where(Tip.tracking_code == code)).scalar_one()
        deadlines = (tip.ack_due_at, tip.resolve_due_at)
    return {"figures": before, "codes": codes, "post_id": post.id, "tip": (code, secret, deadlines)}


def test_plan_prints_what_will_happen_and_changes_nothing(app_ctx, tenant_a, tra_vinh_history):
    before = _walk_rows(tenant_a.tenant_id)
    result = app_ctx.test_cli_runner().invoke(args=["reform", "plan", "tra-vinh", "--into", "vinh-long"])
    assert result.exit_code == 0, result.output
    out = result.output
    assert "84 Trà Vinh sáp nhập vào 86 Vĩnh Long" in out and "sẽ được tạo" in out
    assert "29236  Công an phường 4 → 29263" in out  # merges into Phường Long Đức
    assert "29242  Công an phường 3" in out and "Công an phường Trà Vinh" in out  # continues under its new name
    assert "849    Công an huyện Trà Cú → 86" in out  # the district retires under the new HQ
    assert "officer@tra-vinh.test" in out and "district_officer@tra-vinh.test" in out
    assert "flask reform apply tra-vinh --into vinh-long" in out
    assert _tenant("vinh-long") is None and _walk_rows(tenant_a.tenant_id) == before


def test_apply_carries_tra_vinh_into_vinh_long_with_every_figure_kept(app_ctx, client, tenant_a,
                                                                       tra_vinh_history):
    runner = app_ctx.test_cli_runner()
    result = runner.invoke(args=["reform", "apply", "tra-vinh", "--into", "vinh-long"])
    assert result.exit_code == 0, result.output
    old, new = _tenant("tra-vinh"), _tenant("vinh-long")
    assert old.carried_into_id == new.id and new.admin_map == "2025"
    with tenant_scope(new.id):
        # Every figure of every period is what Trà Vinh's was (Vĩnh Long was new, with none of its own).
        assert _figures(unit("86")) == tra_vinh_history["figures"]
        phuong_4, long_duc = unit("29236"), unit("29263")
        assert not phuong_4.active and phuong_4.merged_into_id == long_duc.id
        assert phuong_4.path == "/86/84/842/29236/"  # under its retired district and old HQ
        assert unit("29242").name == "Công an phường Trà Vinh" and unit("29242").path == "/86/29242/"
        assert not unit("84").active and not unit("849").active and unit("84").parent_id == unit("86").id
        assert db.session.execute(select(func.count(Unit.id)).where(Unit.code == "PC04")).scalar_one() == 1
        officer = db.session.execute(select(User).where(User.email == "officer@tra-vinh.test")).scalar_one()
        assert [m.unit.code for m in officer.memberships] == ["29263"]  # anchored at the new commune
        director = db.session.execute(select(User).where(User.email == "director@tra-vinh.test")).scalar_one()
        assert [m.unit.code for m in director.memberships] == ["84"]  # kept, not widened, until reassigned
    # No row of Trà Vinh is left behind but its audit chain, closed and joined to Vĩnh Long's.
    assert set(_walk_rows(old.id)) == {"audit_log"}
    # Every open tip is followed with its old code and secret, its deadlines unchanged.
    code, secret, deadlines = tra_vinh_history["tip"]
    followed = client.get(f"/api/v1/public/tips/{code}", headers={"X-Tip-Secret": secret})
    assert followed.status_code == 200, followed.json
    with platform_scope():
        from inbox.models import Tip

        tip = db.session.execute(select(Tip).where(Tip.tracking_code == code)).scalar_one()
        assert tip.tenant_id == new.id and tip.unit.code == "29263"
        assert (tip.ack_due_at, tip.resolve_due_at) == deadlines
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/tra-cuu").get_data(as_text=True)).group(1)
    page = client.post("/tra-cuu", data={"tracking_code": code, "secret": secret, "csrf_token": token})
    assert page.status_code == 200 and code in page.get_data(as_text=True)
    # The audit chains verify across the join; a second apply changes nothing.
    verified = runner.invoke(args=["audit", "verify", "--tenant", "vinh-long"])
    assert verified.exit_code == 0 and f"ok tenant:{old.id}" in verified.output, verified.output
    rows = _walk_rows(new.id)
    again = runner.invoke(args=["reform", "apply", "tra-vinh", "--into", "vinh-long"])
    assert again.exit_code == 0 and "không có gì thay đổi" in again.output
    assert _walk_rows(new.id) == rows


def test_every_old_public_address_answers_301(app_ctx, client, tenant_a, tra_vinh_history):
    app_ctx.test_cli_runner().invoke(args=["reform", "apply", "tra-vinh", "--into", "vinh-long"])
    for code in tra_vinh_history["codes"]:
        response = client.get(f"/p/tra-vinh/{code}")
        assert response.status_code == 301, code
        assert client.get(response.headers["Location"]).status_code == 200, (code, response.headers["Location"])
    expected = {"/p/tra-vinh": "/p/vinh-long", "/p/tra-vinh/feed.atom": "/p/vinh-long/feed.atom",
                "/p/tra-vinh/29236/feed.atom": "/p/vinh-long/29263/feed.atom",
                "/p/tra-vinh/29236/gui-tin-bao": "/p/vinh-long/29263/gui-tin-bao",
                "/p/tra-vinh/849": "/p/vinh-long/86", "/p/tra-vinh/29242": "/p/vinh-long/29242",
                "/p/tra-vinh/tim-kiem?q=ph%C6%B0%E1%BB%9Dng": "/p/vinh-long/tim-kiem?q=ph%C6%B0%E1%BB%9Dng",
                f"/p/tra-vinh/29236/bai-viet/{tra_vinh_history['post_id']}":
                    f"/p/vinh-long/29263/bai-viet/{tra_vinh_history['post_id']}"}
    # A unit's page says what it was formed from (the official correspondence).
    page = client.get("/p/vinh-long/29242").get_data(as_text=True)
    assert "Hình thành ngày 01/07/2025 từ" in page and "Phường 3" in page and "Phường 9" in page
    assert "Tỉnh Bến Tre" in client.get("/p/vinh-long/86").get_data(as_text=True)
    for old, new in expected.items():
        response = client.get(old)
        assert response.status_code == 301 and response.headers["Location"].endswith(new), old
        assert client.get(new).status_code == 200, new


def test_audit_verify_detects_a_break_on_either_side_of_the_join(app_ctx, tenant_a, tra_vinh_history, table_owner):
    runner = app_ctx.test_cli_runner()
    runner.invoke(args=["reform", "apply", "tra-vinh", "--into", "vinh-long"])
    old, new = _tenant("tra-vinh"), _tenant("vinh-long")
    with platform_scope():
        old_record = db.session.execute(select(AuditLog).where(AuditLog.tenant_id == old.id)
                                        .order_by(AuditLog.seq)).scalars().first()
        new_record = db.session.execute(select(AuditLog).where(AuditLog.tenant_id == new.id)
                                        .order_by(AuditLog.seq)).scalars().first()
        old_id, new_id = old_record.id, new_record.id
    for record_id in (old_id, new_id):
        with table_owner():
            db.session.execute(text("UPDATE audit_log SET actor = 'ai.do' WHERE id = :id"), {"id": record_id})
            db.session.commit()
        broken = runner.invoke(args=["audit", "verify", "--tenant", "vinh-long"])
        assert broken.exit_code == 1 and f"id={record_id}" in broken.output
        with table_owner():
            db.session.execute(text("UPDATE audit_log SET actor = 'system' WHERE id = :id"), {"id": record_id})
            db.session.commit()
        assert runner.invoke(args=["audit", "verify", "--tenant", "vinh-long"]).exit_code == 0
    # A record slipped into the closed chain after the join breaks the join.
    from core import audit

    with platform_scope():
        audit.record("unit.rename", tenant_id=old.id, details={"late": True})
        db.session.commit()
    assert runner.invoke(args=["audit", "verify", "--tenant", "vinh-long"]).exit_code == 1


def test_kien_giang_into_an_giang_the_hq_continues_and_vinh_lac_lives_in_rach_gia(app_ctx, tenant_b):
    with tenant_scope(tenant_b.tenant_id):
        _history(["91", "30742", "30745", "899"])
        before = _figures(unit("91"))
        rach_gia_before = _figures(unit("30742"))
        vinh_lac_before = _figures(unit("30745"))
        root_id = unit("91").id
    result = app_ctx.test_cli_runner().invoke(args=["reform", "apply", "kien-giang", "--into", "an-giang"])
    assert result.exit_code == 0, result.output
    new = _tenant("an-giang")
    with tenant_scope(new.id):
        root = unit("91")
        assert root.name == "Công an tỉnh An Giang" and root.id != root_id
        assert _figures(root) == before
        rach_gia = unit("30742")
        assert rach_gia.name == "Công an phường Rạch Giá" and rach_gia.active
        assert unit("30745").merged_into_id == rach_gia.id
        assert _figures(rach_gia) == {key: rach_gia_before[key] + vinh_lac_before[key] for key in rach_gia_before}
        director = db.session.execute(select(User).where(User.email == "director@kien-giang.test")).scalar_one()
        assert [m.unit_id for m in director.memberships] == [root.id]  # Kiên Giang's HQ continues as An Giang's
        assert not unit("89").active if db.session.execute(select(Unit).where(Unit.code == "89")).first() else True


def test_refusals_change_nothing(app_ctx, tenant_a, tenant_b, tra_vinh_history, tmp_path):
    runner = app_ctx.test_cli_runner()
    assert runner.invoke(args=["tenants", "create", "an-giang", "--province", "91"]).exit_code == 0
    rows = {tenant_a.tenant_id: _walk_rows(tenant_a.tenant_id), tenant_b.tenant_id: _walk_rows(tenant_b.tenant_id)}
    wrong = runner.invoke(args=["reform", "apply", "tra-vinh", "--into", "an-giang"])
    assert wrong.exit_code == 1 and "86 Vĩnh Long" in wrong.output
    old_map = runner.invoke(args=["reform", "apply", "tra-vinh", "--into", "kien-giang"])
    assert old_map.exit_code == 1 and "kien-giang" in old_map.output
    # A commune the official data does not know is refused until an operator settles it.
    runner.invoke(args=["hierarchy", "create-unit", "tra-vinh", "29999", "--name", "Công an xã Mới", "--kind",
                        "commune", "--parent", "842"])
    rows[tenant_a.tenant_id] = _walk_rows(tenant_a.tenant_id)
    unsettled = runner.invoke(args=["reform", "apply", "tra-vinh", "--into", "vinh-long"])
    assert unsettled.exit_code == 1 and "29999" in unsettled.output
    assert _tenant("vinh-long") is None
    for tenant_id, before in rows.items():
        assert _walk_rows(tenant_id) == before
    overrides = tmp_path / "overrides.csv"
    overrides.write_text("# mã xã cũ, mã xã mới\n29999,29263\n", encoding="utf-8")
    plan = runner.invoke(args=["reform", "plan", "tra-vinh", "--into", "vinh-long", "--overrides", str(overrides)])
    assert "29999  Công an xã Mới → 29263" in plan.output and "Sẵn sàng" in plan.output
    done = runner.invoke(args=["reform", "apply", "tra-vinh", "--into", "vinh-long", "--overrides", str(overrides)])
    assert done.exit_code == 0, done.output


def test_two_zalo_apps_are_refused(app_ctx, tenant_a, tenant_b):
    from zalo.models import ZaloApp

    runner = app_ctx.test_cli_runner()
    runner.invoke(args=["tenants", "create", "an-giang", "--province", "91"])
    for tenant_id, app_id in ((tenant_b.tenant_id, "1111"), (_tenant("an-giang").id, "2222")):
        with tenant_scope(tenant_id):
            app = ZaloApp(app_id=app_id)
            app.app_secret, app.oa_secret_key = "bi-mat-ung-dung", "khoa-bi-mat-oa"
            db.session.add(app)
            db.session.commit()
    result = runner.invoke(args=["reform", "apply", "kien-giang", "--into", "an-giang"])
    assert result.exit_code == 1 and "ứng dụng Zalo" in result.output
    assert _tenant("kien-giang").carried_into_id is None


def test_memberships_count_is_unchanged(app_ctx, tenant_a, tra_vinh_history):
    with platform_scope():
        before = db.session.execute(select(func.count(Membership.id))).scalar_one()
    app_ctx.test_cli_runner().invoke(args=["reform", "apply", "tra-vinh", "--into", "vinh-long"])
    with platform_scope():
        assert db.session.execute(select(func.count(Membership.id))).scalar_one() == before


def test_the_platform_admin_sees_the_plan_settles_and_applies_on_a_page(app_ctx, client, tenant_a):
    from tests.conftest import login

    app_ctx.test_cli_runner().invoke(args=["hierarchy", "create-unit", "tra-vinh", "29999", "--name",
                                           "Công an xã Mới", "--kind", "commune", "--parent", "842"])
    csrf = login(client, "platform@test.test")
    tenants_page = client.get("/app/platform/tenants").get_data(as_text=True)
    assert "/app/platform/reform/tra-vinh" in tenants_page
    page = client.get("/app/platform/reform/tra-vinh").get_data(as_text=True)
    assert 'data-unit-code="29236"' in page and "29263" in page and 'name="override_29999"' in page
    assert "Chưa thể áp dụng" in page and "/apply" not in page
    saved = client.post("/app/platform/reform/tra-vinh/overrides?into=vinh-long",
                        data={"csrf_token": csrf, "override_29999": "29263"})
    assert saved.status_code == 302
    page = client.get("/app/platform/reform/tra-vinh?into=vinh-long").get_data(as_text=True)
    assert "/app/platform/reform/tra-vinh/apply" in page
    applied = client.post("/app/platform/reform/tra-vinh/apply?into=vinh-long", data={"csrf_token": csrf})
    assert applied.status_code == 302 and _tenant("tra-vinh").carried_into_id == _tenant("vinh-long").id
    with tenant_scope(_tenant("vinh-long").id):
        assert unit("29999").merged_into_id == unit("29263").id


def _monthly_figures(root, months):
    from metrics.rollups import ALL_METRICS, rollup

    figures = {}
    for month in months:
        end = month.replace(day=calendar.monthrange(month.year, month.month)[1])
        totals = rollup(root, month, end, today=date(2030, 1, 1)).totals
        figures.update({(month, metric): totals.get(metric, 0) for metric in ALL_METRICS})
    return figures


def test_the_demo_history_is_carried_with_every_metric_of_every_month(app_ctx, client, tenant_a, tenant_b):
    """`flask demo`'s own data (every package's demo seed) for both pre-reform tenants, carried by apply."""
    from core.signals import demo_seed
    from metrics.models import Event

    before = {}
    for tenant, root_code in ((tenant_a, "84"), (tenant_b, "91")):
        with tenant_scope(tenant.tenant_id):
            demo_seed.send(app_ctx, tenant_id=tenant.tenant_id)
            db.session.commit()
            days = db.session.execute(select(Event.day).distinct()).scalars().all()
            months = sorted({day.replace(day=1) for day in days})
            assert len(months) >= 2
            figures = _monthly_figures(unit(root_code), months)
            assert sum(figures.values()) > 0
            before[tenant.slug] = (months, figures)
    runner = app_ctx.test_cli_runner()
    for old, new, root_code in (("tra-vinh", "vinh-long", "86"), ("kien-giang", "an-giang", "91")):
        plan = runner.invoke(args=["reform", "plan", old, "--into", new])
        assert "Sẵn sàng" in plan.output, plan.output[-2000:]
        result = runner.invoke(args=["reform", "apply", old, "--into", new])
        assert result.exit_code == 0, result.output
        months, figures = before[old]
        with tenant_scope(_tenant(new).id):
            assert _monthly_figures(unit(root_code), months) == figures
        assert set(_walk_rows(_tenant(old).id)) == {"audit_log"}
        assert runner.invoke(args=["audit", "verify", "--tenant", new]).exit_code == 0
    # Phường Vĩnh Lạc's page leads to Phường Rạch Giá, where its history now is.
    response = client.get("/p/kien-giang/30745")
    assert response.status_code == 301 and response.headers["Location"].endswith("/p/an-giang/30742")


def test_a_units_public_and_staff_pages_say_what_it_was_formed_from(app_ctx, client, tenant_a, tra_vinh_history):
    from tenants import services
    from tests.conftest import login

    runner = app_ctx.test_cli_runner()
    assert runner.invoke(args=["reform", "apply", "tra-vinh", "--into", "vinh-long"]).exit_code == 0
    new = _tenant("vinh-long")
    with tenant_scope(new.id):
        long_duc = unit("29263")
        merged = db.session.execute(select(Unit.name).where(Unit.merged_into_id == long_duc.id)
                                    .order_by(Unit.name)).scalars().all()
        assert "Công an phường 4" in merged
        targets = select(Unit.merged_into_id).where(Unit.merged_into_id.is_not(None))
        untouched = db.session.execute(select(Unit.code).where(Unit.kind == "commune", Unit.active.is_(True),
                                                               Unit.id.not_in(targets)).limit(1)).scalar_one()
        services.create_user("giamdoc@vinh-long.test", "test-password-123", "director", tenant=new, unit_code="86")
        db.session.commit()
    line = re.compile(r"Hình thành từ: ([^<]*) \(Trà Vinh\) ngày 01/07/2025\.")
    public = line.search(client.get("/p/vinh-long/29263").get_data(as_text=True))
    assert public and public.group(1).split(", ") == merged
    login(client, "giamdoc@vinh-long.test")
    staff = line.search(client.get(f"/app/units/{long_duc.id}/profile").get_data(as_text=True))
    assert staff and staff.group(1).split(", ") == merged
    # A commune nothing was merged into says nothing of the kind.
    assert "Hình thành từ:" not in client.get(f"/p/vinh-long/{untouched}").get_data(as_text=True)


def test_the_reform_plan_page_speaks_english(app_ctx, client, tenant_a):
    from tests.conftest import login

    login(client, "platform@test.test")
    page = client.get("/app/platform/reform/tra-vinh?into=vinh-long&lang=en").get_data(as_text=True)
    for english in ("onto the new administrative map", "The plan below has changed nothing yet.", "Summary",
                    "After carrying"):
        assert english in page, english
    assert "Kế hoạch dưới đây chưa thay đổi gì" not in page and "Tóm tắt" not in page
    tenants = client.get("/app/platform/tenants").get_data(as_text=True)  # the choice sticks
    assert "Carry onto the new map" in tenants and "Chuyển sang bản đồ mới" not in tenants


def test_the_carried_tenants_audit_records_are_read_from_the_new_tenants_audit_page(app_ctx, client, tenant_a,
                                                                                    tra_vinh_history):
    from tenants import services
    from tests.conftest import login

    runner = app_ctx.test_cli_runner()
    assert runner.invoke(args=["reform", "apply", "tra-vinh", "--into", "vinh-long"]).exit_code == 0
    old, new = _tenant("tra-vinh"), _tenant("vinh-long")
    with platform_scope():
        old_actions = set(db.session.execute(select(AuditLog.action).where(AuditLog.tenant_id == old.id)).scalars())
    assert "tenant.carried_out" in old_actions and len(old_actions) > 1
    with tenant_scope(new.id):
        services.create_user("thanhtra@vinh-long.test", "test-password-123", "auditor", tenant=new, unit_code="86")
        services.create_user("thanhtra.xa@vinh-long.test", "test-password-123", "auditor", tenant=new,
                             unit_code="29263")
        db.session.commit()
    login(client, "thanhtra@vinh-long.test")
    own = client.get("/app/audit").get_data(as_text=True)
    assert 'data-carried="tra-vinh"' in own and "tenant.carried_out" not in own  # its own chain, and a way back
    page = client.get("/app/audit?carried=tra-vinh").get_data(as_text=True)
    assert 'data-viewing-carried="tra-vinh"' in page and f"data-old-tenant>{old.name}<" in page
    shown = set(re.findall(r'data-action="([^"]+)"', page))
    assert "tenant.carried_out" in shown and shown <= old_actions and "tenant.carried_in" not in shown
    assert 'method="post"' not in page.split("</header>")[-1]  # read-only: no export of another chain here
    filtered = client.get("/app/audit?carried=tra-vinh&action=tenant.carried_out").get_data(as_text=True)
    assert set(re.findall(r'data-action="([^"]+)"', filtered)) == {"tenant.carried_out"}
    # Only for the whole tenant's auditors; a tenant never carried in is not there.
    assert client.get("/app/audit?carried=kien-giang").status_code == 404
    commune = app_ctx.test_client()
    login(commune, "thanhtra.xa@vinh-long.test")
    assert 'data-carried=' not in commune.get("/app/audit").get_data(as_text=True)
    assert commune.get("/app/audit?carried=tra-vinh").status_code == 404
