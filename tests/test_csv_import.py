"""The CSV import of organisations and contacts: service rules, then the upload page."""

import io
from pathlib import Path

import pytest
from flask_babel import force_locale
from sqlalchemy import func, select

from eventhub import csv_export
from eventhub.extensions import db
from eventhub.organisations import csv_import
from eventhub.organisations.csv_import import ImportRefused, import_csv
from eventhub.organisations.models import Contact, Organisation
from tests.factories import ContactFactory, OrganisationFactory

HEADER = (
    "organisation,kind,region,commune,website,"
    "contact_name,contact_role,contact_email,contact_language"
)
SAMPLE = Path(__file__).parent / "data" / "organisations.csv"


@pytest.fixture
def ctx(app):
    """An app context with English messages, which these tests read."""
    with app.app_context(), force_locale("en"):
        yield


def csv_text(*rows: str, header: str = HEADER) -> str:
    return "\n".join([header, *rows]) + "\n"


def counts() -> tuple[int, int]:
    return (
        db.session.scalar(select(func.count(Organisation.id))),
        db.session.scalar(select(func.count(Contact.id))),
    )


def statuses(report) -> list[str]:
    return [("rejected" if row.rejected else row.status.value) for row in report.rows]


def organisation(name: str) -> Organisation:
    return db.session.scalar(select(Organisation).where(Organisation.name == name))


TALCA = "Municipalidad de Talca,Municipalidad,Maule,Talca,https://www.talca.cl,{contact}"
ANA = "Ana Pérez,Jefa de la Oficina de Migrantes,ana@talca.example.cl,es"
BRUNO = "Bruno Díaz,Encargado,bruno@talca.example.cl,en"


# --- happy path -----------------------------------------------------------------------------


def test_import_adds_then_unchanged_then_updated(ctx):
    text = csv_text(
        TALCA.format(contact=ANA),
        TALCA.format(contact=BRUNO),
        "Universidad de Talca,Universidad,Maule,Talca,,,,,",
    )
    report = import_csv(text.encode())
    db.session.commit()
    assert report.ok and report.applied
    assert statuses(report) == ["added", "added", "added"]
    assert [row.line for row in report.rows] == [2, 3, 4]
    assert (report.organisations.added, report.contacts.added) == (2, 2)
    assert counts() == (2, 2)
    talca = organisation("Municipalidad de Talca")
    assert talca.kind == "municipality"
    assert talca.region == "Maule"
    assert {c.email: c.language for c in talca.contacts} == {
        "ana@talca.example.cl": "es",
        "bruno@talca.example.cl": "en",
    }

    again = import_csv(text.encode())
    db.session.commit()
    assert statuses(again) == ["unchanged", "unchanged", "unchanged"]
    assert (again.organisations.unchanged, again.contacts.unchanged) == (2, 2)
    assert again.organisations.added == again.contacts.added == 0
    assert counts() == (2, 2)

    changed = csv_text(
        TALCA.format(contact=ANA.replace("Jefa de la Oficina", "Directora de la Oficina")),
        TALCA.format(contact=BRUNO),
    )
    third = import_csv(changed.encode())
    db.session.commit()
    assert statuses(third) == ["updated", "unchanged"]
    assert (third.contacts.updated, third.contacts.unchanged) == (1, 1)
    assert third.organisations.unchanged == 1
    ana = db.session.scalar(select(Contact).where(Contact.email == "ana@talca.example.cl"))
    assert ana.role == "Directora de la Oficina de Migrantes"
    assert counts() == (2, 2)


def test_sample_file_imports(ctx):
    report = import_csv(SAMPLE.read_bytes())
    db.session.commit()
    assert report.ok
    assert report.organisations.added == 4
    assert report.contacts.added == 4
    assert organisation("Municipalidad de Ñuñoa").region == "Metropolitana de Santiago"


