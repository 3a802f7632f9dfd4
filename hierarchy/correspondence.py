"""The official old → new correspondence of the 2025 reform, joined to the product's two maps.

The correspondence comes from `vietnamadminunits` (MIT): `data/converter_2025.json` says which old communes
make each new one (and, for the 471 old communes divided between several new ones, which new one takes the old
commune's identity), and which old provinces make each new one; `data/dataset.db` gives the codes behind its
name keys, on both maps, and the coordinates of every new commune. Its files are read directly: importing the
package would import geopy and shapely.

The two packages disagree in places (measured on vietnam-provinces 2025.10.1 and vietnamadminunits 1.0.4), so
`vietnam-provinces` stays the authority for codes and names and the correspondence is joined to it:
- today's communes by code where the names agree, else by province + folded name (114 codes differ, a few
  codes name another ward: 00226 Kim Liên vs Văn Miếu - Quốc Tử Giám);
- old communes by code, else by province + district + folded name (0.6 numbers seven wards of Hồ Chí Minh
  City differently); old communes found neither way (communes merged between 2021 and 2025, e.g. Xã Chiềng
  Ly) are *unmapped*: `reform plan` lists them with what the dataset's aliases suggest, and an operator's
  override settles each one. Nothing is guessed silently.
"""
import json
import re
import sqlite3
from collections import defaultdict
from dataclasses import dataclass, field
from functools import lru_cache

from core.markdown import fold
from hierarchy.maps import current_map, package_dir, pre_reform_map

SOURCE = "vietnamadminunits"


def name_key(name):
    """Names compared across datasets: no diacritics, case, spaces or punctuation ("Đạ M'ri" = "Đạ Mri",
    "Thuỷ" = "Thủy")."""
    return re.sub(r"[^a-z0-9]", "", fold(name))


@dataclass(frozen=True)
class Successor:
    """Where one old commune went: `code` takes its identity; a divided commune also gave land to `others`."""

    code: str
    others: tuple = ()
    joined_by: str = "code"  # or "name": the datasets' codes differ, matched by name within the province


@dataclass
class Correspondence:
    source: str
    province_into: dict = field(default_factory=dict)  # old province code -> new province code
    successor: dict = field(default_factory=dict)  # old commune code -> Successor
    unmapped: dict = field(default_factory=dict)  # old commune code -> suggested new codes (from aliases)
    coordinates: dict = field(default_factory=dict)  # new commune code -> (lat, lon)
    renumbered: dict = field(default_factory=dict)  # new code -> the dataset's code for the same commune

    def old_provinces_of(self, new_code):
        return sorted(old for old, new in self.province_into.items() if new == new_code)

    def formed_from(self, new_code):
        """Old commune codes whose identity went to `new_code`, then those that only gave it land."""
        whole = sorted(old for old, s in self.successor.items() if s.code == new_code)
        parts = sorted(old for old, s in self.successor.items() if new_code in s.others)
        return whole, parts


def _connect(path):
    return sqlite3.connect(f"file:{path}?mode=ro", uri=True)


@lru_cache(maxsize=1)
def correspondence():
    base = package_dir("vietnamadminunits") / "data"
    with open(base / "converter_2025.json", encoding="utf-8") as handle:
        converter = json.load(handle)
    connection = _connect(base / "dataset.db")
    try:
        legacy = connection.execute(
            "SELECT provinceKey, districtKey, wardKey, provinceCode, districtCode, wardCode, ward, wardKeywords"
            " FROM admin_units_legacy").fetchall()
        new = connection.execute(
            "SELECT provinceKey, wardKey, provinceCode, wardCode, ward, wardLat, wardLon FROM admin_units").fetchall()
    finally:
        connection.close()
    from importlib.metadata import version

    result = Correspondence(source=f"{SOURCE} {version(SOURCE)}")
    new_code_of = _join_new(new, result)
    old_key_of = _join_old(legacy, result)

    province_code = {row[0]: row[3] for row in legacy}
    new_province_code = {row[0]: row[2] for row in new}
    for new_key, old_keys in converter["DICT_PROVINCE"].items():
        for old_key in old_keys:
            result.province_into[province_code[old_key]] = new_province_code[new_key]

    for province_key, wards in converter["DICT_PROVINCE_WARD_NO_DIVIDED"].items():
        for ward_key, old_keys in wards.items():
            target = new_code_of.get((province_key, ward_key))
            for old in old_keys:
                _settle(result, old_key_of.get(old), target, ())
    for province_key, olds in converter["DICT_PROVINCE_WARD_DIVIDED"].items():
        for old, parts in olds.items():
            codes = [new_code_of.get((province_key, part["newWardKey"])) for part in parts]
            identity = next(code for code, part in zip(codes, parts, strict=True) if part["isDefaultNewWard"])
            _settle(result, old_key_of.get(old), identity, tuple(c for c in codes if c != identity))
    for code, hints in result.unmapped.items():  # old communes named by the aliases -> where they went
        result.unmapped[code] = tuple(sorted({result.successor[h].code for h in hints if h in result.successor}))
    return result


