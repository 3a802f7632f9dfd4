"""A unit's public profile (address, phone, contact hours, description, avatar), edited by its admins.

The columns live on `hierarchy.Unit`; they are changed here because the public page that shows them is
content's, and only through this function, which checks `unit.edit` and leaves an audit record.
"""
from content.media import media_storage, store_avatar
from core import audit
from core.errors import Invalid
from core.extensions import db
from core.permissions import require

PROFILE_LIMITS = {"address": 500, "phone": 50, "contact_hours": 255, "description": 2000}


def update_unit_profile(user, unit, data, avatar=None):
    """Apply `data` (any of PROFILE_LIMITS' keys) and an optional avatar upload; 422 naming a too-long field,
    413/415 for a refused avatar (the text fields are not saved then either: the caller rolls back)."""
    require(user, "unit.edit", unit)
    errors = {key: [f"Tối đa {limit} ký tự."] for key, limit in PROFILE_LIMITS.items()
              if len((data.get(key) or "").strip()) > limit}
    if errors:
        raise Invalid("Thông tin đơn vị không hợp lệ.", errors)
    changed = []
    for key in PROFILE_LIMITS:
        if key in data and (data[key] or "").strip() != getattr(unit, key):
            setattr(unit, key, (data[key] or "").strip())
            changed.append(key)
    if avatar is not None:
        old = unit.avatar_path
        unit.avatar_path = store_avatar(unit, avatar)
        if old:
            media_storage().delete(old)
        changed.append("avatar")
    if changed:
        audit.record("unit.profile_update", target=unit, unit_id=unit.id, details={"fields": changed})
    db.session.flush()
    return changed
