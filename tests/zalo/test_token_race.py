"""Two workers send replies at once with an expired token: the single-use refresh token is spent once.

This test needs two real database connections, so it commits its rows (and deletes them afterwards) instead
of running inside the rolled-back test transaction. SQLite takes the embedded path (the refresh lock is an
UPDATE on the connection row, i.e. SQLite's write lock); with REDIS_URL the refresh runs under a Redis lock.
"""
import threading
from datetime import timedelta

import pytest
from sqlalchemy import delete, select

from core.crypto import encrypt, hash_secret
from core.extensions import db
from core.tenancy import tenant_scope
from core.timeutil import utcnow
from devtools.zalo_fake import DEFAULT_APP_SECRET, FakeZalo
from hierarchy.models import Unit
from inbox.models import Tip, TipMessage
from inbox.vault import ReporterIdentity
from zalo import outbox, tokens
from zalo.client import CS_MESSAGE_PATH, OAUTH_TOKEN_PATH, TokenPair
from zalo.models import MessageRef, OaConnection, Outbox, ZaloApp

from .conftest import CITIZEN, OA_SECRET_KEY

RACE_APP_ID = "1730512954321980001"
RACE_OA_ID = "2871465093512270001"


def _seed(tenant, fake, expired_locally):
    """A linked unit with a stale access token, a Zalo tip and two pending replies; returns their ids."""
    pair = fake.issue_tokens(RACE_OA_ID, app_id=RACE_APP_ID)
    with tenant_scope(tenant.tenant_id):
        unit = db.session.execute(select(Unit).where(Unit.parent_id == tenant.units["district"].id)
                                  .order_by(Unit.code.desc())).scalars().first()
        app = ZaloApp(app_id=RACE_APP_ID)
        app.app_secret, app.oa_secret_key = DEFAULT_APP_SECRET, OA_SECRET_KEY
        unit.zalo_oa_id = RACE_OA_ID
        connection = OaConnection(unit_id=unit.id, oa_id=RACE_OA_ID)
        tokens.store_pair(connection, TokenPair("stale-access-token", pair["refresh_token"], 90000))
        if expired_locally:
            connection.expires_at = utcnow() - timedelta(minutes=1)
        reporter = ReporterIdentity(alias=987654321, zalo_user_enc=encrypt(CITIZEN), zalo_oa_id=RACE_OA_ID)
        db.session.add_all([app, connection, reporter])
        db.session.flush()
        tip = Tip(tracking_code="TV-RACE-0001", secret_hash=hash_secret("x"), unit_id=unit.id, first_unit_id=unit.id,
                  channel="zalo", category="other", reporter_id=reporter.id, zalo_oa_id=RACE_OA_ID)
        db.session.add(tip)
        db.session.flush()
        rows = []
        for body in ("Trả lời thứ nhất", "Trả lời thứ hai"):
            message = TipMessage(tip_id=tip.id, direction="out", author_kind="staff", body=body,
                                 delivery_state="pending")
            db.session.add(message)
            db.session.flush()
            row = Outbox(message_id=message.id, tip_id=tip.id, sent_ids=[])
            db.session.add(row)
            rows.append(row)
        db.session.commit()
        return unit.id, tip.id, reporter.id, [row.id for row in rows]


def _cleanup(tenant, unit_id, tip_id, reporter_id):
    with tenant_scope(tenant.tenant_id):
        message_ids = select(TipMessage.id).where(TipMessage.tip_id == tip_id)
        db.session.execute(delete(MessageRef).where(MessageRef.tip_message_id.in_(message_ids)))
        db.session.execute(delete(Outbox).where(Outbox.tip_id == tip_id))
        db.session.execute(delete(TipMessage).where(TipMessage.tip_id == tip_id))
        db.session.execute(delete(Tip).where(Tip.id == tip_id))
        db.session.execute(delete(ReporterIdentity).where(ReporterIdentity.id == reporter_id))
        db.session.execute(delete(OaConnection).where(OaConnection.unit_id == unit_id))
        db.session.execute(delete(ZaloApp).where(ZaloApp.app_id == RACE_APP_ID))
        db.session.execute(select(Unit).where(Unit.id == unit_id)).scalar_one().zalo_oa_id = None
        db.session.commit()


@pytest.mark.parametrize("expired_locally", [False, True], ids=["zalo-says-invalid", "expiry-passed"])
def test_two_workers_spend_the_refresh_token_once_and_both_replies_go_out(app, world, monkeypatch,
                                                                         expired_locally):
    tenant = world["a"]
    # tests/conftest.py's app_ctx teardown leaves an invalid mode ("conservative_savepoint") behind; sessions
    # of this test's own app contexts use SQLAlchemy's default
    monkeypatch.setitem(db.session.session_factory.kw, "join_transaction_mode", "conditional_savepoint")
    with FakeZalo(apps={RACE_APP_ID: DEFAULT_APP_SECRET}) as fake:
        monkeypatch.setitem(app.config, "ZALO_API_BASE", fake.base_url)
        monkeypatch.setitem(app.config, "ZALO_OAUTH_BASE", fake.base_url)
        with app.app_context():
            unit_id, tip_id, reporter_id, outbox_ids = _seed(tenant, fake, expired_locally)
        # Both workers must hold the stale token before either refreshes; the refresh itself is slow.
        both_ready = threading.Barrier(2, timeout=10)
        original = tokens.usable_token

        def usable_after_both_read(connection):
            both_ready.wait()
            return original(connection)

        monkeypatch.setattr(tokens, "usable_token", usable_after_both_read)
        fake.fail_next(OAUTH_TOKEN_PATH, delay=0.5)
        results, errors = {}, []

        def worker(outbox_id):
            try:
                with app.app_context(), tenant_scope(tenant.tenant_id):
                    results[outbox_id] = outbox.deliver(outbox_id)
                    db.session.remove()
            except Exception as error:  # reported below, with the thread's traceback in the message
                errors.append(repr(error))

        threads = [threading.Thread(target=worker, args=(outbox_id,)) for outbox_id in outbox_ids]
        try:
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(timeout=30)
            assert errors == []
            assert results == {outbox_ids[0]: "sent", outbox_ids[1]: "sent"}
            assert len([r for r in fake.requests if r.path == OAUTH_TOKEN_PATH]) == 1
            assert sorted(m["message"]["text"] for m in fake.sent_messages) == ["Trả lời thứ hai", "Trả lời thứ nhất"]
            if not expired_locally:
                stale = [r for r in fake.requests if r.path == CS_MESSAGE_PATH
                         and r.headers["access_token"] == "stale-access-token"]
                assert len(stale) == 2  # both really raced on the dead token
            with app.app_context(), tenant_scope(tenant.tenant_id):
                connection = db.session.execute(select(OaConnection).where(OaConnection.unit_id == unit_id)
                                                ).scalar_one()
                assert not connection.needs_reauth
        finally:
            with app.app_context():
                _cleanup(tenant, unit_id, tip_id, reporter_id)
