"""The whole life of an event's own questions in Chromium: the organiser defines a
conditional question, a visitor registers on a 375 px phone, the door shows the answer, and
the XLSX export carries it."""

import io
from datetime import UTC, datetime, timedelta

from openpyxl import load_workbook
from playwright.sync_api import expect

from eventhub.extensions import db
from tests.browser.test_event_journey import sign_in
from tests.factories import EventFactory

PHONE = {"width": 375, "height": 740}


def test_define_register_on_a_phone_see_at_the_door_and_export(
    browser, page, live_server, live_app
):
    with live_app.app_context():
        event = EventFactory(
            title="Mesa intermunicipal de Quilicura",
            published=True,
            registration_mode="open",
            starts_at=datetime.now(UTC) + timedelta(days=10),
            ends_at=datetime.now(UTC) + timedelta(days=10, hours=3),
        )
        db.session.commit()
        event_id = event.id

    # The organiser: a yes/no question, and a choice shown only when the answer is yes.
    sign_in(page, live_server)
    page.goto(f"{live_server}/events/{event_id}/questions/new")
    page.select_option("#kind", "yes_no")
    page.fill("#label_es", "¿Necesita interpretación?")
    page.fill("#label_en", "Do you need interpretation?")
    page.click("#question-form [type=submit]")
    page.goto(f"{live_server}/events/{event_id}/questions/new")
    page.select_option("#kind", "single_choice")
    page.fill("#label_es", "¿Qué lengua?")
    page.fill("#choices", "Creole haitiano | Haitian Creole\nLengua de señas | Sign language")
    page.check("#show_at_checkin")
    page.check("#required")
    page.select_option("#condition", label="Solo si «¿Necesita interpretación?» es Sí")
    page.click("#question-form [type=submit]")
    expect(page.locator("#question-list > li")).to_have_count(2)
    expect(page.locator("#question-list > li").nth(1)).to_contain_text(
        "Se muestra si «¿Necesita interpretación?» es Sí"
    )

    # A visitor on a phone: the conditional question appears only after "Sí".
    phone = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True, locale="es-CL")
    visitor = phone.new_page()
    errors: list[str] = []
    visitor.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    visitor.goto(f"{live_server}/events/{event_id}")
    language = visitor.get_by_role("group", name="¿Qué lengua?")
    expect(language).to_be_hidden()
    visitor.fill("#name", "Jean-Baptiste Pierre")
    visitor.fill("#email", "jb.pierre@example.org")
    visitor.get_by_role("radio", name="Sí").check()
    expect(language).to_be_visible()
    language.get_by_role("radio", name="Creole haitiano").check()
    assert visitor.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    visitor.locator("#registration-form [type=submit]").tap()
    expect(visitor.locator(".flash-success")).to_be_visible()
    assert "/r/" in visitor.url
    # The personal page shows the answers, to edit until the deadline.
    expect(visitor.get_by_role("radio", name="Creole haitiano")).to_be_checked()
    assert not [e for e in errors if "Content Security Policy" in e], errors
    phone.close()

    # The door: the answer marked "show at check-in" is next to the person.
    page.goto(f"{live_server}/events/{event_id}/checkin")
    person = page.locator(".door-list li", has_text="Jean-Baptiste Pierre")
    expect(person).to_contain_text("¿Qué lengua?: Creole haitiano")

    # The export, as the organiser downloads it.
    page.goto(f"{live_server}/events/{event_id}/participants")
    with page.expect_download() as download:
        page.get_by_role("link", name="Exportar para Excel (XLSX)").click()
    sheet = load_workbook(io.BytesIO(download.value.path().read_bytes())).active
    rows = [[cell.value for cell in row] for row in sheet.iter_rows()]
    header = rows[0]
    person_row = next(row for row in rows if "jb.pierre@example.org" in row)
    assert person_row[header.index("¿Necesita interpretación?")] == "Sí"
    assert person_row[header.index("¿Qué lengua?")] == "Creole haitiano"