def test_existing_organisation_matched_by_name_ignoring_case_and_spaces(ctx):
    existing = OrganisationFactory(name="Municipalidad de Ñuñoa", kind="municipality")
    ContactFactory(organisation=existing, email="Carla@Nunoa.example.cl", name="Carla")
    db.session.commit()
    text = csv_text(
        "  MUNICIPALIDAD DE ñuñoa ,,,,,Carla,Jefa,carla@nunoa.example.cl,",
        "municipalidad de ñuñoa,,,,,Pedro,,pedro@nunoa.example.cl,",
    )
    report = import_csv(text)
    db.session.commit()
    assert report.ok, report.rejected
    assert statuses(report) == ["updated", "added"]
    assert report.organisations.unchanged == 1
    assert counts() == (1, 2)
    assert existing.name == "Municipalidad de Ñuñoa"
    assert {c.role for c in existing.contacts} == {"Jefa", None}


def test_empty_cells_leave_existing_values(ctx):
    existing = OrganisationFactory(name="ONG Uno", kind="ngo", region="Maule", commune="Talca")
    db.session.commit()
    report = import_csv(csv_text("ONG Uno,,,,,,,,"))
    db.session.commit()
    assert statuses(report) == ["unchanged"]
    assert (existing.kind, existing.region, existing.commune) == ("ngo", "Maule", "Talca")


# --- what the file may look like --------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "expected"),
    [
        ("Municipalidad", "municipality"),
        ("MUNICIPALIDAD", "municipality"),
        ("Municipality", "municipality"),
        ("municipality", "municipality"),
        ("ONG", "ngo"),
        ("Universidad", "university"),
        ("Organización internacional", "international_organisation"),
        ("organizacion INTERNACIONAL", "international_organisation"),
        ("Asociación gremial", "business_association"),
        ("Embajada", "embassy"),
        ("Empresa", "company"),
        ("Government agency", "government_agency"),
        ("government_agency", "government_agency"),
    ],
)
def test_kind_accepts_values_and_spanish_or_english_labels(ctx, kind, expected):
    report = import_csv(csv_text(f"Org,{kind},,,,,,,"))
    db.session.commit()
    assert report.ok, report.rejected
    assert organisation("Org").kind == expected


def test_unknown_kind_rejected(ctx):
    report = import_csv(csv_text("Org,Club de fútbol,,,,,,,"))
    assert not report.ok
    assert "Club de fútbol" in report.rows[0].errors[0]
    assert counts() == (0, 0)


def test_semicolon_delimiter(ctx):
    text = (
        HEADER.replace(",", ";")
        + "\n"
        + "Municipalidad de Talca;Municipalidad;Maule;Talca;;Ana, la jefa;Jefa;ana@talca.cl;es\n"
    )
    report = import_csv(text.encode())
    db.session.commit()
    assert report.ok, report.rejected
    contact = db.session.scalar(select(Contact))
    assert contact.name == "Ana, la jefa"
    assert contact.organisation.name == "Municipalidad de Talca"


def test_byte_order_mark_and_crlf_accepted(ctx):
    text = csv_text(TALCA.format(contact=ANA)).replace("\n", "\r\n")
    report = import_csv("\ufeff".encode() + text.encode())
    db.session.commit()
    assert report.ok, report.rejected
    assert organisation("Municipalidad de Talca") is not None


def test_columns_in_any_order_and_optional_columns_absent(ctx):
    text = "contact_email,organisation,contact_name,kind\nana@talca.cl,Muni,Ana,municipality\n"
    report = import_csv(text)
    db.session.commit()
    assert report.ok, report.rejected
    assert counts() == (1, 1)


def test_latin1_bytes_refused(ctx):
    text = csv_text(TALCA.format(contact=ANA))
    with pytest.raises(ImportRefused) as refused:
        import_csv(text.encode("latin-1"))
    assert "CSV UTF-8" in refused.value.message
    assert refused.value.field == "file"
    assert counts() == (0, 0)


