"""Every user-visible string has a Spanish translation, and the catalogues compile."""

from pathlib import Path

from babel.messages.pofile import read_po

from eventhub import ROOT

CATALOGUES = ROOT / "eventhub" / "translations"


def _catalogue(lang: str):
    with (CATALOGUES / lang / "LC_MESSAGES" / "messages.po").open("rb") as handle:
        return read_po(handle)


def _template_ids() -> set:
    with (CATALOGUES / "messages.pot").open("rb") as handle:
        return {message.id for message in read_po(handle) if message.id}


def test_catalogues_cover_the_template():
    template = _template_ids()
    for lang in ("es", "en"):
        ids = {message.id for message in _catalogue(lang) if message.id}
        assert template <= ids, f"{lang}: run scripts/i18n update ({len(template - ids)} missing)"


def test_every_spanish_message_is_translated():
    untranslated = [
        message.id
        for message in _catalogue("es")
        if message.id
        and (
            not message.string
            or (isinstance(message.string, tuple) and not all(message.string))
            or message.fuzzy
        )
    ]
    assert untranslated == []


def test_template_is_up_to_date_with_the_code(tmp_path):
    from babel.messages.frontend import CommandLineInterface

    out = tmp_path / "messages.pot"
    CommandLineInterface().run(
        [
            "pybabel",
            "--quiet",
            "extract",
            "-F",
            str(ROOT / "babel.cfg"),
            "-k",
            "_l",
            "-k",
            "lazy_gettext",
            "--no-location",
            "--sort-output",
            "-o",
            str(out),
            str(ROOT),
        ]
    )
    with out.open("rb") as handle:
        extracted = {message.id for message in read_po(handle) if message.id}
    missing = extracted - _template_ids()
    assert not missing, f"strings not in the catalogues (run scripts/i18n update): {missing}"


def test_compiled_catalogue_is_used(client):
    assert Path(CATALOGUES / "es" / "LC_MESSAGES" / "messages.mo").exists()
    assert "Iniciar sesión" in client.get("/login").get_data(as_text=True)
