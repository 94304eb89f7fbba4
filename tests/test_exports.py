"""Downloads people open in Excel: ISO dates in the CSV, real date cells in the XLSX.

The XLSX files are read back with openpyxl, as Excel would see them: the cell types, the
wall-clock values in the event's zone, the frozen and filtered header and "=cmd" kept as text.
"""

import csv
import io
import tracemalloc
from datetime import UTC, date, datetime, time, timedelta

import openpyxl
import pytest

from eventhub import tokens
from eventhub.agenda.models import AgendaItem
from eventhub.auth.models import User
from eventhub.events.models import Event
from eventhub.extensions import db
from eventhub.followup.models import Commitment
from eventhub.invitations import services as invitation_services
from eventhub.registrations.models import Registration
from tests.factories import EventFactory, OrganisationFactory, ProgrammeFactory, RegistrationFactory

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# 1 December 2026, 07:25 UTC is 04:25 in Santiago (summer time, −03).
REGISTERED = datetime(2026, 12, 1, 7, 25, tzinfo=UTC)
ARRIVED = datetime(2026, 12, 15, 12, 5, tzinfo=UTC)
START = datetime(2026, 12, 15, 12, 0, tzinfo=UTC)  # 09:00 in Santiago
EVIL = '=HYPERLINK("http://evil.example","x")'


@pytest.fixture
def event(app, organiser_client):
    """A published open event in Santiago with two participants, one with a formula for a name."""
    with app.app_context():
        programme = ProgrammeFactory(name="Migrantes y Ciudades")
        event = EventFactory(
            title="Mesa de Lo Prado",
            published=True,
            registration_mode="open",
            starts_at=START,
            ends_at=START + timedelta(hours=3),
            programme=programme,
        )
        RegistrationFactory(
            event=event, name=EVIL, email="e@x.org", created_at=REGISTERED, checked_in_at=ARRIVED
        )
        RegistrationFactory(
            event=event,
            name="José Núñez Ñandú",
            email="jose@example.org",
            organisation_name="Municipalidad de Peñalolén",
            created_at=REGISTERED + timedelta(days=1),
        )
        db.session.commit()
        return {"id": event.id, "programme": programme.id}


def workbook(response):
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    assert response.mimetype == XLSX
    return openpyxl.load_workbook(io.BytesIO(response.data))


def assert_spreadsheet_shape(sheet, columns: int, rows: int):
    """The header is frozen, filtered over every row, in bold."""
    assert sheet.freeze_panes == "A2"
    last = openpyxl.utils.get_column_letter(columns)
    assert sheet.auto_filter.ref == f"A1:{last}{rows + 1}"
    assert sheet.max_column == columns and sheet.max_row == rows + 1
    assert all(cell.font.b for cell in sheet[1])


def by_first_column(sheet) -> dict:
    return {row[1].value: row for row in sheet.iter_rows(min_row=2)}


def test_participants_csv_has_iso_dates_in_the_event_zone(organiser_client, event):
    response = organiser_client.get(f"/events/{event['id']}/participants.csv")
    assert response.data.startswith(b"\xef\xbb\xbf")
    _header, *body = list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"))))
    rows = {row[1]: row for row in body}
    assert rows["e@x.org"][0] == "'" + EVIL
    assert rows["e@x.org"][7] == "2026-12-01T04:25-03:00"
    assert rows["e@x.org"][8] == "2026-12-15T09:05-03:00"
    assert rows["jose@example.org"][7] == "2026-12-02T04:25-03:00"
    assert rows["jose@example.org"][8] == ""


