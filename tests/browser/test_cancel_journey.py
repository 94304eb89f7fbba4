"""Cancelling with a reason, and the notice's personal link, as people see them in Chromium."""

from playwright.sync_api import expect
from sqlalchemy import select

from eventhub.extensions import db
from eventhub.mail.models import OutboxMessage
from eventhub.registrations import services as registrations
from tests.browser.test_event_journey import sign_in
from tests.factories import EventFactory, RegistrationFactory


def test_cancel_with_a_reason_and_read_it_in_the_registrants_language(
    page, live_server, live_app, browser
):
    with live_app.app_context(), live_app.test_request_context():
        event = EventFactory(title="Desayuno empresarial", published=True)
        registration = RegistrationFactory(event=event, name="Bob", language="en")
        db.session.commit()
        event_id, link = event.id, f"/r/{registrations.registration_token(registration)}"

    sign_in(page, live_server)
    page.goto(f"{live_server}/events/{event_id}")
    page.get_by_role("link", name="Cancelar evento").click()
    page.get_by_label("Motivo (opcional)").fill("El salón <no> está disponible")
    expect(
        page.get_by_label("Avisar la cancelación por correo a 1 persona inscrita o invitada")
    ).to_be_checked()
    page.get_by_role("button", name="Sí, cancelar el evento").click()
    expect(page.locator(".banner-cancelled")).to_contain_text(
        "Motivo: El salón <no> está disponible"
    )
    with live_app.app_context():
        notice = db.session.scalars(
            select(OutboxMessage).where(OutboxMessage.topic == "event-cancelled")
        ).one()
        assert "Reason: El salón <no> está disponible" in notice.text_body

    # Bob opens his link from the English notice: an English page, with the switch.
    visitor = browser.new_context()
    bob = visitor.new_page()
    bob.goto(f"{live_server}{link}")
    expect(bob.locator("html")).to_have_attribute("lang", "en")
    expect(bob.locator(".banner-cancelled")).to_have_text("This event has been cancelled.")
    bob.get_by_role("button", name="Español").click()
    expect(bob.locator("html")).to_have_attribute("lang", "es")
    expect(bob.locator(".banner-cancelled")).to_have_text("Este evento fue cancelado.")
    visitor.close()
