"""Import a province's real unit tree from `vietnam-provinces` 0.6 (administrative data before the 2025 reform).

A province becomes: its HQ ("Công an tỉnh Trà Vinh", code `84`), the tenant's departments (`PC02`...), every
district ("Công an huyện Trà Cú", `849`) and every commune ("Công an xã Kim Sơn", `29278`), codes zero-padded
as the official lists write them. The import is idempotent: units that exist (by code) are left as they are,
so an operator's edits survive a re-run; only missing units are inserted, in bulk.
"""
import json
from dataclasses import dataclass
from functools import lru_cache

from vietnam_provinces import NESTED_DIVISIONS_JSON_PATH

from core.markdown import fold
from hierarchy.departments import DEFAULT_DEPARTMENTS

PROVINCE_PREFIXES = ("Thành phố ", "Tỉnh ")
# The division's own word, lower-cased after "Công an" ("Công an huyện Trà Cú", "Công an phường 4").
DIVISION_WORDS = ("Thành phố", "Thị xã", "Thị trấn", "Huyện", "Quận", "Phường", "Xã")


class UnknownProvince(ValueError):
    pass


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


@lru_cache(maxsize=1)
def _provinces():
    with open(NESTED_DIVISIONS_JSON_PATH, encoding="utf-8") as handle:
        return {f"{p['code']:02d}": p for p in json.load(handle)}


def province_codes():
    return sorted(_provinces())


def province_name(code):
    province = _provinces().get(normalise_code(code))
    if province is None:
        raise UnknownProvince(code)
    return _strip_prefix(province["name"], PROVINCE_PREFIXES)


def normalise_code(code):
    code = str(code).strip()
    return code.zfill(2) if code.isdigit() else code


def _strip_prefix(name, prefixes):
    for prefix in prefixes:
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
    kind = "thành phố" if province["name"].startswith("Thành phố") else "tỉnh"
    return f"Công an {kind} {_strip_prefix(province['name'], PROVINCE_PREFIXES)}"


def unit_specs(province_code, departments=DEFAULT_DEPARTMENTS):
    """Every unit of one province, parents before children."""
    code = normalise_code(province_code)
    province = _provinces().get(code)
    if province is None:
        raise UnknownProvince(province_code)
    root_path = f"/{code}/"
    specs = [UnitSpec(code, province_hq_name(province), "province", None, root_path, 0, 0)]
    for order, (dept_code, dept_name) in enumerate(departments, start=1):
        specs.append(UnitSpec(dept_code, dept_name, "department", code, f"{root_path}{dept_code}/", 1, order))
    for d_order, district in enumerate(province["districts"], start=1):
        district_code = f"{district['code']:03d}"
        district_path = f"{root_path}{district_code}/"
        specs.append(UnitSpec(district_code, police_name(district["name"]), "district", code, district_path, 1,
                              100 + d_order))
        for w_order, ward in enumerate(district["wards"], start=1):
            ward_code = f"{ward['code']:05d}"
            specs.append(UnitSpec(ward_code, police_name(ward["name"]), "commune", district_code,
                                  f"{district_path}{ward_code}/", 2, w_order))
    return specs
