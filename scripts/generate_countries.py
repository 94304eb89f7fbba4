"""Generate eventhub/questions/data/countries.json from pycountry: run once, commit the output.

The app never imports pycountry: it reads the committed JSON (eventhub/questions/reference.py).
This script is kept so the list can be rebuilt, and so it is known how it was made:

    python3 -m venv /tmp/gen-venv
    /tmp/gen-venv/bin/pip install pycountry        # the file was made with pycountry 26.2.16
    /tmp/gen-venv/bin/python scripts/generate_countries.py

Every ISO 3166-1 country gets its alpha-2 code, an English name and a Spanish name:

- English: pycountry's ``common_name`` where it has one (Bolivia, South Korea, ...), else its
  ``name``; then the overrides below, for the forms that read like an index entry
  ("Congo, The Democratic Republic of the").
- Spanish: the ``iso3166-1`` gettext domain that pycountry ships, applied to the common name
  where it translates, else to the name; then the overrides below, for inverted or official
  forms ("Venezuela, República Bolivariana de"), typos of the catalogue ("Costa de Marfíl") and
  the names used in Chile ("Arabia Saudita").

The output is sorted by code, one object a line, so a regeneration diffs readably.
"""

from __future__ import annotations

import gettext
import json
import sys
from pathlib import Path

import pycountry

OUTPUT = (
    Path(__file__).resolve().parent.parent / "eventhub" / "questions" / "data" / "countries.json"
)

ENGLISH = {
    "BN": "Brunei",
    "CD": "Democratic Republic of the Congo",
    "FM": "Micronesia",
    "PS": "Palestine",
    "RU": "Russia",
    "VA": "Vatican City",
    "VG": "British Virgin Islands",
    "VI": "U.S. Virgin Islands",
}

SPANISH = {
    "AX": "Islas Åland",
    "BF": "Burkina Faso",
    "BM": "Bermudas",
    "BN": "Brunéi",
    "BO": "Bolivia",
    "BQ": "Bonaire, San Eustaquio y Saba",
    "CD": "República Democrática del Congo",
    "CI": "Costa de Marfil",
    "DZ": "Argelia",
    "FK": "Islas Malvinas",
    "FM": "Micronesia",
    "IR": "Irán",
    "KM": "Comoras",
    "KP": "Corea del Norte",
    "KR": "Corea del Sur",
    "LA": "Laos",
    "MD": "Moldavia",
    "MF": "San Martín (parte francesa)",
    "NE": "Níger",
    "PS": "Palestina",
    "RU": "Rusia",
    "SA": "Arabia Saudita",
    "SR": "Surinam",
    "SX": "San Martín (parte neerlandesa)",
    "SY": "Siria",
    "TN": "Túnez",
    "TW": "Taiwán",
    "TZ": "Tanzania",
    "VA": "Ciudad del Vaticano",
    "VE": "Venezuela",
    "VG": "Islas Vírgenes Británicas",
    "VI": "Islas Vírgenes de los Estados Unidos",
    "VN": "Vietnam",
}

# Names that must read naturally in Spanish: checked on every run, so a new pycountry
# release that changes one fails here rather than in the file.
EXPECTED_SPANISH = {
    "AR": "Argentina",
    "BO": "Bolivia",
    "CL": "Chile",
    "CN": "China",
    "CO": "Colombia",
    "CU": "Cuba",
    "DO": "República Dominicana",
    "EC": "Ecuador",
    "HT": "Haití",
    "KR": "Corea del Sur",
    "PE": "Perú",
    "VE": "Venezuela",
}


def translate(spanish: gettext.NullTranslations, *names: str | None) -> str:
    """The first of the names that the catalogue translates, else the last name given."""
    given = [name for name in names if name]
    for name in given:
        translated = spanish.gettext(name)
        if translated != name:
            return translated
    return given[-1]


def build() -> list[dict[str, str]]:
    spanish = gettext.translation("iso3166-1", pycountry.LOCALES_DIR, languages=["es"])
    rows = []
    for country in pycountry.countries:
        code = country.alpha_2
        common = getattr(country, "common_name", None)
        english = ENGLISH.get(code, common or country.name)
        es = SPANISH.get(code) or translate(spanish, common, country.name)
        rows.append({"code": code, "es": es, "en": english})
    rows.sort(key=lambda row: row["code"])
    by_code = {row["code"]: row for row in rows}
    for code, name in EXPECTED_SPANISH.items():
        if by_code[code]["es"] != name:
            raise SystemExit(f"{code}: expected {name!r}, got {by_code[code]['es']!r}")
    for language in ("es", "en"):
        names = [row[language] for row in rows]
        if len(set(names)) != len(names):
            raise SystemExit(f"duplicate names in {language}")
    return rows


def main() -> int:
    rows = build()
    lines = ",\n".join(json.dumps(row, ensure_ascii=False) for row in rows)
    OUTPUT.parent.mkdir(parents=True, exist_ok=True)
    OUTPUT.write_text(f"[\n{lines}\n]\n", encoding="utf-8")
    print(f"{len(rows)} countries written to {OUTPUT}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