def test_participants_xlsx_has_date_cells_a_frozen_filtered_header_and_no_formulas(
    organiser_client, event
):
    response = organiser_client.get(f"/events/{event['id']}/participants.xlsx")
    assert f"participants-event-{event['id']}.xlsx" in response.headers["Content-Disposition"]
    sheet = workbook(response).active
    assert_spreadsheet_shape(sheet, columns=9, rows=2)
    evil = by_first_column(sheet)["e@x.org"]
    assert evil[0].value == "'" + EVIL and evil[0].data_type == "s"
    registered, arrived = evil[7], evil[8]
    assert registered.is_date and registered.value == datetime(2026, 12, 1, 4, 25)
    assert registered.number_format == "yyyy-mm-dd hh:mm"
    assert arrived.is_date and arrived.value == datetime(2026, 12, 15, 9, 5)
    jose = by_first_column(sheet)["jose@example.org"]
    assert jose[0].value == "José Núñez Ñandú" and jose[2].value == "Municipalidad de Peñalolén"
    assert jose[8].value is None


def test_invitations_download_as_csv_and_xlsx(app, organiser_client, event, organiser):
    with app.app_context():
        e = db.session.get(Event, event["id"])
        plan = invitation_services.plan_invitations(
            e, [], False, [], "=cmd@example.org\nana@example.org", "es"
        )
        invitation_services.send_invitations(e, plan, db.session.get(User, organiser))
        db.session.commit()
    sheet = workbook(organiser_client.get(f"/events/{event['id']}/invitations.xlsx")).active
    assert_spreadsheet_shape(sheet, columns=10, rows=2)
    rows = by_first_column(sheet)
    assert "'=cmd@example.org" in rows and rows["'=cmd@example.org"][1].data_type == "s"
    invited = rows["ana@example.org"][5]
    assert invited.is_date and isinstance(invited.value, datetime)
    assert rows["ana@example.org"][9].value == 0 and rows["ana@example.org"][9].data_type == "n"
    text = organiser_client.get(f"/events/{event['id']}/invitations.csv").data.decode("utf-8-sig")
    body = list(csv.reader(io.StringIO(text)))[1:]
    assert {row[1] for row in body} == {"'=cmd@example.org", "ana@example.org"}
    assert all(row[5].endswith("-03:00") and "T" in row[5] for row in body)


def test_agenda_xlsx_has_date_and_time_cells_in_the_event_zone(app, client, event):
    with app.app_context():
        db.session.add(
            AgendaItem(
                event_id=event["id"],
                starts_at=START,
                ends_at=START + timedelta(minutes=30),
                title="=cmd|' /C calc'!A0",
            )
        )
        db.session.commit()
    sheet = workbook(client.get(f"/events/{event['id']}/agenda.xlsx")).active
    assert_spreadsheet_shape(sheet, columns=8, rows=1)
    day, start, end, title = (cell for cell in sheet[2][:4])
    assert day.is_date and day.value == datetime(2026, 12, 15) and day.number_format == "yyyy-mm-dd"
    assert start.value == time(9, 0) and end.value == time(9, 30) and start.number_format == "hh:mm"
    assert title.value == "'=cmd|' /C calc'!A0" and title.data_type == "s"
    text = client.get(f"/events/{event['id']}/agenda.csv").data.decode("utf-8-sig")
    assert list(csv.reader(io.StringIO(text)))[1][:3] == ["2026-12-15", "09:00", "09:30"]


def test_programme_commitments_and_figures_as_xlsx(app, organiser_client, event):
    with app.app_context():
        quilicura = OrganisationFactory(name="=Municipalidad de Quilicura")
        db.session.add(
            Commitment(
                event_id=event["id"],
                organisation=quilicura,
                description="Mapear oficinas",
                due_on=date(2027, 1, 31),
            )
        )
        db.session.commit()
    base = f"/programmes/{event['programme']}"
    sheet = workbook(organiser_client.get(f"{base}/commitments.xlsx")).active
    assert_spreadsheet_shape(sheet, columns=8, rows=1)
    row = sheet[2]
    assert row[0].value == "Mesa de Lo Prado"
    assert row[1].is_date and row[1].value == datetime(2026, 12, 15)
    assert row[2].value == "'=Municipalidad de Quilicura" and row[2].data_type == "s"
    assert row[5].is_date and row[5].value == datetime(2027, 1, 31)
    figures = workbook(organiser_client.get(f"{base}/figures.xlsx")).active
    assert figures.freeze_panes == "A2" and figures.auto_filter.ref.startswith("A1:D")
    values = [r[3] for r in figures.iter_rows(min_row=2)]
    assert values and all(cell.data_type == "n" for cell in values)


