"""Two visitors register for the last place; the first cancels and the second gets it."""

import re

import pytest
from playwright.sync_api import expect

from eventhub.extensions import db
from eventhub.mail.worker import deliver_due
from tests.browser.conftest import make_live_app
from tests.factories import EventFactory

PERSONAL_PAGE = re.compile(r"/r/[\w-]{43}$")


@pytest.fixture
def live_app(tmp_path, smtp_sink):
    """Mail goes to a real SMTP server (aiosmtpd) started by the test."""
    app = make_live_app(tmp_path, **smtp_sink.app_config())
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


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


def test_register_wait_cancel_and_move_up(page, live_server, live_app, browser, smtp_sink):
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

        # The worker delivers over SMTP: José hears that the place is his, in Spanish.
        with live_app.app_context():
            deliver_due()
        received = {(str(m["To"]), str(m["Subject"])) for m in smtp_sink.wait_for(4)}
        assert any(
            "jose@example.org" in to and subject == "Tiene un cupo: Desayuno con alcaldes"
            for to, subject in received
        ), received
    finally:
        second.close()