def test_wrong_columns_refused_naming_them(ctx):
    header = "organisation,kind,region,contact_name,contact_phone,Notas"
    with pytest.raises(ImportRefused) as refused:
        import_csv(csv_text("Org,ngo,,Ana,123,x", header=header))
    message = refused.value.message
    assert "contact_email" in message  # missing
    assert "contact_phone" in message and "notas" in message  # unknown
    assert counts() == (0, 0)


def test_repeated_column_refused(ctx):
    header = HEADER + ",kind"
    with pytest.raises(ImportRefused) as refused:
        import_csv(csv_text("Org,ngo,,,,,,,,ngo", header=header))
    assert "kind" in refused.value.message


@pytest.mark.parametrize("data", [b"", b"   \n\n", "\ufeff".encode()])
def test_empty_file_refused(ctx, data):
    with pytest.raises(ImportRefused):
        import_csv(data)


def test_header_only_refused(ctx):
    with pytest.raises(ImportRefused):
        import_csv(csv_text())


def test_too_many_rows_refused(ctx):
    rows = [f"Org {n},ngo,,,,,,," for n in range(csv_import.MAX_ROWS + 1)]
    with pytest.raises(ImportRefused) as refused:
        import_csv(csv_text(*rows))
    assert str(csv_import.MAX_ROWS) in refused.value.message
    assert counts() == (0, 0)


def test_exactly_the_row_limit_is_accepted_by_the_check(ctx):
    rows = [f"Org {n},ngo,,,,,,," for n in range(csv_import.MAX_ROWS)]
    report = import_csv(csv_text(*rows), dry_run=True)
    assert report.ok and not report.applied
    assert counts() == (0, 0)


# --- rejected rows: nothing is written ---------------------------------------------------------


@pytest.fixture
def existing_directory(ctx):
    organisation = OrganisationFactory(name="Municipalidad de Talca", kind="municipality")
    ContactFactory(organisation=organisation, email="ana@talca.example.cl", role="Jefa")
    db.session.commit()
    return counts()


def test_duplicate_rows_rejected_and_nothing_written(existing_directory):
    text = csv_text(
        "Municipalidad de Linares,Municipalidad,Maule,Linares,,Eva,,eva@linares.cl,es",
        TALCA.format(contact=BRUNO),
        "municipalidad de talca,,,,,Bruno Díaz,Otro rol,BRUNO@talca.example.cl,",
    )
    report = import_csv(text.encode())
    assert not report.ok and not report.applied
    assert [row.line for row in report.rejected] == [4]
    assert "line 3" in report.rejected[0].errors[0]
    db.session.commit()
    assert counts() == existing_directory
    assert organisation("Municipalidad de Linares") is None


def test_bad_email_rejected_and_nothing_written(existing_directory):
    text = csv_text(
        "Municipalidad de Linares,Municipalidad,Maule,Linares,,Eva,,eva@linares.cl,es",
        TALCA.format(contact="Bruno,Encargado,bruno(at)talca.cl,es"),
    )
    report = import_csv(text.encode())
    assert not report.ok
    assert [row.line for row in report.rejected] == [3]
    assert "bruno(at)talca.cl" in report.rejected[0].errors[0]
    db.session.commit()
    assert counts() == existing_directory


@pytest.mark.parametrize(
    ("row", "fragment"),
    [
        ("Nueva Org,,,,,,,,", "kind"),
        ("Org,ngo,,,,Ana,,,", "email"),
        ("Org,ngo,,,,,,ana@org.cl,", "name"),
        ("Org,ngo,,,,Ana,,ana@org.cl,fr", "fr"),
        ("Org,ngo,,,not a site,,,,", "not a site"),
        (f"{'x' * 201},ngo,,,,,,,", "200"),
        (f"Org,ngo,,,,Ana,{'r' * 161},ana@org.cl,", "160"),
        ("Org,ngo,,,,,,,,extra", "cells"),
    ],
)
def test_invalid_rows_rejected(ctx, row, fragment):
    report = import_csv(csv_text(row))
    assert not report.ok
    assert fragment in " ".join(report.rows[0].errors)
    assert counts() == (0, 0)


