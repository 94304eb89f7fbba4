"""The CSV upload at its limits, through the page: big files, wrong encodings, formulas.

A file is either imported with a per-row report or refused with a message next to the file
field; never a 500, never a half-import, and in bounded time.
"""

import gzip
import io
import time

import pytest
from sqlalchemy import select

from eventhub.extensions import db
from eventhub.organisations import csv_import
from eventhub.organisations.models import Organisation
from tests.factories import RegistrationFactory
from tests.test_csv_import import counts, csv_text, upload


@pytest.fixture
def en_client(organiser_client):
    with organiser_client.session_transaction() as session:
        session["lang"] = "en"
    return organiser_client


def upload_big(client, data: bytes):
    """The multipart body built in memory: the test client would spool it to a temporary
    file it never closes (a ResourceWarning in a later test)."""
    from werkzeug.datastructures import FileStorage
    from werkzeug.test import encode_multipart

    boundary, body = encode_multipart({"file": FileStorage(io.BytesIO(data), "organisations.csv")})
    return client.post(
        "/organisations/import",
        data=body,
        content_type=f"multipart/form-data; boundary={boundary}",
    )


def rows(count: int) -> list[str]:
    return [
        f"Organización {n},ngo,Maule,Talca,,Contacto {n},Jefa,c{n}@example.org,es"
        for n in range(count)
    ]


@pytest.mark.xdist_group("timed")
def test_fifty_thousand_rows_are_refused_quickly_with_the_limit(en_client, app):
    data = csv_text(*rows(50_000)).encode()
    started = time.perf_counter()
    response = upload_big(en_client, data)
    elapsed = time.perf_counter() - started
    assert response.status_code in (200, 413)
    html = response.get_data(as_text=True)
    if response.status_code == 200:
        assert 'id="file-errors"' in html
        assert f"{csv_import.MAX_ROWS:,}".replace(",", "") in html.replace(",", "").replace(".", "")
    assert elapsed < 10, f"{elapsed:.1f}s to refuse 50,000 rows"
    with app.app_context():
        assert counts() == (0, 0)


@pytest.mark.xdist_group("timed")
def test_the_row_limit_imports_in_bounded_time(en_client, app):
    started = time.perf_counter()
    response = upload(en_client, csv_text(*rows(csv_import.MAX_ROWS)).encode())
    elapsed = time.perf_counter() - started
    assert response.status_code == 200
    assert 'id="import-report"' in response.get_data(as_text=True)
    with app.app_context():
        assert counts() == (csv_import.MAX_ROWS, csv_import.MAX_ROWS)
    assert elapsed < 60, f"{elapsed:.1f}s to import {csv_import.MAX_ROWS} rows"


TEXT = "Municipalidad de Ñuñoa,municipality,,,,Ana Núñez,Jefa,ana@nunoa.example.cl,es"


@pytest.mark.parametrize(
    "data",
    [
        csv_text(TEXT).encode("latin-1"),
        csv_text(TEXT).encode("cp1252"),
        csv_text(TEXT).encode("utf-16"),
        csv_text(TEXT).encode("utf-32"),
        gzip.compress(csv_text(TEXT).encode()),
        b"PK\x03\x04" + bytes(range(256)) * 20,  # an .xlsx renamed .csv
        b"\xef\xbb\xbf\x00\x00\x00",
    ],
    ids=["latin-1", "cp1252", "utf-16", "utf-32", "gzip", "zip", "nul"],
)
def test_wrong_encodings_are_refused_at_the_file_field(en_client, app, data):
    response = upload(en_client, data)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert 'id="file-errors"' in html or "Nothing was imported" in html
    with app.app_context():
        assert counts() == (0, 0)


def test_imported_formulas_are_text_in_every_csv_download(en_client, app):
    formula = '=HYPERLINK("http://evil.example","x")'
    line = f'"{formula.replace(chr(34), chr(34) * 2)}",ngo,,,,"@SUM(A1)",+56,-x@example.org,es'
    response = upload(en_client, csv_text(line).encode())
    assert 'id="import-report"' in response.get_data(as_text=True)
    with app.app_context():
        organisation = db.session.scalars(select(Organisation)).one()
        assert organisation.name == formula
        registration = RegistrationFactory(organisation=organisation, name="@SUM(A1)")
        db.session.commit()
        event_id = registration.event_id
    exported = en_client.get(f"/events/{event_id}/participants.csv").get_data(as_text=True)
    assert "'=HYPERLINK" in exported and "'@SUM(A1)" in exported
    cells = [cell.strip('"') for line in exported.splitlines() for cell in line.split(",")]
    assert not any(cell.startswith(("=", "@", "+", "-")) for cell in cells)
