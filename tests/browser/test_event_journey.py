"""The organiser's first journey, in a real browser: sign in, create, publish, read."""

import re

from playwright.sync_api import expect
from sqlalchemy import select

from eventhub.events.models import Event
from eventhub.extensions import db


def sign_in(page, live_server):
    page.goto(f"{live_server}/login")
    page.fill("#email", "organiser@example.org")
    page.fill("#password", "correct horse battery")
    page.click("main form button[type=submit], main form input[type=submit]")
    page.wait_for_url(f"{live_server}/")  # sign-in lands on the home


def test_create_event_in_santiago_time_and_read_it_publicly(page, live_server, live_app, browser):
    sign_in(page, live_server)
    page.click("a[href='/events/new']")
    page.fill("#title", "Mesa intermunicipal de Lo Prado")
    page.select_option("#kind", "round_table")
    page.fill("#summary", "Migración y derechos humanos con seis municipios.")
    expect(page.locator("#timezone")).to_have_value("America/Santiago")
    # Chile in winter (UTC-4) and in summer (UTC-3): the form takes wall-clock time.
    page.fill("#starts_at", "2027-07-15T09:30")
    page.fill("#ends_at", "2027-07-15T13:00")
    page.fill("#venue_name", "Municipalidad de Lo Prado")
    page.fill("#capacity", "40")
    page.click("#event-form [type=submit]")

    expect(page.locator("h1")).to_have_text("Mesa intermunicipal de Lo Prado")
    expect(page.locator("dl.details time")).to_contain_text("09:30–13:00")
    with live_app.app_context():
        event = db.session.scalars(select(Event)).one()
        assert event.starts_at.isoformat() == "2027-07-15T13:30:00+00:00"
        event_id = event.id

    page.click(f"form[action='/events/{event_id}/publish'] button")
    expect(page.locator(".badge-published")).to_be_visible()

    page.goto(f"{live_server}/events/?q=lo+prado")
    card = page.locator(".event-card", has_text="Mesa intermunicipal de Lo Prado")
    expect(card).to_contain_text("09:30–13:00")

    # A visitor with no account reads the public page at the same local time.
    visitor = browser.new_context()
    public = visitor.new_page()
    public.goto(f"{live_server}/events/")
    public.click(f"a[href='/events/{event_id}']")
    expect(public.locator("h1")).to_have_text("Mesa intermunicipal de Lo Prado")
    expect(public.locator("dl.details")).to_contain_text("09:30–13:00")
    expect(public.locator("dl.details")).to_contain_text("America/Santiago")
    expect(public.locator(f"a[href='/events/{event_id}/edit']")).to_have_count(0)
    visitor.close()


def test_invalid_event_shows_errors_next_to_fields(page, live_server):
    sign_in(page, live_server)
    page.goto(f"{live_server}/events/new")
    page.fill("#title", "Desayuno")
    page.fill("#starts_at", "2027-03-29T10:00")
    page.fill("#ends_at", "2027-03-29T08:00")
    page.fill("#timezone", "America/Santiagoo")
    page.click("#event-form [type=submit]")
    expect(page.locator("#ends_at-errors")).to_be_visible()
    expect(page.locator("#timezone-errors")).to_be_visible()
    expect(page.locator("#ends_at")).to_have_attribute("aria-invalid", "true")
    assert re.search(r"/events/new$", page.url)


def test_language_switch_keeps_the_page(page, live_server):
    page.goto(f"{live_server}/login")
    expect(page.locator("html")).to_have_attribute("lang", "es")
    page.click("button[name=lang][value=en]")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    assert page.url.endswith("/login")
