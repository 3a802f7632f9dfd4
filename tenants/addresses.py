"""Old public addresses of a tenant carried onto today's map (`flask reform apply`) answer 301.

Every public address of a tenant starts `/p/<slug>/`. A carried tenant has no units left, so its addresses answer
404; those answers (only those: a page that is found costs nothing more) become one redirect to the
same path in the tenant it went into, where units keep their codes. When the path names a unit that was merged
or retired (Phường Vĩnh Lạc, a district), it leads on to the unit that took it, so a bookmarked page, a feed
or a tip form lands where that unit's work now is. Follow-up codes (`/tra-cuu`) never named a tenant: a carried
tip keeps its code and secret.
"""
from flask import redirect, request
from sqlalchemy import select

from core.extensions import db
from core.tenancy import platform_scope
from hierarchy.models import Unit
from tenants.models import Tenant


def redirect_carried(response):
    """after_request: a public 404 at an address of a carried tenant becomes a 301 to where it went."""
    parts = request.path.split("/")
    if response.status_code != 404 or len(parts) < 3 or parts[1] != "p" or not parts[2]:
        return response
    with platform_scope():
        tenant = db.session.execute(select(Tenant).where(Tenant.slug == parts[2])).scalar_one_or_none()
        if tenant is None or tenant.carried_into_id is None:
            return response
        while tenant.carried_into_id is not None:
            tenant = tenant.carried_into
        parts[2] = tenant.slug
        if len(parts) > 3 and parts[3]:
            parts[3] = _successor_code(tenant.id, parts[3])
    query = request.query_string.decode()
    return redirect("/".join(parts) + (f"?{query}" if query else ""), 301)


def _successor_code(tenant_id, code):
    """The code of the active unit that a unit's page now lives at (the code itself when it is not a unit's)."""
    unit = db.session.execute(select(Unit).where(Unit.tenant_id == tenant_id, Unit.code == code)
                              ).scalar_one_or_none()
    seen = set()
    while unit is not None and not unit.active and unit.merged_into_id and unit.id not in seen:
        seen.add(unit.id)
        unit = unit.merged_into
    return unit.code if unit is not None else code
