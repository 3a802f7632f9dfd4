"""Which unit of the tenant a request's place belongs to.

The administrative dataset gives one point per commune of today's map (`correspondence().coordinates`), no
polygons: a point belongs to the nearest commune in the whole country. If that commune is not the tenant's, the
point is outside the jurisdiction and is refused rather than sent to a far unit. A tenant still on the map from
before the 2025 reform has old communes: an old commune stands where its successor stands (several old communes
merged into one share a point; the lowest code among them takes the request, and staff forward it if needed).
An address is matched to unit names instead: the unit named in it with the most of its ancestors also named,
then named with its kind ("xã Hòa Minh" over a bare "Châu Thành"), then the deepest; a tie is refused.
"""
import math
import re

from sqlalchemy import select

from core.errors import Invalid
from core.extensions import db
from core.markdown import fold
from hierarchy.correspondence import correspondence
from hierarchy.models import Unit

# Beyond this from the nearest commune's point, a place is not on land we serve (the sea, another country).
MAX_DISTANCE_KM = 40


def distance_km(a, b):
    """Great-circle distance between two (lat, lon) points (haversine)."""
    lat1, lon1, lat2, lon2 = map(math.radians, (*a, *b))
    h = math.sin((lat2 - lat1) / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    return 2 * 6371.0 * math.asin(math.sqrt(h))


def nearest_commune(lat, lon):
    """(code of today's nearest commune, distance in km)."""
    points = correspondence().coordinates
    code = min(points, key=lambda c: distance_km((lat, lon), points[c]))
    return code, distance_km((lat, lon), points[code])


def unit_at(lat, lon):
    """The tenant's active commune holding the point; `Invalid` naming `lat` when it is not the tenant's."""
    code, km = nearest_commune(lat, lon)
    outside = Invalid(fields={"lat": ["Vị trí nằm ngoài địa bàn của đơn vị này."]})
    if km > MAX_DISTANCE_KM:
        raise outside
    communes = db.session.execute(select(Unit).where(Unit.kind == "commune", Unit.active.is_(True))
                                  .order_by(Unit.code)).scalars().all()
    successor = correspondence().successor
    for unit in communes:
        if unit.code == code:
            return unit
    for unit in communes:
        if unit.code in successor and successor[unit.code].code == code:
            return unit
    raise outside


# Units are police units ("Công an xã Hòa Minh"); an address names the place ("xã Hòa Minh", "Hòa Minh").
_POLICE = re.compile(r"^cong an\s+")
_KIND = re.compile(r"^(xa|phuong|thi tran|dac khu|huyen|quan|thi xa|thanh pho|tinh)\s+")


def _contains(haystack, name):
    """2: the place is named with its kind ("xã Hòa Minh"), 1: by its bare name, 0: not at all."""
    place = _POLICE.sub("", fold(name).strip())
    for score, folded in ((2, place), (1, _KIND.sub("", place))):
        if folded and re.search(rf"(?<![\w]){re.escape(folded)}(?![\w])", haystack):
            return score
    return 0


def unit_named_in(address):
    """The tenant's active unit named in `address`; `Invalid` naming `address_string` when none or several fit."""
    haystack = fold(address)
    units = db.session.execute(select(Unit).where(Unit.active.is_(True))).scalars().all()
    by_code = {unit.code: unit for unit in units}
    scored = []
    for unit in units:
        if unit.kind in ("province", "department") or not _contains(haystack, unit.name):
            continue
        ancestors = [by_code[c] for c in unit.path.strip("/").split("/")[:-1] if c in by_code]
        named = sum(bool(_contains(haystack, a.name)) for a in ancestors)
        scored.append((named, _contains(haystack, unit.name), unit.depth, unit))
    if not scored:
        raise Invalid(fields={"address_string": ["Không tìm thấy xã, phường nào của đơn vị trong địa chỉ."]})
    scored.sort(key=lambda item: item[:3], reverse=True)
    best = scored[0]
    if len(scored) > 1 and scored[1][:3] == best[:3]:
        raise Invalid(fields={"address_string": [
            "Địa chỉ khớp với nhiều xã, phường; hãy ghi thêm tên huyện hoặc gửi toạ độ."]})
    return best[3]
