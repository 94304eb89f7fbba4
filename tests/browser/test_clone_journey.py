"""Duplicating the monthly round table in Chromium: one form, a date, the copy's page."""

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

from playwright.sync_api import expect

from eventhub.agenda.models import AgendaItem
from eventhub.extensions import db
from tests.browser.test_event_journey import sign_in
from tests.factories import EventFactory

SANTIAGO = ZoneInfo("America/Santiago")


def _at(day: date, hour: int) -> datetime:
    return datetime.combine(day, time(hour), tzinfo=SANTIAGO).astimezone(UTC)


def test_clone_the_monthly_round_table_in_one_form(page, live_server, live_app):
    year = date.today().year + 1
    august, october = date(year, 8, 20), date(year, 10, 15)  # UTC-4, then UTC-3
    with live_app.app_context():
        event = EventFactory(
            title="Mesa intermunicipal de agosto",
            starts_at=_at(august, 9),
            ends_at=_at(august, 12),
            venue_name="Sala del Concejo",
            published=True,
        )
        db.session.flush()
        event.agenda_items.append(
            AgendaItem(title="Apertura", starts_at=_at(august, 9), ends_at=_at(august, 10))
        )
        db.session.commit()
        event_id = event.id

    sign_in(page, live_server)
    page.goto(f"{live_server}/events/{event_id}")
    page.get_by_role("link", name="Duplicar").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Duplicar «Mesa intermunicipal de agosto»"
    )
    expect(page.get_by_label("Título de la copia")).to_have_value(
        "Mesa intermunicipal de agosto (copia)"
    )
    page.get_by_role("button", name="Duplicar").click()  # no date yet: told, nothing made
    expect(page.locator(".errors")).to_contain_text("Indique la fecha de la copia.")
    page.get_by_label("Nueva fecha").fill(october.isoformat())
    page.get_by_label("Título de la copia").fill("Mesa intermunicipal de octubre")
    page.get_by_role("button", name="Duplicar").click()

    expect(page.locator(".flash-success")).to_contain_text("Copia creada como borrador")
    expect(page.get_by_role("heading", level=1)).to_have_text("Mesa intermunicipal de octubre")
    expect(page.locator(".badge-draft")).to_have_text("Borrador")
    expect(page.locator(".details")).to_contain_text("Sala del Concejo")
    when = page.locator(".details time")
    expect(when).to_contain_text("9:00")  # 09:00 on the clocks, after the change of offset
    copy_start = datetime.fromisoformat(when.get_attribute("datetime"))
    assert copy_start.astimezone(SANTIAGO).replace(tzinfo=None) == datetime.combine(
        october, time(9)
    )
    assert page.url != f"{live_server}/events/{event_id}"
    # The agenda came along, on the copy's agenda tab.
    page.locator("#tab-agenda").click()
    expect(page.locator("main")).to_contain_text("Apertura")