def _settle(result, old, target, others):
    """Record one old commune's successor; an old commune the joins could not place stays unmapped."""
    if old is None:
        return
    code, how = old
    if target is None or None in others:
        result.unmapped.setdefault(code, ())
        return
    result.successor[code] = Successor(target[0], tuple(o[0] for o in others),
                                       "name" if how == "name" or target[1] == "name" else "code")


def _join_new(rows, result):
    """The dataset's new communes → `vietnam-provinces` codes: same code and name, else unique name in the
    province. Returns {(provinceKey, wardKey): (code, how)}; unplaced communes are left out."""
    official = {}
    by_name = defaultdict(list)
    for province in current_map().provinces.values():
        for ward in province.children:
            official[ward.code] = (province.code, name_key(ward.name))
            by_name[(province.code, name_key(ward.name))].append(ward.code)
    joined, pending, claimed = {}, [], set()
    for province_key, ward_key, province_code, code, name, lat, lon in rows:
        if official.get(code) == (province_code, name_key(name)):
            joined[(province_key, ward_key)] = (code, "code")
            claimed.add(code)
            result.coordinates[code] = (lat, lon)
        else:
            pending.append((province_key, ward_key, province_code, code, name, lat, lon))
    for province_key, ward_key, province_code, code, name, lat, lon in pending:
        candidates = [c for c in by_name[(province_code, name_key(name))] if c not in claimed]
        if len(candidates) == 1:
            joined[(province_key, ward_key)] = (candidates[0], "name")
            claimed.add(candidates[0])
            result.coordinates[candidates[0]] = (lat, lon)
            result.renumbered[candidates[0]] = code
    return joined


def _join_old(rows, result):
    """The dataset's old communes (keyed "province_district_ward") → 0.6 codes: by code, else by name within
    the district. Old communes of 0.6 found neither way go to `result.unmapped`, with suggestions."""
    official, by_name = {}, defaultdict(list)
    for province in pre_reform_map().provinces.values():
        for district in province.children:
            for ward in district.children:
                official[ward.code] = (province.code, district.code, name_key(ward.name))
                by_name[(province.code, district.code, name_key(ward.name))].append(ward.code)
    joined, found = {}, set()
    pending = []
    for province_key, district_key, ward_key, province_code, district_code, code, name, _keywords in rows:
        key = f"{province_key}_{district_key}_{ward_key}"
        if code and code in official and official[code][:2] == (province_code, district_code):
            joined[key] = (code, "code")
            found.add(code)
        elif name:
            pending.append((key, province_code, district_code, name))
    for key, province_code, district_code, name in pending:
        candidates = [c for c in by_name[(province_code, district_code, name_key(name))] if c not in found]
        if len(candidates) == 1:
            joined[key] = (candidates[0], "name")
            found.add(candidates[0])
    for code, (province_code, district_code, key) in official.items():
        if code not in found:
            result.unmapped[code] = _suggestions(rows, province_code, district_code, key)
    return joined


def _suggestions(rows, province_code, district_code, key):
    """Old communes of the same district whose aliases in the dataset name this one (it merged into them before
    2025): a hint for the operator, never applied without an override."""
    hits = []
    for _p, _d, _w, p_code, d_code, code, _name, keywords in rows:
        if p_code == province_code and d_code == district_code and keywords and key in json.loads(keywords):
            hits.append(code)
    return tuple(sorted(hits))
