"""Units born and renamed (CLI and pages), audited; the department list edited on a page."""
from sqlalchemy import select

from core.audit import AuditLog
from core.extensions import db
from hierarchy.models import Unit
from hierarchy.services import import_province
from tenants.models import Tenant
from tests.hierarchy_reorg.conftest import unit


def _audit(action):
    return db.session.execute(select(AuditLog).where(AuditLog.action == action).order_by(AuditLog.id.desc())
                              ).scalars().first()


def test_create_unit_cli(app_ctx, tenant_a, in_tenant):
    runner = app_ctx.test_cli_runner()
    result = runner.invoke(args=["hierarchy", "create-unit", tenant_a.slug, "29999", "--name",
                                 "Công an xã Mới Lập", "--kind", "commune", "--parent", "842"])
    assert result.exit_code == 0, result.output
    with in_tenant(tenant_a):
        born = unit("29999")
        assert born.path == "/84/842/29999/" and born.depth == 2 and born.active and born.search_name == \
            "cong an xa moi lap"
        record = _audit("unit.create")
        assert record.details == {"code": "29999", "name": "Công an xã Mới Lập", "kind": "commune", "parent": "842"}
    again = runner.invoke(args=["hierarchy", "create-unit", tenant_a.slug, "29999", "--name", "X", "--kind",
                                "commune", "--parent", "842"])
    assert again.exit_code == 1 and "code" in again.output
    wrong_parent = runner.invoke(args=["hierarchy", "create-unit", tenant_a.slug, "29998", "--name", "X", "--kind",
                                       "commune", "--parent", "PC04"])
    assert wrong_parent.exit_code == 1 and "parent" in wrong_parent.output
    bad_code = runner.invoke(args=["hierarchy", "create-unit", tenant_a.slug, "29/98", "--name", "X", "--kind",
                                   "commune", "--parent", "842"])
    assert bad_code.exit_code == 1 and "code" in bad_code.output
    area = runner.invoke(args=["hierarchy", "create-unit", tenant_a.slug, "KP1", "--name", "Khóm 1", "--kind",
                               "area", "--parent", "29999"])
    assert area.exit_code == 0, area.output
    with in_tenant(tenant_a):
        assert unit("KP1").path == "/84/842/29999/KP1/" and unit("KP1").depth == 3


def test_rename_unit_cli_keeps_code_and_path(app_ctx, tenant_a, in_tenant):
    runner = app_ctx.test_cli_runner()
    code = tenant_a.units["commune"].code
    result = runner.invoke(args=["hierarchy", "rename-unit", tenant_a.slug, code, "Công an phường Tên Mới"])
    assert result.exit_code == 0, result.output
    with in_tenant(tenant_a):
        renamed = unit(code)
        assert renamed.name == "Công an phường Tên Mới" and renamed.path == tenant_a.units["commune"].path
        assert _audit("unit.rename").details["from"] == tenant_a.units["commune"].name
    again = runner.invoke(args=["hierarchy", "rename-unit", tenant_a.slug, code, "Công an phường Tên Mới"])
    assert again.exit_code == 0 and "không có gì thay đổi" in again.output
    empty = runner.invoke(args=["hierarchy", "rename-unit", tenant_a.slug, code, "   "])
    assert empty.exit_code == 1 and "name" in empty.output


def test_director_creates_and_renames_on_the_pages(client, login_as, tenant_a, in_tenant):
    token = login_as("director")
    form = client.get("/app/units/new?kind=commune").get_data(as_text=True)
    assert 'name="code"' in form and "Công an thành phố Trà Vinh" in form
    with in_tenant(tenant_a):
        district = unit("842")
    response = client.post("/app/units/new", data={"csrf_token": token, "code": "29997", "name": "Công an phường Mới",
                                                   "kind": "commune", "parent_id": district.id})
    assert response.status_code == 302
    refused = client.post("/app/units/new", data={"csrf_token": token, "code": "29997", "name": "Trùng mã",
                                                  "kind": "commune", "parent_id": district.id}, follow_redirects=True)
    assert "Đã có đơn vị mã 29997" in refused.get_data(as_text=True)
    with in_tenant(tenant_a):
        born = unit("29997")
    renamed = client.post(f"/app/units/{born.id}/rename", data={"csrf_token": token, "name": "Công an phường Mới Đổi"})
    assert renamed.status_code == 302
    with in_tenant(tenant_a):
        assert unit("29997").name == "Công an phường Mới Đổi"


def test_the_department_list_is_edited_on_a_page(client, login_as, tenant_a, in_tenant):
    token = login_as("director")
    page = client.get("/app/units/departments").get_data(as_text=True)
    assert page.count('data-unit-code="P') == 10
    with in_tenant(tenant_a):
        pc04, root = unit("PC04"), unit("84")
    client.post(f"/app/units/{pc04.id}/rename", data={"csrf_token": token, "name": "Phòng Cảnh sát ma túy",
                                                      "next": "/app/units/departments"})
    added = client.post("/app/units/new", data={"csrf_token": token, "code": "PK02", "name": "Phòng Cảnh sát cơ động",
                                                "kind": "department", "parent_id": root.id,
                                                "next": "/app/units/departments"})
    assert added.headers["Location"].endswith("/app/units/departments")
    with in_tenant(tenant_a):
        tenant = db.session.execute(select(Tenant).where(Tenant.id == tenant_a.tenant_id)).scalar_one()
        departments = dict(map(tuple, tenant.settings["departments"]))
        assert departments["PC04"] == "Phòng Cảnh sát ma túy" and departments["PK02"] == "Phòng Cảnh sát cơ động"
        assert len(departments) == 11
        assert import_province(tenant) == 0  # the list the importer reads is the tenant's units
        assert db.session.execute(select(Unit).where(Unit.code == "PK02")).scalar_one().path == "/84/PK02/"


def test_only_directors_create_units(client, login_as):
    login_as("unit_admin")
    assert client.get("/app/units/new").status_code == 403
    assert client.get("/app/units/departments").status_code == 403
