"""Inbox test helpers: tips made through the public API or the services, images made on the fly."""
import io

import pytest
from PIL import Image

from core.extensions import db
from core.tenancy import load, tenant_scope


def png_bytes(color=(200, 30, 30)):
    out = io.BytesIO()
    Image.new("RGB", (32, 24), color).save(out, "PNG")
    return out.getvalue()


def jpeg_with_exif():
    out = io.BytesIO()
    exif = Image.Exif()
    exif[0x010F] = "SecretCam"  # Make
    Image.new("RGB", (40, 30), (10, 120, 200)).save(out, "JPEG", exif=exif.tobytes())
    return out.getvalue()


@pytest.fixture
def post_tip(client):
    """`post_tip(unit_id, **fields)` → response of the public JSON API."""

    def _post(unit_id, **fields):
        body = {"category": "security_report", "description": "Có nhóm thanh niên tụ tập gây ồn ào lúc nửa đêm."}
        body.update(fields)
        return client.post(f"/api/v1/public/units/{unit_id}/tips", json=body)

    return _post


@pytest.fixture
def make_tip(app_ctx, world):
    """`make_tip(unit_key="commune", tenant="a", **kwargs)` → (tip id, secret), committed through the service."""
    from hierarchy.models import Unit
    from inbox.intake import submit_tip

    def _make(unit_key="commune", tenant="a", category="security_report",
              description="Có người lạ lảng vảng trước cổng trường.", **kwargs):
        info = world[tenant]
        with tenant_scope(info.tenant_id):
            unit = load(Unit, info.units[unit_key].id)
            new = submit_tip(unit, category, description, **kwargs)
            tip_id = new.tip.id
            db.session.commit()
        return tip_id, new.secret

    return _make


@pytest.fixture
def tip_of(app_ctx, world):
    """`tip_of(tip_id, tenant="a")` → the Tip, freshly read, in that tenant's scope (caller keeps the scope)."""
    from inbox.models import Tip

    def _get(tip_id, tenant="a"):
        db.session.expire_all()
        with tenant_scope(world[tenant].tenant_id):
            return load(Tip, tip_id)

    return _get


@pytest.fixture
def limited_client(app_ctx, tmp_root, database_uri):
    """A client of a second app built with RATELIMIT_ENABLED=True, sharing the test's rolled-back connection.

    The session app runs with the limiter off; Flask-Limiter installs its hooks only on an app created with
    it on."""
    from core import create_app
    from core.extensions import limiter
    from tests.conftest import make_config, share_connection

    limited = create_app(make_config(tmp_root, database_uri, RATELIMIT_ENABLED=True))
    own_engine = share_connection(limited, db.engine)  # the test's connection
    limiter.reset()
    try:
        yield limited.test_client()
    finally:
        limiter.reset()
        limiter.enabled = False
        own_engine.dispose()
