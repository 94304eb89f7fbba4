"""eventhub/questions/reference.py: countries, Chilean regions and comunas, RUT and phone."""

import pytest

from eventhub.questions import reference
from eventhub.questions.reference import (
    collation_key,
    comuna_name,
    comuna_region,
    comunas_by_region,
    countries,
    country_name,
    format_rut,
    is_comuna,
    is_country,
    normalise_phone,
    normalise_rut,
    regions,
    rut_check_digit,
)

# Countries ----------------------------------------------------------------------------------


def test_every_iso_country_is_there_once_with_both_names():
    for language in ("es", "en"):
        listed = countries(language)
        assert len(listed) >= 249
        codes = [code for code, _ in listed]
        names = [name for _, name in listed]
        assert len(set(codes)) == len(codes)
        assert len(set(names)) == len(names)
        assert all(len(code) == 2 and code.isascii() and code.isupper() for code in codes)
        assert all(name.strip() == name and name for name in names)


def test_both_languages_list_the_same_codes():
    assert {code for code, _ in countries("es")} == {code for code, _ in countries("en")}


@pytest.mark.parametrize(
    ("code", "spanish", "english"),
    [
        ("CL", "Chile", "Chile"),
        ("HT", "Haití", "Haiti"),
        ("VE", "Venezuela", "Venezuela"),
        ("PE", "Perú", "Peru"),
        ("CO", "Colombia", "Colombia"),
        ("BO", "Bolivia", "Bolivia"),
        ("AR", "Argentina", "Argentina"),
        ("CU", "Cuba", "Cuba"),
        ("DO", "República Dominicana", "Dominican Republic"),
        ("EC", "Ecuador", "Ecuador"),
        ("CN", "China", "China"),
        ("KR", "Corea del Sur", "South Korea"),
        ("DE", "Alemania", "Germany"),
        ("US", "Estados Unidos", "United States"),
    ],
)
def test_countries_have_their_common_names(code, spanish, english):
    assert country_name(code, "es") == spanish
    assert country_name(code, "en") == english


def test_no_name_is_an_inverted_index_entry():
    # "Venezuela, República Bolivariana de" is pycountry's form, not one for a select.
    for language in ("es", "en"):
        inverted = [name for _, name in countries(language) if ", " in name]
        assert inverted == [] or all(" y " in name or " and " in name for name in inverted)


def test_country_name_and_is_country():
    assert country_name("XX", "es") is None
    assert country_name("", "en") is None
    assert is_country("CL")
    assert not is_country("XX")
    assert not is_country("cl")  # codes are matched exactly, as the options carry them
    assert not is_country("")


def test_a_regional_or_unknown_language_falls_back():
    assert country_name("DE", "es_CL") == "Alemania"
    assert country_name("DE", "en-GB") == "Germany"
    assert country_name("DE", "fr") == "Alemania"  # Spanish, the app's default
    assert countries("es_CL") == countries("es")


def _position(listed, name):
    return [listed_name for _, listed_name in listed].index(name)


def test_spanish_sorts_with_accents_folded():
    spanish = countries("es")
    assert _position(spanish, "Islandia") < _position(spanish, "Italia")
    # Plain code-point order would put "Bélgica" after "Belice" (é > l).
    assert _position(spanish, "Bélgica") < _position(spanish, "Belice")
    assert _position(spanish, "Perú") < _position(spanish, "Pitcairn")
    assert _position(spanish, "Emiratos Árabes Unidos") < _position(spanish, "Eritrea")
    names = [name for _, name in spanish]
    assert names == sorted(names, key=collation_key)


def test_english_sorts_with_accents_folded():
    english = countries("en")
    # "Åland Islands" is among the As, not after "Zimbabwe".
    assert _position(english, "Åland Islands") < _position(english, "Albania")
    assert english[-1][1] == "Zimbabwe"


def test_collation_key_folds_accents_and_case():
    assert sorted(["Austria", "Árabe"], key=collation_key) == ["Árabe", "Austria"]
    assert collation_key("Ñuñoa") == collation_key("nunoa")
    assert collation_key("ÉSTE") == collation_key("este")


