"""Operator commands as CONTRACT.md names them: exit codes, outputs, errors on stderr."""
from sqlalchemy import func, select

from core.extensions import db
from core.tenancy import platform_scope, tenant_scope
from hierarchy.models import Unit
from tenants.models import Tenant, User


def test_tenants_create_imports_the_real_tree(app_ctx):
    runner = app_ctx.test_cli_runner()
    result = runner.invoke(args=["tenants", "create", "vinh-long", "--name", "Công an tỉnh Vĩnh Long",
                                 "--province", "86"])
    assert result.exit_code == 0, result.output
    with platform_scope():
        tenant = db.session.execute(select(Tenant).where(Tenant.slug == "vinh-long")).scalar_one()
    with tenant_scope(tenant.id):
        root = db.session.execute(select(Unit).where(Unit.parent_id.is_(None))).scalar_one()
        assert root.code == "86" and root.name == "Công an tỉnh Vĩnh Long"
        assert db.session.execute(select(func.count(Unit.id))).scalar_one() > 100


def test_tenants_create_errors_exit_1(app_ctx):
    runner = app_ctx.test_cli_runner()
    duplicate = runner.invoke(args=["tenants", "create", "tra-vinh", "--province", "84"])
    assert duplicate.exit_code == 1 and "tra-vinh" in duplicate.output
    unknown = runner.invoke(args=["tenants", "create", "atlantis", "--province", "99"])
    assert unknown.exit_code == 1 and "99" in unknown.output
    bad_slug = runner.invoke(args=["tenants", "create", "Bad Slug", "--province", "84"])
    assert bad_slug.exit_code == 1


def test_users_create_reads_the_password_from_stdin(app_ctx, world):
    runner = app_ctx.test_cli_runner()
    result = runner.invoke(args=["users", "create", "New.Officer@tra-vinh.test", "--tenant", "tra-vinh",
                                 "--role", "officer", "--unit", world["a"].units["commune"].code,
                                 "--password-stdin"], input="mot-mat-khau-dai\n")
    assert result.exit_code == 0, result.output
    with platform_scope():
        user = db.session.execute(select(User).where(User.email == "new.officer@tra-vinh.test")).scalar_one()
    assert user.check_password("mot-mat-khau-dai") and user.tenant_id == world["a"].tenant_id
    again = runner.invoke(args=["users", "create", "new.officer@tra-vinh.test", "--tenant", "kien-giang",
                                "--role", "officer", "--unit", "91", "--password-stdin"], input="mot-mat-khau-dai\n")
    assert again.exit_code == 1  # an e-mail is unique platform-wide


def test_users_create_platform_admin_takes_no_tenant(app_ctx):
    runner = app_ctx.test_cli_runner()
    ok = runner.invoke(args=["users", "create", "ops@ketnoi.vn", "--role", "platform_admin", "--password-stdin"],
                       input="mat-khau-van-hanh\n")
    assert ok.exit_code == 0, ok.output
    refused = runner.invoke(args=["users", "create", "ops2@ketnoi.vn", "--role", "platform_admin",
                                  "--tenant", "tra-vinh", "--password-stdin"], input="mat-khau-van-hanh\n")
    assert refused.exit_code == 1


def test_users_create_rejects_unknown_role_unit_and_short_password(app_ctx):
    runner = app_ctx.test_cli_runner()
    for args, password in ((["--role", "sheriff", "--unit", "84"], "mot-mat-khau-dai"),
                           (["--role", "officer", "--unit", "00000"], "mot-mat-khau-dai"),
                           (["--role", "officer", "--unit", "84"], "short")):
        result = runner.invoke(args=["users", "create", "q@tra-vinh.test", "--tenant", "tra-vinh", *args,
                                     "--password-stdin"], input=password + "\n")
        assert result.exit_code == 1, args


def test_users_token_prints_a_working_token_last(app_ctx, client, world):
    runner = app_ctx.test_cli_runner()
    result = runner.invoke(args=["users", "token", world["a"].users["auditor"].email])
    assert result.exit_code == 0
    token = result.output.strip().splitlines()[-1]
    assert client.get("/api/v1/units", headers={"Authorization": f"Bearer {token}"}).status_code == 200


def test_every_command_naming_a_tenant_refuses_an_unknown_slug_the_same_way(app_ctx):
    runner = app_ctx.test_cli_runner()
    commands = [["hierarchy", "import-province", "atlantis", "84"], ["hierarchy", "move", "atlantis", "1", "2"],
                ["inbox", "install-defaults", "atlantis"], ["metrics", "rebuild", "--tenant", "atlantis"],
                ["audit", "verify", "--tenant", "atlantis"], ["zalo", "link", "29236", "--tenant", "atlantis",
                                                              "--oa-id", "1"],
                ["users", "create", "x@atlantis.test", "--tenant", "atlantis", "--role", "officer"]]
    for args in commands:
        result = runner.invoke(args=args, input="mat-khau-du-dai-1\n")
        assert result.exit_code == 1 and "Lỗi: không có tenant 'atlantis'." in result.output, (args, result.output)


def test_a_tenant_slug_is_found_without_an_app_context(app):
    """A command invoked on its own (no `flask` process, no app context pushed) still finds its tenant."""
    result = app.test_cli_runner().invoke(args=["audit", "verify", "--tenant", "kien-giang"])
    assert result.exit_code == 0 and result.output.startswith("ok "), result.output
