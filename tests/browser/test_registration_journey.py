"""Two visitors register for the last place; the first cancels and the second gets it."""

import re

from playwright.sync_api import expect

from eventhub.extensions import db
from tests.factories import EventFactory

PERSONAL_PAGE = re.compile(r"/r/[\w-]{43}$")


def register(page, live_server, event_id, name, email):
    page.goto(f"{live_server}/events/{event_id}")
    form = page.locator("#registration-form")
    expect(form).to_be_visible()
    form.locator("#name").fill(name)
    form.locator("#email").fill(email)
    form.locator("#organisation_name").fill("Fundación Puentes")
    form.locator("#job_title").fill("Coordinadora")
    form.locator("#needs").fill("Rampa de acceso")
    form.locator("#listed").check()
    form.locator("[type=submit]").click()
    page.wait_for_url(PERSONAL_PAGE)
    return page.url


def test_register_wait_cancel_and_move_up(page, live_server, live_app, browser):
    with live_app.app_context():
        event = EventFactory(
            title="Desayuno con alcaldes", published=True, registration_mode="open", capacity=1
        )
        db.session.commit()
        event_id = event.id

    first_link = register(page, live_server, event_id, "María Núñez", "maria@example.org")
    status = page.locator("#registration-status")
    expect(status).to_have_class(re.compile(r"\bstatus-confirmed\b"))
    expect(page.locator("h1")).to_have_text("Desayuno con alcaldes")

    second = browser.new_context()
    try:
        visitor = second.new_page()
        second_link = register(visitor, live_server, event_id, "José Pérez", "jose@example.org")
        assert second_link != first_link
        expect(visitor.locator("#registration-status")).to_have_class(
            re.compile(r"\bstatus-waiting\b")
        )

        page.click("#cancel-form button")
        page.wait_for_url(first_link)
        expect(status).to_have_class(re.compile(r"\bstatus-cancelled\b"))
        expect(page.locator("#cancel-form")).to_have_count(0)

        visitor.reload()
        expect(visitor.locator("#registration-status")).to_have_class(
            re.compile(r"\bstatus-confirmed\b")
        )
    finally:
        second.close()
