"""Vietnam's two administrative maps, as trees of divisions with their official codes and names.

- Today's map (since 2025-07-01, Resolution 202/2025/QH15): `vietnam-provinces` 2025.10.1, 34 provinces and
  3,321 communes, wards and special zones, no districts.
- The map before it: `vietnam-provinces` 0.6.0, 63 provinces, 696 districts, 10,051 communes. Both versions are
  one distribution, so 0.6.0's codes and names are kept in `hierarchy/data/pre2025.json`, generated from the
  package by `hierarchy/data/make_pre2025.py` (see there).

Nothing here assumes a number of tiers: a division has children, whatever their kind. Codes are zero-padded as
the official lists write them (province 2 digits, district 3, commune 5); the packages give plain integers.
"""
import importlib.util
import json
from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache
from pathlib import Path

REFORM_DATE = date(2025, 7, 1)
CODE_WIDTH = {"province": 2, "district": 3, "commune": 5}
CURRENT, PRE_REFORM = "2025", "pre-2025"
DATA_DIR = Path(__file__).parent / "data"


class UnknownProvince(ValueError):
    pass


@dataclass(frozen=True)
class Division:
    code: str
    name: str  # with its kind's word: "Tỉnh Trà Vinh", "Huyện Trà Cú", "Phường 4", "Đặc khu Phú Quốc"
    kind: str
    children: tuple = ()

    def walk(self):
        """Every division below this one, parents before children."""
        for child in self.children:
            yield child
            yield from child.walk()


@dataclass(frozen=True)
class AdminMap:
    key: str
    source: str  # the package and version the codes and names come from
    valid_from: date | None
    valid_until: date | None  # exclusive
    provinces: dict

    def province(self, code):
        province = self.provinces.get(pad(code, "province"))
        if province is None:
            raise UnknownProvince(code)
        return province

    def codes(self):
        return sorted(self.provinces)

    @property
    def in_force_on(self):
        """A day the map was in force: its first, or the last of a map that has ended."""
        return self.valid_from or self.valid_until - timedelta(days=1)

    @property
    def label(self):
        return "bản đồ hiện hành (từ 01/07/2025)" if self.key == CURRENT else "bản đồ trước 01/07/2025"


def pad(code, kind):
    code = str(code).strip()
    return code.zfill(CODE_WIDTH[kind]) if code.isdigit() else code


def parse_as_of(value):
    """`--as-of YYYY-MM-DD` (a date, a string or None for today) → a date or None."""
    if value is None or isinstance(value, date):
        return value
    text = str(value).strip()
    return date.fromisoformat(text) if text else None


def map_for(as_of=None):
    """The map in force on `as_of` (today's when None)."""
    as_of = parse_as_of(as_of)
    return current_map() if as_of is None or as_of >= REFORM_DATE else pre_reform_map()


def map_named(key):
    return current_map() if key == CURRENT else pre_reform_map()


def package_dir(name):
    """A package's directory without importing it (`vietnamadminunits` imports geopy and shapely on import)."""
    spec = importlib.util.find_spec(name)
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError(f"package {name} is not installed")
    return Path(spec.submodule_search_locations[0])


@lru_cache(maxsize=1)
def current_map():
    with open(package_dir("vietnam_provinces") / "data" / "nested-divisions.json", encoding="utf-8") as handle:
        raw = json.load(handle)
    provinces = {}
    for province in raw:
        name = province["name"]
        if province["division_type"] == "tỉnh" and not name.startswith("Tỉnh "):
            name = f"Tỉnh {name}"  # 2025.10 writes "Vĩnh Long" but "Thành phố Hà Nội": one form for both maps
        wards = tuple(Division(pad(ward["code"], "commune"), ward["name"], "commune") for ward in province["wards"])
        code = pad(province["code"], "province")
        provinces[code] = Division(code, name, "province", wards)
    return AdminMap(CURRENT, f"vietnam-provinces {_version('vietnam-provinces')}", REFORM_DATE, None, provinces)


@lru_cache(maxsize=1)
def pre_reform_map():
    with open(DATA_DIR / "pre2025.json", encoding="utf-8") as handle:
        raw = json.load(handle)
    provinces = {}
    for province in raw["provinces"]:
        districts = tuple(
            Division(pad(district["code"], "district"), district["name"], "district",
                     tuple(Division(pad(code, "commune"), name, "commune") for code, name in district["wards"]))
            for district in province["districts"])
        code = pad(province["code"], "province")
        provinces[code] = Division(code, province["name"], "province", districts)
    return AdminMap(PRE_REFORM, raw["source"], None, REFORM_DATE, provinces)


@lru_cache(maxsize=1)
def pre_reform_names():
    """{code: name} of every province and commune of the old map (districts' codes are of another length)."""
    names = {}
    for province in pre_reform_map().provinces.values():
        names[province.code] = province.name
        names.update({division.code: division.name for division in province.walk() if division.kind == "commune"})
    return names


def _version(distribution):
    from importlib.metadata import version

    return version(distribution)