def test_the_pages_link_to_the_xlsx_downloads(organiser_client, event):
    participants = organiser_client.get(f"/events/{event['id']}/participants").text
    assert f"/events/{event['id']}/participants.xlsx" in participants
    assert (
        f"/events/{event['id']}/agenda.xlsx"
        not in organiser_client.get(f"/events/{event['id']}").text
    )  # no agenda yet: nothing to download
    programme = organiser_client.get(f"/programmes/{event['programme']}").text
    assert f"/programmes/{event['programme']}/figures.xlsx" in programme
    assert f"/programmes/{event['programme']}/commitments.xlsx" in programme


def add_registrations(event_id: int, count: int) -> None:
    """``count`` confirmed registrations in one insert: the factories take a second per 100."""
    now = datetime.now(UTC)
    rows = [
        {
            "event_id": event_id,
            "name": f"Participante {n} con un nombre de largo habitual",
            "email": f"participante{n}@municipalidad.example.org",
            "language": "es",
            "status": "confirmed",
            "confirmed_at": now,
            "token_salt": tokens.new_salt(),
            "created_at": now,
            "updated_at": now,
        }
        for n in range(count)
    ]
    db.session.execute(Registration.__table__.insert(), rows)


def download_peak(client, path: str) -> tuple[int, int]:
    """(bytes received, peak bytes allocated while the response was built and sent)."""
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        response = client.get(path)
        assert response.status_code == 200 and response.is_streamed
        received = sum(len(chunk) for chunk in response.response)
        return received, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


@pytest.mark.parametrize("kind", ["csv", "xlsx"])
def test_participants_downloads_stream_in_memory_that_does_not_grow_with_the_event(
    app, organiser_client, kind
):
    with app.app_context():
        small = EventFactory(published=True, registration_mode="open")
        large = EventFactory(published=True, registration_mode="open")
        db.session.flush()
        add_registrations(small.id, 300)
        add_registrations(large.id, 3000)
        db.session.commit()
        small_id, large_id = small.id, large.id
    organiser_client.get(f"/events/{small_id}/participants.{kind}")  # imports and caches warm
    small_size, small_peak = download_peak(
        organiser_client, f"/events/{small_id}/participants.{kind}"
    )
    large_size, large_peak = download_peak(
        organiser_client, f"/events/{large_id}/participants.{kind}"
    )
    assert large_size > 5 * small_size  # ten times the rows went out (the XLSX zipped)...
    assert large_peak < 2 * small_peak, (small_peak, large_peak)  # ...in about the same memory


def test_xlsx_text_is_escaped_kept_as_written_and_never_a_formula():
    """The workbook's XML is written by hand (eventhub/xlsx_export.py): markup characters,
    spaces at either end, line breaks and quotes come back as written, characters XML cannot
    hold are dropped rather than breaking the file, and a formula stays text."""
    from eventhub.xlsx_export import xlsx_bytes

    written = " <b>Ana</b> & \"Bea\" 'n' \x01\nsegunda línea "
    data = xlsx_bytes(
        "Hoja: [1]/2", ["Nombre", "=Cuenta"], [[written, "=1+1"], ["", 7]], widths=(20, 10)
    )
    sheet = openpyxl.load_workbook(io.BytesIO(data)).active
    assert sheet.title == "Hoja   1  2"
    assert [cell.value for cell in sheet[1]] == ["Nombre", "'=Cuenta"]
    assert sheet["A2"].value == written.replace("\x01", "") and sheet["A2"].data_type == "s"
    assert sheet["B2"].value == "'=1+1" and sheet["B2"].data_type == "s"
    assert sheet["A3"].value is None and sheet["B3"].value == 7
    assert sheet.auto_filter.ref == "A1:B3" and sheet.column_dimensions["A"].width == 20
