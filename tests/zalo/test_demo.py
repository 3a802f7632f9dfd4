"""The demo's Zalo data: configured, linked, conversations in the inbox, and idempotent."""
from sqlalchemy import select

from core.extensions import db
from hierarchy.models import Unit
from zalo import demo
from zalo.models import WebhookDelivery, ZaloApp

from .conftest import count, metric_total, thread, zalo_tips


def _state():
    tips = zalo_tips()
    return (len(tips), sum(len(thread(tip)) for tip in tips), count(WebhookDelivery),
            db.session.execute(select(Unit.code, Unit.zalo_oa_id).where(Unit.zalo_oa_id.is_not(None))
                               .order_by(Unit.code)).all())


def test_the_demo_shows_zalo_conversations_and_a_second_run_adds_nothing(app_ctx, tenant_a, tenant_b, in_tenant):
    demo.seed(app_ctx, tenant_id=tenant_a.tenant_id)
    demo.seed(app_ctx, tenant_id=tenant_b.tenant_id)
    with in_tenant(tenant_a):
        first = _state()
        app = db.session.execute(select(ZaloApp)).scalar_one()
        assert app.app_id == demo.DEFAULT_APP_ID and app.oa_secret_key == demo.DEMO_OA_SECRET_KEY
        tips = zalo_tips()
        assert len(tips) == 5  # one citizen wrote twice
        assert all(tip.zalo_oa_id for tip in tips)
        assert any(m.author_kind == "system" for tip in tips for m in thread(tip))
        commune = tenant_a.units["commune"]
        assert commune.code == "29236" and any(tip.first_unit_id == commune.id for tip in tips)
        phuong7 = db.session.execute(select(Unit.id).where(Unit.code == "29254")).scalar_one()
        assert metric_total("followers_gained", phuong7) == 2
    demo.seed(app_ctx, tenant_id=tenant_a.tenant_id)
    with in_tenant(tenant_a):
        assert _state() == first
    with in_tenant(tenant_b):
        assert zalo_tips() == [] and db.session.execute(select(ZaloApp)).first() is None
