"""An event that confirms addresses: register, read the mail in the outbox, follow the link,
confirm; the place is held until then and taken after."""

import re

from playwright.sync_api import expect
from sqlalchemy import select

from eventhub.extensions import db
from eventhub.registrations.models import Registration
from tests.browser.test_event_journey import sign_in
from tests.factories import EventFactory


def test_register_read_the_mail_in_the_outbox_and_confirm(page, live_server, live_app, browser):
    with live_app.app_context():
        event = EventFactory(
            title="Desayuno con alcaldes",
            published=True,
            registration_mode="open",
            capacity=2,
            confirm_email=True,
        )
        db.session.commit()
        event_id = event.id

    visitor = browser.new_context().new_page()
    visitor.goto(f"{live_server}/events/{event_id}")
    expect(visitor.locator(".meta", has_text="Quedan 2 cupos.")).to_be_visible()
    form = visitor.locator("#registration-form")
    form.locator("#name").fill("José Pérez")
    form.locator("#email").fill("Jose@Example.org")
    form.locator("[type=submit]").click()
    # Back on the event page, told to read the mail: the personal link is not shown here.
    visitor.wait_for_url(f"{live_server}/events/{event_id}")
    expect(visitor.locator(".flash-info")).to_contain_text("jose@example.org")
    expect(visitor.locator(".flash-info")).to_contain_text("60 minutos")
    expect(visitor.locator(".meta", has_text="Queda 1 cupo.")).to_be_visible()

    # The mail, as the outbox keeps it on a machine without a mail server.
    sign_in(page, live_server)
    page.goto(f"{live_server}/outbox/")
    page.get_by_role(
        "link", name="Confirme su dirección para inscribirse: Desayuno con alcaldes"
    ).click()
    expect(page.locator("#headers")).to_contain_text("jose@example.org")
    text = page.locator("#text-body").inner_text()
    assert "Le reservamos un cupo hasta el" in text
    link = re.search(r"http://eventhub\.test(/r/[\w-]{43})", text).group(1)

    visitor.goto(f"{live_server}{link}")
    expect(visitor.locator("#registration-status")).to_have_class(re.compile(r"\bstatus-held\b"))
    with live_app.app_context():
        assert db.session.scalars(select(Registration.status)).one() == "held"
    visitor.get_by_role("button", name="Confirmar mi dirección").click()
    expect(visitor.locator(".flash-success")).to_contain_text(
        "Su dirección está confirmada y el cupo es suyo."
    )
    expect(visitor.locator("#registration-status")).to_have_class(
        re.compile(r"\bstatus-confirmed\b")
    )
    expect(visitor.locator("#confirm-form")).to_have_count(0)
    expect(visitor.locator(".qr-code svg")).to_be_visible()  # a place: the door's QR code

    page.goto(f"{live_server}/outbox/")
    expect(
        page.get_by_role("link", name="Inscripción confirmada: Desayuno con alcaldes")
    ).to_be_visible()
