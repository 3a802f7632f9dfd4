"""The real unit tree: import, codes, names, idempotence, the units API and the tree page."""
from collections import Counter

from sqlalchemy import func, select

from core.extensions import db
from hierarchy.importer import unit_specs
from hierarchy.models import Unit
from hierarchy.services import import_province
from tenants.models import Tenant


def test_tra_vinh_has_124_units_with_official_codes(app_ctx, tenant_a, in_tenant):
    with in_tenant(tenant_a):
        units = db.session.execute(select(Unit)).scalars().all()
    kinds = Counter(unit.kind for unit in units)
    assert len(units) == 124
    assert kinds == {"province": 1, "department": 10, "district": 9, "commune": 104}
    by_code = {unit.code: unit for unit in units}
    assert by_code["84"].name == "Công an tỉnh Trà Vinh" and by_code["84"].parent_id is None
    assert by_code["842"].name == "Công an thành phố Trà Vinh"
    assert by_code["849"].name == "Công an huyện Trà Cú"
    assert by_code["29236"].name == "Công an phường 4" and by_code["29236"].path == "/84/842/29236/"
    assert by_code["PC04"].name == "Phòng Cảnh sát điều tra tội phạm về ma túy"
    assert all(len(u.code) == 5 for u in units if u.kind == "commune")
    assert all(len(u.code) == 3 for u in units if u.kind == "district")


def test_hanoi_codes_are_zero_padded_on_both_maps():
    old = unit_specs("1", as_of="2025-06-30")
    assert old[0].code == "01" and old[0].name == "Công an thành phố Hà Nội"
    assert any(spec.code == "001" and spec.kind == "district" for spec in old)
    assert any(spec.code == "00001" and spec.kind == "commune" and spec.path == "/01/001/00001/" for spec in old)
    today = unit_specs("1")
    assert today[0].code == "01" and today[0].name == "Công an thành phố Hà Nội"
    communes = [spec for spec in today if spec.kind == "commune"]
    assert len(communes) == 126 and all(len(spec.code) == 5 and spec.depth == 1 for spec in communes)
    assert not any(spec.kind == "district" for spec in today)


def test_reimport_changes_nothing_and_keeps_edits(app_ctx, tenant_a, in_tenant):
    with in_tenant(tenant_a):
        tenant = db.session.get(Tenant, tenant_a.tenant_id)
        commune = db.session.execute(select(Unit).where(Unit.code == tenant_a.units["commune"].code)).scalar_one()
        commune.phone = "0294 3855 000"
        db.session.flush()
        assert import_province(tenant, "84") == 0
        assert db.session.execute(select(func.count(Unit.id))).scalar_one() == 124
        assert commune.phone == "0294 3855 000"


def test_units_api_filters_and_scope(app_ctx, client, world, bearer):
    a = world["a"]
    director = bearer("director")
    response = client.get("/api/v1/units?kind=district", headers=director)
    assert response.status_code == 200 and response.json["total"] == 9
    item = response.json["items"][0]
    assert set(item) >= {"id", "code", "name", "kind", "parent_id", "path", "depth"}
    response = client.get(f"/api/v1/units?parent_id={a.units['district'].id}&per_page=200", headers=director)
    assert {u["kind"] for u in response.json["items"]} == {"commune"}
    assert client.get("/api/v1/units?code=84", headers=director).json["items"][0]["depth"] == 0
    # A commune officer sees only their commune.
    officer = client.get("/api/v1/units?per_page=200", headers=bearer("officer")).json
    assert [u["code"] for u in officer["items"]] == [a.units["commune"].code]
    sibling = client.get(f"/api/v1/units/{a.units['sibling'].id}", headers=bearer("officer"))
    assert sibling.status_code == 404


def test_units_api_rejects_bad_filters_naming_the_field(app_ctx, client, bearer):
    director = bearer("director")
    response = client.get("/api/v1/units?kind=planet", headers=director)
    assert response.status_code == 422 and "kind" in response.json["error"]["fields"]
    response = client.get("/api/v1/units?per_page=201", headers=director)
    assert response.status_code == 422 and "per_page" in response.json["error"]["fields"]
    response = client.get("/api/v1/units?colour=red", headers=director)
    assert response.status_code == 422 and "colour" in response.json["error"]["fields"]


def test_tree_page_search_ignores_diacritics(app_ctx, client, login_as):
    login_as("director")
    html = client.get("/app/tree?q=tra cu").get_data(as_text=True)
    assert "Kết quả cho" in html and "Công an huyện Trà Cú" in html
    assert "Công an thị trấn Trà Cú" in html
    html = client.get("/app/tree?q=TRÀ CÚ").get_data(as_text=True)
    assert "Công an huyện Trà Cú" in html


def test_tree_page_counts_subtrees(app_ctx, client, login_as, world):
    login_as("unit_admin")  # anchored at a district
    html = client.get("/app/tree").get_data(as_text=True)
    district = world["a"].units["district"]
    assert f'data-unit-code="{district.code}"' in html
    assert "Công an tỉnh Trà Vinh" not in html  # above the admin's subtree
    assert 'data-total>' in html


def test_import_cli_rejects_unknown_province_and_tenant(app_ctx):
    runner = app_ctx.test_cli_runner()
    result = runner.invoke(args=["hierarchy", "import-province", "tra-vinh", "99"])
    assert result.exit_code == 1 and "99" in result.output
    result = runner.invoke(args=["hierarchy", "import-province", "no-such-tenant", "84"])
    assert result.exit_code == 1 and "no-such-tenant" in result.output
    result = runner.invoke(args=["hierarchy", "import-province", "tra-vinh", "84"])
    assert result.exit_code == 0 and "thêm 0 đơn vị" in result.output


def test_tree_logic_on_the_model(app_ctx, tenant_a, in_tenant):
    with in_tenant(tenant_a):
        commune = db.session.execute(select(Unit).where(Unit.code == "29236")).scalar_one()
        ancestors = db.session.execute(Unit.ancestors_of(commune).order_by(Unit.depth)).scalars().all()
        assert [unit.code for unit in ancestors] == ["84", "842", "29236"]
        above = db.session.execute(Unit.ancestors_of(commune, include_self=False)).scalars().all()
        assert {unit.code for unit in above} == {"84", "842"}
        assert db.session.execute(Unit.root_of(commune)).scalar_one().code == "84"
        district = db.session.execute(select(func.count(Unit.id)).where(Unit.in_subtree("/84/842/"))).scalar_one()
        assert district == 1 + db.session.execute(select(func.count(Unit.id)).where(
            Unit.parent_id == commune.parent_id)).scalar_one()
        assert db.session.execute(select(func.count(Unit.id)).where(Unit.in_subtree("/84/84_/"))).scalar_one() == 0
    assert Unit.ancestor_paths("/84/842/29236/") == ["/84/", "/84/842/", "/84/842/29236/"]
