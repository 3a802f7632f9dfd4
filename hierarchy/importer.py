"""Import a province's real unit tree from one of the two maps (`hierarchy.maps`): today's by default.

A province becomes its HQ ("Công an tỉnh Vĩnh Long", code `86`), the tenant's departments (`PC02`...) and every
division below it as the map has them: on today's map its communes, wards and special zones directly under the
HQ ("Công an phường Trà Vinh", `29236`); on the map before 2025-07-01 its districts ("Công an huyện Trà Cú",
`849`) with their communes under them. Codes are zero-padded as the official lists write them. The import is
idempotent: units that exist (by code) are left as they are, so an operator's edits survive a re-run; only
missing units are inserted, in bulk.
"""
from dataclasses import dataclass

from core.errors import Invalid
from core.markdown import fold
from hierarchy.departments import DEFAULT_DEPARTMENTS
from hierarchy.maps import REFORM_DATE, UnknownProvince, current_map, map_for, pad, parse_as_of, pre_reform_map

PROVINCE_PREFIXES = ("Thành phố ", "Tỉnh ")
# The division's own word, lower-cased after "Công an" ("Công an huyện Trà Cú", "Công an phường 4").
DIVISION_WORDS = ("Thành phố", "Thị xã", "Thị trấn", "Huyện", "Quận", "Phường", "Xã", "Đặc khu")
# Children of the HQ sort after its departments.
ROOT_CHILD_ORDER = 100

__all__ = ["UnknownProvince", "ProvinceMerged", "province_for", "unit_specs"]


class ProvinceMerged(UnknownProvince):
    """An old province code asked for on today's map: it names where the province went."""

    def __init__(self, code, name, new_code, new_name):
        super().__init__(code)
        self.code, self.name, self.new_code, self.new_name = code, name, new_code, new_name

    @property
    def message(self):
        day = pre_reform_map().in_force_on
        return (f"{self.code} {self.name} đã sáp nhập vào {self.new_code} {self.new_name} từ "
                f"{REFORM_DATE:%d/%m/%Y}: dùng --province {self.new_code}, hoặc --as-of {day.isoformat()} để "
                f"nhập bản đồ trước sắp xếp.")


@dataclass(frozen=True)
class UnitSpec:
    code: str
    name: str
    kind: str
    parent_code: str | None
    path: str
    depth: int
    sort_order: int

    @property
    def search_name(self):
        return fold(self.name)


def province_for(code, as_of=None):
    """The province `code` names on the map in force on `as_of`; an old code on today's map raises
    `ProvinceMerged` with the way forward, an unknown one `UnknownProvince`."""
    admin_map = map_for(as_of)
    try:
        return admin_map.province(code)
    except UnknownProvince:
        if admin_map is not current_map() or pad(code, "province") not in pre_reform_map().provinces:
            raise
    from hierarchy.correspondence import correspondence

    old = pre_reform_map().province(code)
    new = current_map().province(correspondence().province_into[old.code])
    raise ProvinceMerged(old.code, short_name(old.name), new.code, short_name(new.name)) from None


def province_or_invalid(province_code, as_of=None):
    """The province a code names on the map of `as_of` (today's by default), or `Invalid` naming the field: an
    old code on today's map says where the province went and how to ask for the old map."""
    try:
        as_of = parse_as_of(as_of)
    except ValueError:
        raise Invalid("Ngày không hợp lệ.", {"as_of": ["Ngày theo dạng YYYY-MM-DD."]}) from None
    try:
        return province_for(province_code, as_of)
    except ProvinceMerged as merged:
        raise Invalid(merged.message, {"province": ["Mã tỉnh trước 01/07/2025."]}) from None
    except UnknownProvince:
        raise Invalid("Mã tỉnh không tồn tại.", {"province": [f"Không có tỉnh mã {province_code} trên "
                                                              f"{map_for(as_of).label}."]}) from None


def province_name(code, as_of=None):
    return short_name(province_for(code, as_of).name)


def province_codes(as_of=None):
    return map_for(as_of).codes()


def normalise_code(code):
    return pad(code, "province")


def short_name(name):
    for prefix in PROVINCE_PREFIXES:
        if name.startswith(prefix):
            return name[len(prefix):]
    return name


def police_name(division_name):
    """"Huyện Trà Cú" → "Công an huyện Trà Cú"; names without a known division word keep it as is."""
    for word in DIVISION_WORDS:
        if division_name.startswith(word + " "):
            return f"Công an {word.lower()}{division_name[len(word):]}"
    return f"Công an {division_name}"


def province_hq_name(province):
    kind = "thành phố" if province.name.startswith("Thành phố") else "tỉnh"
    return f"Công an {kind} {short_name(province.name)}"


def unit_specs(province_code, departments=DEFAULT_DEPARTMENTS, as_of=None, admin_map=None):
    """Every unit of one province on `admin_map`, else on the map of `as_of` (today's when None), parents before
    children."""
    province = admin_map.province(province_code) if admin_map else province_for(province_code, as_of)
    root_path = f"/{province.code}/"
    specs = [UnitSpec(province.code, province_hq_name(province), "province", None, root_path, 0, 0)]
    for order, (dept_code, dept_name) in enumerate(departments, start=1):
        specs.append(UnitSpec(dept_code, dept_name, "department", province.code, f"{root_path}{dept_code}/", 1,
                              order))

    def add_children(division, path, depth, first_order):
        for order, child in enumerate(division.children, start=first_order):
            child_path = f"{path}{child.code}/"
            specs.append(UnitSpec(child.code, police_name(child.name), child.kind, division.code, child_path, depth,
                                  order))
            add_children(child, child_path, depth + 1, 1)

    add_children(province, root_path, 1, ROOT_CHILD_ORDER + 1)
    return specs
