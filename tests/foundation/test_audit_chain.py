"""The audit log's hash chains: one per tenant plus the platform's; tampering is found and named."""
from sqlalchemy import select, text

from core import audit
from core.audit import AuditLog
from core.extensions import db
from core.tenancy import platform_scope, tenant_scope


def test_records_chain_per_tenant(app_ctx, tenant_a, tenant_b):
    with tenant_scope(tenant_a.tenant_id):
        first = audit.record("test.one", details={"n": 1})
        second = audit.record("test.two", details={"n": 2})
    with tenant_scope(tenant_b.tenant_id):
        other = audit.record("test.other")
    assert second.prev_hash == first.hash and second.seq == first.seq + 1
    assert other.chain != first.chain
    with platform_scope():
        assert audit.verify_chain(first.chain) is None and audit.verify_chain(other.chain) is None


def test_verify_names_the_edited_record(app_ctx, tenant_a, table_owner):
    with tenant_scope(tenant_a.tenant_id):
        audit.record("test.a")
        target = audit.record("test.b", details={"role": "officer"})
        audit.record("test.c")
        db.session.commit()
    with table_owner():
        db.session.execute(text("UPDATE audit_log SET details = :d WHERE id = :id"),
                           {"d": '{"role": "director"}', "id": target.id})
    db.session.expire_all()
    runner = app_ctx.test_cli_runner()
    result = runner.invoke(args=["audit", "verify", "--tenant", "tra-vinh"])
    assert result.exit_code == 1 and f"id={target.id}" in result.output


def test_verify_finds_a_deleted_tail(app_ctx, tenant_a, table_owner):
    with tenant_scope(tenant_a.tenant_id):
        audit.record("test.a")
        last = audit.record("test.b")
        db.session.commit()
    with table_owner():
        db.session.execute(text("DELETE FROM audit_log WHERE id = :id"), {"id": last.id})
    result = app_ctx.test_cli_runner().invoke(args=["audit", "verify", "--tenant", "tra-vinh"])
    assert result.exit_code == 1 and "missing" in result.output


def test_intact_chains_verify(app_ctx):
    result = app_ctx.test_cli_runner().invoke(args=["audit", "verify"])
    assert result.exit_code == 0, result.output


def test_no_record_holds_a_password(app_ctx):
    with platform_scope():
        details = db.session.execute(select(AuditLog.details)).scalars().all()
    assert not any("password" in str(d).lower() for d in details)