def test_countries_are_cached_and_callers_cannot_spoil_the_cache():
    first = countries("es")
    first.clear()
    assert len(countries("es")) >= 249
    assert reference._sorted_countries("es") is reference._sorted_countries("es")


# Chile --------------------------------------------------------------------------------------


def test_sixteen_regions_in_the_official_order():
    codes = [code for code, _ in regions()]
    assert codes == [
        "15", "01", "02", "03", "04", "05", "13", "06",
        "07", "16", "08", "09", "14", "10", "11", "12",
    ]  # fmt: skip
    names = dict(regions())
    assert names["13"] == "Región Metropolitana de Santiago"
    assert names["16"] == "Región de Ñuble"
    assert names["08"] == "Región del Biobío"
    assert names["15"] == "Región de Arica y Parinacota"
    assert names["14"] == "Región de Los Ríos"


def test_346_comunas_with_unique_codes_each_under_its_region():
    groups = comunas_by_region()
    assert [name for name, _ in groups] == [name for _, name in regions()]
    region_codes = [code for code, _ in regions()]
    all_codes = []
    for region_code, (_, comunas) in zip(region_codes, groups, strict=True):
        assert comunas
        for code, name in comunas:
            assert len(code) == 5 and code.isdigit()
            assert code.startswith(region_code)
            assert comuna_region(code) == region_code
            assert comuna_name(code) == name
        all_codes.extend(code for code, _ in comunas)
    assert len(all_codes) == 346
    assert len(set(all_codes)) == 346


def test_comuna_names_are_unique():
    names = [name for _, comunas in comunas_by_region() for _, name in comunas]
    assert len(set(names)) == len(names)


def test_comunas_per_region():
    counts = {name: len(comunas) for name, comunas in comunas_by_region()}
    by_code = {code: counts[name] for code, name in regions()}
    assert by_code == {
        "15": 4, "01": 7, "02": 9, "03": 9, "04": 15, "05": 38, "13": 52, "06": 33,
        "07": 30, "16": 21, "08": 33, "09": 32, "14": 12, "10": 30, "11": 10, "12": 11,
    }  # fmt: skip


@pytest.mark.parametrize(
    ("code", "name", "region"),
    [
        ("13101", "Santiago", "13"),
        ("13108", "Independencia", "13"),
        ("13127", "Recoleta", "13"),
        ("13106", "Estación Central", "13"),
        ("13125", "Quilicura", "13"),
        ("02101", "Antofagasta", "02"),
        ("15101", "Arica", "15"),
        ("01101", "Iquique", "01"),
        ("01107", "Alto Hospicio", "01"),
        ("02201", "Calama", "02"),
        ("05101", "Valparaíso", "05"),
        ("05109", "Viña del Mar", "05"),
        ("09101", "Temuco", "09"),
        ("08101", "Concepción", "08"),
        ("16101", "Chillán", "16"),
        ("12202", "Antártica", "12"),
        ("14101", "Valdivia", "14"),
    ],
)
def test_the_newsletters_comunas(code, name, region):
    assert comuna_name(code) == name
    assert comuna_region(code) == region
    assert is_comuna(code)


def test_unknown_comunas():
    for code in ("", "13", "13100", "08401", "1310", "131011", "santiago"):
        assert not is_comuna(code)
        assert comuna_name(code) is None
        assert comuna_region(code) is None


def test_comunas_are_alphabetical_within_their_region_accents_folded():
    for _, comunas in comunas_by_region():
        names = [name for _, name in comunas]
        assert names == sorted(names, key=collation_key)
    metropolitana = dict(comunas_by_region())["Región Metropolitana de Santiago"]
    names = [name for _, name in metropolitana]
    # "Ñuñoa" sorts among the Ns, not after "Vitacura".
    assert names.index("Ñuñoa") < names.index("Padre Hurtado")
    assert names[0] == "Alhué"
    assert names[-1] == "Vitacura"


