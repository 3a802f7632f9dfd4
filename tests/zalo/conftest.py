"""Zalo test helpers: a configured tenant app, a linked OA, signed deliveries, the fake Zalo wired in."""
import re
from pathlib import Path
from types import SimpleNamespace

import pytest
from sqlalchemy import func, select

from core.extensions import db
from core.tenancy import tenant_scope
from devtools.zalo_fake import DEFAULT_APP_ID, DEFAULT_APP_SECRET, DEFAULT_OA_ID, FakeZalo
from hierarchy.models import Unit
from zalo.client import TokenPair
from zalo.signature import SIGNATURE_HEADER, signature_header_value

EVENTS = Path(__file__).parent / "events"
OA_SECRET_KEY = "Xk9pQ2vL7mR4tY8wZ1aB"
APP_ID, APP_SECRET, OA_ID = DEFAULT_APP_ID, DEFAULT_APP_SECRET, DEFAULT_OA_ID
B_APP_ID, B_OA_ID = "1730512954321987999", "2871465093512278999"
CITIZEN = "6104937285513340172"


def event_files():
    """E1–E17 in their numeric order."""
    return sorted(EVENTS.glob("e*.json"), key=lambda path: int(re.match(r"e(\d+)_", path.name).group(1)))


def event(number):
    return next(path for path in EVENTS.glob(f"e{number}_*.json")).read_bytes()


class Channel:
    """One tenant's Zalo setup in a test: its app, its linked commune, and signed deliveries to the webhook."""

    def __init__(self, client, run_jobs, tenant, app_id, oa_id, secret=OA_SECRET_KEY):
        self.client, self.run_jobs, self.tenant = client, run_jobs, tenant
        self.app_id, self.oa_id, self.secret = app_id, oa_id, secret
        self.unit_id = tenant.units["commune"].id

    def scope(self):
        return tenant_scope(self.tenant.tenant_id)

    def post(self, raw, signature="sign", app_id=None):
        headers = {"Content-Type": "application/json"}
        if signature == "sign":
            signature = signature_header_value(app_id or self.app_id, raw, self.secret)
        if signature is not None:
            headers[SIGNATURE_HEADER] = signature
        response = self.client.post("/webhooks/zalo", data=raw, headers=headers)
        self.run_jobs()
        return response

    def deliver(self, raw):
        """Deliver an event file's bytes, rewritten for this tenant's app and OA when they differ."""
        from zalo.simulate import build_body

        response = self.post(build_body(raw, self.app_id, self.oa_id))
        assert response.status_code == 200, response.get_json()
        return response

    def unit(self):
        with self.scope():
            return db.session.execute(select(Unit).where(Unit.id == self.unit_id)).scalar_one()

    def connect(self, fake):
        """Give the OA a token pair issued by the fake, as after a completed OAuth flow."""
        from zalo.services import connection_for_unit
        from zalo.tokens import store_pair

        pair = fake.issue_tokens(self.oa_id, app_id=self.app_id)
        with self.scope():
            connection = connection_for_unit(self.unit())
            store_pair(connection, TokenPair(pair["access_token"], pair["refresh_token"], int(pair["expires_in"])))
            db.session.commit()
        return pair


def setup_channel(client, run_jobs, tenant, app_id, oa_id, app_secret=APP_SECRET, unit_key="commune"):
    from zalo.services import configure_app, link_unit

    with tenant_scope(tenant.tenant_id):
        configure_app(app_id, app_secret, OA_SECRET_KEY)
        unit = db.session.execute(select(Unit).where(Unit.id == tenant.units[unit_key].id)).scalar_one()
        link_unit(unit, oa_id)
        db.session.commit()
    return Channel(client, run_jobs, tenant, app_id, oa_id)


@pytest.fixture
def channel(client, run_jobs, tenant_a):
    """Tenant A (tra-vinh) with the README's app and its commune linked to the README's OA."""
    return setup_channel(client, run_jobs, tenant_a, APP_ID, OA_ID)


@pytest.fixture
def channel_b(client, run_jobs, tenant_b):
    return setup_channel(client, run_jobs, tenant_b, B_APP_ID, B_OA_ID)


@pytest.fixture
def fake(app_ctx, monkeypatch):
    """The fake Zalo, with the app pointed at it and allowed to fetch media from it."""
    with FakeZalo(apps={APP_ID: APP_SECRET, B_APP_ID: APP_SECRET}) as server:
        monkeypatch.setitem(app_ctx.config, "ZALO_API_BASE", server.base_url)
        monkeypatch.setitem(app_ctx.config, "ZALO_OAUTH_BASE", server.base_url)
        monkeypatch.setitem(app_ctx.config, "ZALO_MEDIA_HOSTS", ["127.0.0.1"])
        monkeypatch.setitem(app_ctx.config, "ZALO_ALLOW_PRIVATE_MEDIA", True)
        yield server


def count(model, *conditions):
    return db.session.execute(select(func.count()).select_from(model).where(*conditions)).scalar_one()


def zalo_tips():
    from inbox.models import Tip

    return db.session.execute(select(Tip).where(Tip.channel == "zalo").order_by(Tip.id)).scalars().all()


def thread(tip):
    from inbox.models import TipMessage

    return db.session.execute(select(TipMessage).where(TipMessage.tip_id == tip.id)
                              .order_by(TipMessage.created_at, TipMessage.id)).scalars().all()


def metric_total(metric, unit_id):
    from metrics.models import Event

    return db.session.execute(select(func.coalesce(func.sum(Event.value), 0)).where(
        Event.metric == metric, Event.unit_id == unit_id)).scalar_one()


def ns(**kwargs):
    return SimpleNamespace(**kwargs)
