"""`flask demo [--pre-reform]`: the demo world, today's or the one before the 2025 reform.

The pre-reform world is `tra-vinh` (84) and `kien-giang` (91) on the old map, three tiers, a user per role, then
every package's demo data (`core.signals.demo_seed`) dated from January 2021 to the eve of the reform (HISTORY).
Today's world is that world carried through the reform, exactly as an operator would
(`tenants.reform.apply_reform`): `vinh-long` (86) from Trà Vinh's history plus the trees of the two other
provinces that went into it (Bến Tre 83, the old Vĩnh Long 86), `an-giang` (91) from Kiên Giang's history plus
the old An Giang's tree (89), then a user per role on the new trees and a smaller amount of demo data dated from
the reform to now, so the dashboard's history runs on across 2025-07-01. Both are idempotent: a second run
changes nothing.
"""
from datetime import datetime

import click
from flask import current_app
from sqlalchemy import select

from core.extensions import db
from core.signals import demo_seed
from core.tenancy import platform_scope, tenant_scope
from core.timeutil import LOCAL_TZ, utcnow
from hierarchy.models import Unit
from hierarchy.services import import_province, root_unit
from tenants import reform, services
from tenants.models import tenant_by_slug

PRE_REFORM_AS_OF = "2025-06-30"  # the last day of the map before the reform: what `--as-of` names
REFORM_AT = datetime(2025, 7, 1, tzinfo=LOCAL_TZ)
HISTORY = (datetime(2021, 1, 1, tzinfo=LOCAL_TZ), REFORM_AT)  # the pre-reform demo's data is dated in it
# Shares of a package's usual amount (see `core.signals.demo_seed`): about the tips of the demo before it had a
# history, split between the years before the reform and the months since, at comparable monthly rates.
HISTORY_SHARE, TODAY_SHARE = 0.75, 0.5
DEMO_PASSWORD = "ketnoi-demo-2026"
PRE_REFORM = (("tra-vinh", "Công an tỉnh Trà Vinh", "84"), ("kien-giang", "Công an tỉnh Kiên Giang", "91"))
# new slug, name, the commune its demo staff work at, then the old tenants carried into it: the demo's history
# first, then trees only (slug, name, old province code).
TODAY = (
    ("vinh-long", "Công an tỉnh Vĩnh Long", "29242", ("tra-vinh",),
     (("ben-tre", "Công an tỉnh Bến Tre", "83"), ("vinh-long-cu", "Công an tỉnh Vĩnh Long (trước 2025)", "86"))),
    ("an-giang", "Công an tỉnh An Giang", "30742", ("kien-giang",),
     (("an-giang-cu", "Công an tỉnh An Giang (trước 2025)", "89"),)),
)


@click.command("demo")
@click.option("--pre-reform", is_flag=True, help="Only the world before 2025-07-01: tra-vinh and kien-giang.")
def demo(pre_reform):
    """Idempotent demo data on today's map, carried through the 2025 reform (or only the world before it)."""
    _build_pre_reform()
    if not pre_reform:
        _carry_into_today()
    if services.user_by_email("platform@ketnoi.local") is None:
        services.create_user("platform@ketnoi.local", DEMO_PASSWORD, "platform_admin", name="Quản trị nền tảng")
        db.session.commit()
    _print_credentials(pre_reform)


def _build_pre_reform():
    for slug, name, code in PRE_REFORM:
        tenant = _old_tenant(slug, name, code)
        if tenant.carried_into_id is not None:
            continue  # already carried onto today's map: its history lives there
        with tenant_scope(tenant.id):
            import_province(tenant, code)
            _ensure_users(tenant, _pre_reform_accounts(tenant))
            db.session.commit()
            demo_seed.send(current_app._get_current_object(), tenant_id=tenant.id, start=HISTORY[0],
                           end=HISTORY[1], share=HISTORY_SHARE)
            db.session.commit()