def test_conflicting_organisation_values_rejected(ctx):
    report = import_csv(
        csv_text(
            "Org,ngo,Maule,,,Ana,,ana@org.cl,",
            "Org,university,Maule,,,Bea,,bea@org.cl,",
        )
    )
    assert [row.line for row in report.rejected] == [3]
    assert "line 2" in report.rejected[0].errors[0]


def test_line_numbers_count_blank_lines_and_multiline_cells(ctx):
    text = (
        HEADER
        + "\n\n"
        + 'Org,ngo,,,,Ana,"Jefa\nde oficina",ana@org.cl,\n'
        + "Org,ngo,,,,Bea,,bad-email,\n"
    )
    report = import_csv(text)
    assert [row.line for row in report.rows] == [3, 5]
    assert report.rejected[0].line == 5


def test_control_characters_and_line_breaks_removed(ctx):
    report = import_csv(csv_text('"Muni\x00 del\r\nSur",ngo,,,,Ana,"Jefa\nde oficina",a@sur.cl,'))
    db.session.commit()
    assert report.ok, report.rejected
    assert organisation("Muni del Sur").contacts[0].role == "Jefa de oficina"


def test_formula_looking_cells_stored_as_text(ctx):
    text = csv_text(
        '"=HYPERLINK(""http://evil.example"",""x"")",ngo,,,,@SUM(A1),+56 9 1234,-cmd@example.org,',
    )
    report = import_csv(text)
    db.session.commit()
    assert report.ok, report.rejected
    stored = db.session.scalar(select(Organisation))
    assert stored.name == '=HYPERLINK("http://evil.example","x")'
    contact = stored.contacts[0]
    assert (contact.name, contact.role, contact.email) == (
        "@SUM(A1)",
        "+56 9 1234",
        "-cmd@example.org",
    )


def test_cells_trimmed_and_region_normalised(ctx):
    report = import_csv(
        csv_text(
            "  Muni  ,  municipalidad , región del biobio ,  Lota ,www.lota.cl,"
            " Ana ,,ANA@Lota.cl ,ES"
        )
    )
    db.session.commit()
    assert report.ok, report.rejected
    stored = organisation("Muni")
    assert (stored.region, stored.commune, stored.website) == (
        "Biobío",
        "Lota",
        "https://www.lota.cl",
    )
    assert stored.contacts[0].email == "ana@lota.cl"
    assert stored.contacts[0].language == "es"


def test_template_csv_is_importable(ctx):
    template = csv_export.csv_text(csv_import.COLUMNS, csv_import.TEMPLATE_ROWS)
    assert template.startswith("\ufeff" + HEADER)
    report = import_csv(template.encode(), dry_run=True)
    assert report.ok


SPANISH_HEADER = (
    "Organización;Tipo;Región;Comuna;Sitio web;"
    "Nombre del contacto;Cargo del contacto;Correo del contacto;Idioma del contacto"
)


def test_spanish_headers_and_values_are_read(ctx):
    text = csv_text(
        "Municipalidad de Talca;Municipalidad;Maule;Talca;;Ana Pérez;Jefa;ana@talca.cl;Español",
        "ONG Puentes;Organización no gubernamental;;;;Luis;;luis@puentes.cl;inglés",
        header=SPANISH_HEADER,
    )
    report = import_csv(text)
    assert report.applied, [row.errors for row in report.rows]
    talca = db.session.scalar(select(Organisation).where(Organisation.name.like("%Talca")))
    assert (talca.kind, talca.region, talca.commune) == ("municipality", "Maule", "Talca")
    languages = {c.email: c.language for c in db.session.scalars(select(Contact))}
    assert languages == {"ana@talca.cl": "es", "luis@puentes.cl": "en"}


def test_common_spanish_headings_are_aliases(ctx):
    header = "municipalidad,tipo,region,nombre,cargo,correo electrónico,idioma"
    report = import_csv(
        csv_text("Municipalidad de Renca,municipio,,Eva,,eva@renca.cl,es", header=header)
    )
    assert report.applied, [row.errors for row in report.rows]
    assert counts() == (1, 1)


