"""Today's map by default, the old one by date: imports, refusals with the way forward, the correspondence."""
import json

from sqlalchemy import func, select
from vietnam_provinces import NESTED_DIVISIONS_JSON_PATH

from core.extensions import db
from core.tenancy import platform_scope, tenant_scope
from hierarchy.correspondence import correspondence
from hierarchy.models import Unit
from tenants import services
from tenants.models import Tenant


def _tenant_units(slug):
    with platform_scope():
        tenant = db.session.execute(select(Tenant).where(Tenant.slug == slug)).scalar_one()
    with tenant_scope(tenant.id):
        return tenant, db.session.execute(select(Unit)).scalars().all()


def test_all_34_provinces_import_with_the_package_counts(app_ctx):
    """Each of today's provinces becomes HQ + 10 departments + exactly the package's communes, two tiers."""
    with open(NESTED_DIVISIONS_JSON_PATH, encoding="utf-8") as handle:
        package = {f"{p['code']:02d}": p for p in json.load(handle)}
    assert len(package) == 34
    with platform_scope():
        for code in package:
            services.create_tenant(f"p{code}", "", code)
        db.session.flush()
        counts = dict(db.session.execute(
            select(Tenant.province_code, func.count(Unit.id)).join(Unit, Unit.tenant_id == Tenant.id)
            .where(Unit.kind == "commune", Tenant.slug.like("p%")).group_by(Tenant.province_code)).all())
        depths = set(db.session.execute(select(Unit.depth).join(Tenant, Tenant.id == Unit.tenant_id)
                                        .where(Tenant.slug.like("p%")).distinct()).scalars())
        districts = db.session.execute(select(func.count(Unit.id)).join(Tenant, Tenant.id == Unit.tenant_id)
                                       .where(Tenant.slug.like("p%"), Unit.kind == "district")).scalar_one()
    assert counts == {code: len(p["wards"]) for code, p in package.items()}
    assert sum(counts.values()) == 3321 and counts["86"] == 124 and counts["91"] == 102 and counts["01"] == 126
    assert depths == {0, 1} and districts == 0


def test_tenants_create_builds_today_map_with_padded_codes(app_ctx):
    result = app_ctx.test_cli_runner().invoke(args=["tenants", "create", "vinh-long", "--province", "86"])
    assert result.exit_code == 0, result.output
    tenant, units = _tenant_units("vinh-long")
    by_code = {unit.code: unit for unit in units}
    assert tenant.admin_map == "2025" and len(units) == 1 + 10 + 124
    assert by_code["86"].name == "Công an tỉnh Vĩnh Long" and by_code["86"].parent_id is None
    assert by_code["29242"].name == "Công an phường Trà Vinh" and by_code["29242"].path == "/86/29242/"
    assert by_code["PC04"].kind == "department"
    assert all(u.parent_id == by_code["86"].id for u in units if u.kind == "commune")


def test_an_old_code_is_refused_with_the_way_forward(app_ctx):
    runner = app_ctx.test_cli_runner()
    result = runner.invoke(args=["tenants", "create", "tra-vinh-2", "--province", "84"])
    assert result.exit_code == 1
    assert "84 Trà Vinh" in result.output and "86 Vĩnh Long" in result.output
    assert "--province 86" in result.output and "--as-of 2025-06-30" in result.output
    with platform_scope():
        assert services.tenant_by_slug("tra-vinh-2") is None


def test_as_of_before_the_reform_builds_the_old_map(app_ctx):
    runner = app_ctx.test_cli_runner()
    result = runner.invoke(args=["tenants", "create", "tra-vinh-2", "--province", "84", "--as-of", "2025-06-30"])
    assert result.exit_code == 0, result.output
    tenant, units = _tenant_units("tra-vinh-2")
    kinds = {kind: sum(1 for u in units if u.kind == kind) for kind in ("province", "department", "district",
                                                                        "commune")}
    assert tenant.admin_map == "pre-2025" and kinds == {"province": 1, "department": 10, "district": 9,
                                                        "commune": 104}
    # 91 is An Giang today, Kiên Giang before.
    runner.invoke(args=["tenants", "create", "ag", "--province", "91"])
    runner.invoke(args=["tenants", "create", "kg", "--province", "91", "--as-of", "2024-01-01"])
    assert {u.code: u.name for u in _tenant_units("ag")[1]}["91"] == "Công an tỉnh An Giang"
    assert {u.code: u.name for u in _tenant_units("kg")[1]}["91"] == "Công an tỉnh Kiên Giang"
    bad = runner.invoke(args=["tenants", "create", "x", "--province", "86", "--as-of", "hôm qua"])
    assert bad.exit_code == 1 and "as_of" in bad.output


def test_import_province_keeps_the_tenant_map(app_ctx, tenant_a):
    runner = app_ctx.test_cli_runner()
    again = runner.invoke(args=["hierarchy", "import-province", tenant_a.slug, "84"])
    assert again.exit_code == 0 and "thêm 0 đơn vị" in again.output
    other_map = runner.invoke(args=["hierarchy", "import-province", tenant_a.slug, "84", "--as-of", "2025-07-01"])
    assert other_map.exit_code == 1 and "reform" in other_map.output
    runner.invoke(args=["tenants", "create", "vinh-long", "--province", "86"])
    old_code = runner.invoke(args=["hierarchy", "import-province", "vinh-long", "84"])
    assert old_code.exit_code == 1 and "--province 86" in old_code.output


def test_the_correspondence_joined_to_the_official_codes():
    data = correspondence()
    assert data.province_into["84"] == data.province_into["83"] == "86"
    assert data.old_provinces_of("91") == ["89", "91"]
    # Phường Vĩnh Lạc (Rạch Giá) went into Phường Rạch Giá, which keeps Vĩnh Thanh Vân's code.
    assert data.successor["30745"].code == data.successor["30742"].code == "30742"
    # Divided communes: one takes the identity, the others are named.
    divided = [s for s in data.successor.values() if s.others]
    assert len(divided) == 471
    # Where the datasets number a ward differently, the official code wins (joined by name in the province).
    assert data.renumbered and all(len(code) == 5 for code in data.renumbered)
    # Communes of 0.6 the dataset does not know stay unmapped, with the hints its aliases give.
    assert "03751" in data.unmapped and data.unmapped["03751"]
    assert len(data.coordinates) == 3321