def _old_tenant(slug, name, code):
    with platform_scope():
        tenant = tenant_by_slug(slug) or services.create_tenant(slug, name, code, PRE_REFORM_AS_OF)
        db.session.commit()
    return tenant


def _carry_into_today():
    for new_slug, _name, _commune, histories, trees in TODAY:
        for slug in histories:
            _carry(slug, new_slug)
        for slug, name, code in trees:
            if tenant_by_slug(slug) is None:
                _old_tenant(slug, name, code)
            _carry(slug, new_slug)
        new = tenant_by_slug(new_slug)
        with tenant_scope(new.id):
            _ensure_users(new, _today_accounts(new))
            db.session.commit()
            demo_seed.send(current_app._get_current_object(), tenant_id=new.id, start=REFORM_AT, end=utcnow(),
                           share=TODAY_SHARE)
            db.session.commit()


def _carry(old_slug, new_slug):
    _plan, summary = reform.apply_reform(old_slug, new_slug)
    db.session.commit()
    if summary is not None:
        click.echo(f"Đã chuyển {old_slug} vào {new_slug} theo bản đồ hiện hành.")


def _pre_reform_accounts(tenant):
    """(e-mail, role, unit code, name) per role on the old map: commune and district from the real tree."""
    root = root_unit()
    district = db.session.execute(select(Unit).where(Unit.kind == "district").order_by(Unit.code)).scalars().first()
    commune = db.session.execute(select(Unit).where(Unit.parent_id == district.id).order_by(Unit.code)
                                 ).scalars().first()
    return _accounts(tenant.slug, root, (("huyen", district), ("xa", commune)))


def _today_accounts(tenant):
    """The same roles on today's two tiers: a commune (the one the demo's history went into) and a department."""
    commune_code = next(commune for slug, _n, commune, _h, _t in TODAY if slug == tenant.slug)
    root = db.session.execute(select(Unit).where(Unit.code == tenant.province_code)).scalar_one()
    commune = db.session.execute(select(Unit).where(Unit.code == commune_code)).scalar_one()
    department = db.session.execute(select(Unit).where(Unit.code == "PC04")).scalar_one()
    return _accounts(tenant.slug, root, (("phong", department), ("xa", commune)))


def _accounts(prefix, root, anchors):
    accounts = [(f"giamdoc@{prefix}.ketnoi.local", "director", root.code, "Lãnh đạo " + root.name)]
    for word, unit in anchors:
        accounts.append((f"quantri.{word}@{prefix}.ketnoi.local", "unit_admin", unit.code, "Quản trị " + unit.name))
        accounts.append((f"canbo.{word}@{prefix}.ketnoi.local", "officer", unit.code, "Cán bộ " + unit.name))
    accounts.append((f"thanhtra@{prefix}.ketnoi.local", "auditor", root.code, "Thanh tra " + root.name))
    return accounts


def _ensure_users(tenant, accounts):
    for email, role, unit_code, name in accounts:
        if services.user_by_email(email) is None:
            services.create_user(email, DEMO_PASSWORD, role, tenant=tenant, unit_code=unit_code, name=name)


def _print_credentials(pre_reform):
    click.echo(f"Tài khoản demo (mật khẩu chung: {DEMO_PASSWORD}):")
    worlds = [(slug, _pre_reform_accounts) for slug, _n, _c in PRE_REFORM] if pre_reform else \
        [(slug, _today_accounts) for slug, *_rest in TODAY]
    for slug, accounts in worlds:
        tenant = tenant_by_slug(slug)
        if tenant is None or tenant.carried_into_id is not None:
            click.echo(f"  {slug}: đã chuyển sang bản đồ hiện hành (flask demo)")
            continue
        with tenant_scope(tenant.id):
            for email, role, unit_code, _label in accounts(tenant):
                click.echo(f"  {role:<11} {email:<40} đơn vị {unit_code}")
    click.echo(f"  {'platform_admin':<11} platform@ketnoi.local")