def test_missing_columns_are_named_in_both_languages(app):
    with app.app_context(), force_locale("es"), pytest.raises(ImportRefused) as refused:
        import_csv(csv_text("Org", header="organización"))
    assert "correo del contacto (contact_email)" in refused.value.message
    assert "tipo (kind)" in refused.value.message


def test_the_spanish_template_is_importable(ctx):
    header, rows = csv_import.template(spanish=True)
    assert header[0] == "organización" and header[-1] == "idioma del contacto"
    assert import_csv(csv_export.csv_text(header, rows).encode(), dry_run=True).ok


# --- the upload page ---------------------------------------------------------------------------


def upload(client, data: bytes, filename: str = "organisations.csv"):
    return client.post(
        "/organisations/import",
        data={"file": (io.BytesIO(data), filename)},
        content_type="multipart/form-data",
    )


@pytest.fixture
def en_client(organiser_client):
    with organiser_client.session_transaction() as session:
        session["lang"] = "en"
    return organiser_client


def test_import_page_and_template(en_client):
    page = en_client.get("/organisations/import")
    assert page.status_code == 200
    assert b'enctype="multipart/form-data"' in page.data
    assert b"/organisations/import/template.csv" in page.data
    template = en_client.get("/organisations/import/template.csv")
    assert template.status_code == 200
    assert template.mimetype == "text/csv"
    assert "attachment" in template.headers["Content-Disposition"]
    assert template.data.decode("utf-8-sig").startswith(HEADER)
    assert "organisations-template.csv" in template.headers["Content-Disposition"]


def test_the_template_and_the_columns_in_spanish(organiser_client):
    page = organiser_client.get("/organisations/import").get_data(as_text=True)
    columns = page.split('id="import-columns"')[1].split("</table>")[0]
    assert "<code>correo del contacto</code>" in columns and "<code>contact_email</code>" in columns
    kinds = page.split('id="import-kinds"')[1].split("</table>")[0]
    assert "<code>Municipalidad</code>" in kinds
    template = organiser_client.get("/organisations/import/template.csv")
    assert "plantilla-organizaciones.csv" in template.headers["Content-Disposition"]
    text = template.data.decode("utf-8-sig")
    assert text.startswith("organización,tipo,región,comuna,sitio web,nombre del contacto")
    assert "Jefa de la Oficina de Migrantes" in text


def test_upload_imports_and_reports(en_client, app):
    response = upload(en_client, SAMPLE.read_bytes())
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert 'id="import-report"' in html
    assert html.count('data-status="added"') == 5
    with app.app_context():
        assert counts() == (4, 4)
    again = upload(en_client, SAMPLE.read_bytes()).get_data(as_text=True)
    assert again.count('data-status="unchanged"') == 5


def test_upload_with_rejected_rows_writes_nothing(en_client, app):
    data = csv_text(TALCA.format(contact=ANA), TALCA.format(contact=ANA)).encode()
    response = upload(en_client, data)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "Nothing was imported; fix these rows and upload again." in html
    assert 'id="line-3" class="row-rejected"' in html
    assert 'href="#line-3"' in html
    with app.app_context():
        assert counts() == (0, 0)


def test_upload_refused_file_shows_field_error(en_client, app):
    response = upload(en_client, "organisation;kind\nÑuñoa;ong\n".encode("latin-1"))
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert 'id="file-errors"' in html
    assert "CSV UTF-8" in html
    assert 'id="import-report"' not in html


@pytest.mark.parametrize(("data", "filename"), [(b"organisation,kind\n", "orgs.xlsx"), (b"", "")])
def test_upload_needs_a_csv_file(en_client, data, filename):
    response = upload(en_client, data, filename)
    assert response.status_code == 200
    assert 'id="file-errors"' in response.get_data(as_text=True)


def test_import_needs_sign_in(client):
    for response in (client.get("/organisations/import"), upload(client, b"x")):
        assert response.status_code == 302
        assert "/login" in response.headers["Location"]
