"""Open311 helpers: a registered client per tenant, and a point inside one of the tenant's communes."""
import pytest
from sqlalchemy import select

from core.extensions import db
from core.tenancy import tenant_scope
from hierarchy.correspondence import correspondence
from hierarchy.models import Unit
from tests.inbox.conftest import limited_client, make_tip  # noqa: F401  (fixtures)


@pytest.fixture
def api_key(app_ctx, world):
    """`api_key(tenant="a", name=...)` → a new client's key, committed."""
    from open311.services import create_client

    def _make(tenant="a", name="Ứng dụng phản ánh của thành phố"):
        with tenant_scope(world[tenant].tenant_id):
            _client, key = create_client(name)
            db.session.commit()
        return key

    return _make


@pytest.fixture(scope="session")
def lonely_commune(app):
    """(unit id, name, (lat, lon)) of a commune of tenant a that no other commune of the tenant shares a point
    with (on the old map, old communes merged into one new commune stand on the same point)."""
    with app.app_context(), tenant_scope(app.world["a"].tenant_id):
        successor, points = correspondence().successor, correspondence().coordinates
        communes = db.session.execute(select(Unit).where(Unit.kind == "commune").order_by(Unit.code)).scalars().all()
        new_code = {u.code: successor[u.code].code for u in communes if u.code in successor}
        for unit in communes:
            code = new_code.get(unit.code)
            if code in points and list(new_code.values()).count(code) == 1:
                return unit.id, unit.name, points[code]
    raise AssertionError("no commune of tenant a stands alone on its point")