# RUT ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "check"),
    [("11111111", "1"), ("76086428", "5"), ("5126663", "3"), ("10000013", "K"), ("12345678", "5")],
)
def test_check_digit(body, check):
    assert rut_check_digit(body) == check


def test_check_digits_by_hand():
    # Digits from the right times 2, 3, 4, 5, 6, 7, 2, ...; 11 - (sum mod 11), 11 → "0", 10 → "K".
    # 1000002: 2*2 + 1*2 = 6, 11 - 6 = 5.
    assert rut_check_digit("1000002") == "5"
    # 1000013: 3*2 + 1*3 + 1*2 = 11, 11 - 0 = 11 → "0".
    assert rut_check_digit("1000013") == "0"
    assert normalise_rut("1.000.013-0") == "1000013-0"
    # 1000005: 5*2 + 1*2 = 12, 11 - 1 = 10 → "K".
    assert rut_check_digit("1000005") == "K"


@pytest.mark.parametrize(
    ("text", "canonical"),
    [
        ("11.111.111-1", "11111111-1"),
        ("11111111-1", "11111111-1"),
        ("111111111", "11111111-1"),
        ("76.086.428-5", "76086428-5"),
        ("5.126.663-3", "5126663-3"),
        ("5126663-3", "5126663-3"),
        ("10.000.013-K", "10000013-K"),
        ("10.000.013-k", "10000013-K"),
        ("10000013k", "10000013-K"),
        ("  12.345.678 - 5 ", "12345678-5"),
        ("12 345 678-5", "12345678-5"),
        ("12.345.678-5", "12345678-5"),
        ("012.345.678-5", "12345678-5"),
        ("999.999-K", "999999-K"),
    ],
)
def test_valid_ruts(text, canonical):
    assert normalise_rut(text) == canonical


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        "-",
        "12.345.678-4",  # wrong check digit
        "11.111.111-2",
        "10.000.013-0",
        "76.086.428-K",
        "1234.567-8",  # dots misplaced
        "1.2345.678-5",
        "12,345,678-5",
        "12.345.678--5",
        "12345678-",
        "-5",
        "12.345.678-X",
        "1-9",  # check digit right, body too short (6 to 8 digits)
        "99999-5",
        "123.456.789-2",  # body of 9 digits
        "abc",
        "١٢٣٤٥٦٧٨-5",  # Arabic-Indic digits are no RUT
    ],
)
def test_invalid_ruts(text):
    assert normalise_rut(text) is None


def test_format_rut():
    assert format_rut("12345678-5") == "12.345.678-5"
    assert format_rut("10000013-K") == "10.000.013-K"
    assert format_rut("5126663-3") == "5.126.663-3"
    assert format_rut("999999-K") == "999.999-K"
    assert format_rut(format_rut("76086428-5")) == "76.086.428-5"
    with pytest.raises(ValueError, match="not a valid RUT"):
        format_rut("12345678-4")


# Phone --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "kept"),
    [
        ("+56 9 1234 5678", "+56 9 1234 5678"),
        ("+56912345678", "+56912345678"),
        ("  +56   9  1234\t5678 ", "+56 9 1234 5678"),
        ("(2) 2345-6789", "(2) 2345-6789"),
        ("22345678", "22345678"),
        ("+1 (212) 555-0100", "+1 (212) 555-0100"),
        ("123456789012345", "123456789012345"),
        ("9\u00a01234\u00a05678", "9 1234 5678"),
    ],
)
def test_valid_phones(text, kept):
    assert normalise_phone(text) == kept


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        "1234567",  # 7 digits
        "1234567890123456",  # 16 digits
        "56+912345678",  # "+" only in front
        "++56912345678",
        "+56 9 1234 5678 ext 2",
        "+56.9.1234.5678",
        "phone: 22345678",
        "+-()-- --",
        "٢٢٣٤٥٦٧٨",
    ],
)
def test_invalid_phones(text):
    assert normalise_phone(text) is None
