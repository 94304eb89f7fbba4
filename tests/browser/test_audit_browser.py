"""The event's history as an organiser reads it, after edits made through Chromium's forms."""

from playwright.sync_api import expect
from sqlalchemy import select

from eventhub.events.models import Event
from eventhub.extensions import db
from tests.browser.test_event_journey import sign_in


def test_history_tells_only_real_changes_with_labels_in_spanish(page, live_server, live_app):
    sign_in(page, live_server)
    page.goto(f"{live_server}/events/new")
    page.fill("#title", "Mesa intermunicipal de Lo Prado")
    page.fill("#starts_at", "2026-12-15T10:00")
    page.fill("#ends_at", "2026-12-15T13:00")
    # Typed over several lines: the browser submits them with CRLF, on every save.
    page.fill("#description", "Primera parte.\nSegunda parte.\n\nTercera.")
    page.fill("#venue_name", "Municipalidad de Lo Prado")
    page.click("#event-form [type=submit]")
    with live_app.app_context():
        event_id = db.session.scalar(select(Event.id))

    page.goto(f"{live_server}/events/{event_id}/edit")
    page.click("#event-form [type=submit]")  # saved without touching anything
    page.goto(f"{live_server}/events/{event_id}/edit")
    page.fill("#venue_name", "Centro Cultural de Lo Prado")
    page.uncheck("#is_public")
    page.click("#event-form [type=submit]")

    page.goto(f"{live_server}/events/{event_id}")
    page.click(f"a[href='/admin/audit?event={event_id}']")
    rows = page.locator("#audit tbody tr")
    expect(rows).to_have_count(3)
    newest, unchanged = rows.nth(0), rows.nth(1)
    expect(unchanged).to_contain_text("sin cambios")
    expect(newest).to_contain_text(
        "Lugar: “Municipalidad de Lo Prado” → “Centro Cultural de Lo Prado”"
    )
    expect(newest).to_contain_text("Sí → No")
    expect(newest).to_contain_text("(GMT-03:00)")
    expect(page.locator("#audit")).not_to_contain_text("description")
    expect(page.locator("#audit")).not_to_contain_text("Descripción")
    expect(page.locator("#audit")).not_to_contain_text("venue_name")
