"""Add to calendar and subscribe, in a real browser."""

from datetime import UTC, datetime, timedelta
from pathlib import Path

from icalendar import Calendar
from playwright.sync_api import expect

from eventhub.extensions import db
from tests.browser.test_event_journey import sign_in
from tests.factories import EventFactory, OrganisationFactory

START = datetime(2027, 3, 30, 12, 30, tzinfo=UTC)  # 09:30 in Santiago


def test_download_ics_and_month_view(page, live_server, live_app):
    with live_app.app_context():
        event = EventFactory(
            title="Mesa intermunicipal de Lo Prado",
            published=True,
            starts_at=START,
            ends_at=START + timedelta(hours=3),
        )
        db.session.commit()
        event_id = event.id

    page.goto(f"{live_server}/events/{event_id}")
    with page.expect_download() as download_info:
        page.click(f"a[href='/events/{event_id}.ics']")
    calendar = Calendar.from_ical(Path(download_info.value.path()).read_bytes())
    [vevent] = calendar.walk("VEVENT")
    assert str(vevent["SUMMARY"]) == "Mesa intermunicipal de Lo Prado"
    assert vevent.decoded("DTSTART").astimezone(UTC) == START
    google = page.locator("a[href^='https://calendar.google.com/']")
    expect(google).to_have_count(1)
    assert "20270330T123000Z" in google.get_attribute("href")

    page.click("a[href^='/calendar?month=2027-03']")
    expect(page.locator("#month-heading")).to_have_text("marzo de 2027")
    expect(page.locator("table.month")).to_contain_text("09:30 Mesa intermunicipal de Lo Prado")
    page.click("a[rel=next]")
    expect(page.locator("#month-heading")).to_have_text("abril de 2027")
    expect(page.locator("table.month")).not_to_contain_text("Mesa intermunicipal")
    expect(page.locator("#public-feed-url")).to_have_value("http://eventhub.test/calendar.ics")


def test_organisation_feed_copy_button(page, live_server, live_app, context):
    context.grant_permissions(["clipboard-read", "clipboard-write"])
    with live_app.app_context():
        organisation_id = OrganisationFactory(name="Municipalidad de Quilicura").id
        db.session.commit()
    sign_in(page, live_server)
    page.goto(f"{live_server}/organisations/{organisation_id}")
    page.click("#calendar-feed form button")
    field = page.locator("#organisation-feed-url")
    expect(field).to_be_visible()
    url = field.input_value()
    assert url.startswith("http://eventhub.test/feeds/") and url.endswith(".ics")
    page.click("button[data-copy=organisation-feed-url]")
    expect(page.locator("button[data-copy=organisation-feed-url]")).to_have_text("Copiado")
    assert page.evaluate("navigator.clipboard.readText()") == url
