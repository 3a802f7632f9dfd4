"""Regenerate `pre2025.json` (the map before the 2025 reform) from `vietnam-provinces` 0.6.0.

`vietnam-provinces` 0.6 and 2025.10 are one distribution: only one can be installed, and the product pins the
newer one (today's map). The old map's codes and names are therefore kept here, generated from 0.6.0, not
retyped. To check or regenerate it:

    python3 -m venv /tmp/vp06 && /tmp/vp06/bin/pip install vietnam-provinces==0.6.0
    /tmp/vp06/bin/python hierarchy/data/make_pre2025.py > hierarchy/data/pre2025.json

Only what the product uses is kept: every province, district and commune with its official code (as the
package gives it, an integer; the importer pads it) and its name (which carries its kind: "Huyện", "Thị xã",
"Phường"...). The package's `division_type` fields are one value per level in 0.6, so they add nothing.
"""
import json
import sys

import vietnam_provinces


def main():
    if vietnam_provinces.__version__ != "0.6.0":
        sys.exit(f"needs vietnam-provinces 0.6.0, found {vietnam_provinces.__version__}")
    with open(vietnam_provinces.NESTED_DIVISIONS_JSON_PATH, encoding="utf-8") as handle:
        provinces = json.load(handle)
    head = {"source": "vietnam-provinces 0.6.0", "data_version": vietnam_provinces.__data_version__}
    sys.stdout.write(json.dumps(head, ensure_ascii=False)[:-1] + ', "provinces": [\n')
    for index, province in enumerate(provinces):
        compact = {
            "code": province["code"], "name": province["name"],
            "districts": [
                {"code": district["code"], "name": district["name"],
                 "wards": [[ward["code"], ward["name"]] for ward in district["wards"]]}
                for district in province["districts"]
            ],
        }
        separator = ",\n" if index < len(provinces) - 1 else "\n"
        sys.stdout.write(json.dumps(compact, ensure_ascii=False, separators=(",", ":")) + separator)
    sys.stdout.write("]}\n")


if __name__ == "__main__":
    main()
