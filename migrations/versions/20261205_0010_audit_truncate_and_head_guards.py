"""audit log: TRUNCATE refused, chain heads only ever move one record forward (PostgreSQL)

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-05

`TRUNCATE audit_log` skips row triggers, and a chain head rewound to seq 0 made the emptied chain look
intact (security review, finding 18). A statement trigger refuses TRUNCATE on the log and on the heads; a row
trigger on the heads refuses DELETE and any UPDATE but the one an append makes (seq + 1). The application's
role owns the tables today, so it could still drop these triggers; revoking that (and TRUNCATE) is part of
the database role split. `flask audit verify` anchors the heads outside the database every time it runs.
SQLite has no such triggers: the embedded default is for development.
"""
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("""
        CREATE FUNCTION audit_refuse_truncate() RETURNS trigger AS $$
        BEGIN
            RAISE EXCEPTION 'audit tables cannot be truncated';
        END;
        $$ LANGUAGE plpgsql
    """)
    for table in ("audit_log", "audit_chain_heads"):
        op.execute(f"""
            CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table}
            FOR EACH STATEMENT EXECUTE FUNCTION audit_refuse_truncate()
        """)
    op.execute("""
        CREATE FUNCTION audit_chain_head_forward_only() RETURNS trigger AS $$
        BEGIN
            IF TG_OP = 'DELETE' THEN
                RAISE EXCEPTION 'audit chain heads cannot be deleted';
            END IF;
            IF NEW.chain <> OLD.chain OR NEW.last_seq <> OLD.last_seq + 1 THEN
                RAISE EXCEPTION 'audit chain head % may only move one record forward', OLD.chain;
            END IF;
            RETURN NEW;
        END;
        $$ LANGUAGE plpgsql
    """)
    op.execute("""
        CREATE TRIGGER audit_chain_heads_forward_only BEFORE UPDATE OR DELETE ON audit_chain_heads
        FOR EACH ROW EXECUTE FUNCTION audit_chain_head_forward_only()
    """)


def downgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("DROP TRIGGER IF EXISTS audit_chain_heads_forward_only ON audit_chain_heads")
    op.execute("DROP FUNCTION IF EXISTS audit_chain_head_forward_only()")
    for table in ("audit_log", "audit_chain_heads"):
        op.execute(f"DROP TRIGGER IF EXISTS {table}_no_truncate ON {table}")
    op.execute("DROP FUNCTION IF EXISTS audit_refuse_truncate()")
