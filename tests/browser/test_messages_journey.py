"""An organiser writes to an event's people in Chromium: from the event page to the messages
page, a refused placeholder, the preview in both languages, the send, the mail over real SMTP
and the history."""

from datetime import UTC, datetime, timedelta
from email import message_from_bytes, policy

import pytest
from playwright.sync_api import expect

from eventhub.extensions import db
from eventhub.mail.worker import deliver_due
from tests.browser.conftest import make_live_app
from tests.browser.test_accessibility import AXE, axe_violations
from tests.browser.test_event_journey import sign_in
from tests.factories import EventFactory, OrganisationFactory, RegistrationFactory

HELD = datetime.now(UTC) + timedelta(days=5)


@pytest.fixture
def live_app(tmp_path, smtp_sink):
    app = make_live_app(tmp_path, **smtp_sink.app_config())
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


BODY = "Estimada {nombre}:\n\nLe esperamos en **{lugar}**.\n\n[Su inscripción]({enlace})"


def write(page, body: str) -> None:
    page.get_by_label("Inscritos confirmados").check()
    page.get_by_label("Asunto").fill("{evento}: recordatorio")
    page.get_by_label("Mensaje", exact=True).fill(body)
    page.get_by_role("button", name="Vista previa").click()


def test_write_preview_and_send_a_message(page, live_server, live_app, smtp_sink, browser):
    with live_app.app_context():
        event = EventFactory(
            title="Desayuno empresarial",
            published=True,
            registration_mode="open",
            starts_at=HELD,
            ends_at=HELD + timedelta(hours=2),
            venue_name="Cámara de Comercio",
        )
        quilicura = OrganisationFactory(name="Municipalidad de Quilicura")
        RegistrationFactory(event=event, name="Carla Soto", email="carla@example.org")
        RegistrationFactory(
            event=event,
            name="John Smith",
            email="john@example.org",
            language="en",
            organisation=quilicura,
        )
        RegistrationFactory(event=event, name="Espera", email="w@example.org", status="waiting")
        db.session.commit()
        event_id = event.id

    sign_in(page, live_server)
    page.goto(f"{live_server}/events/{event_id}")
    page.get_by_role("link", name="Mensajes", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Mensajes a participantes")

    write(page, "Estimada {nombre}, le esperamos en {lugar}. {enlaze}")
    expect(page.locator("#body-errors")).to_contain_text("Marcador desconocido: {enlaze}")
    write(page, BODY)
    expect(page.locator("#recipient-count")).to_have_text("2 personas recibirán el mensaje.")
    expect(page.locator("#sample-es .sample-subject")).to_have_text(
        "Desayuno empresarial: recordatorio"
    )
    expect(page.locator("#sample-es .mail-text strong")).to_have_text("Cámara de Comercio")
    expect(page.locator("#sample-es")).to_contain_text("Estimada Carla Soto:")
    expect(page.locator("#sample-en")).to_contain_text("Estimada John Smith:")
    with live_app.app_context():
        deliver_due()
    assert smtp_sink.envelopes == []  # a preview queues nothing

    page.get_by_role("button", name="Enviar", exact=True).click()
    expect(page.locator(".flash-success")).to_contain_text("Mensaje en cola para 2 personas")
    row = page.locator("#message-history tbody tr")
    expect(row).to_have_count(1)
    expect(row).to_contain_text("{evento}: recordatorio")  # as written, placeholders kept
    expect(row).to_contain_text("Inscritos confirmados")

    with live_app.app_context():
        deliver_due()
    mails = {
        envelope.rcpt_tos[0]: message_from_bytes(envelope.original_content, policy=policy.default)
        for envelope in smtp_sink.envelopes
    }
    assert set(mails) == {"carla@example.org", "john@example.org"}
    john = mails["john@example.org"].get_body(("plain",)).get_content()
    assert "A message from the organisers of Desayuno empresarial" in john
    assert "Estimada John Smith:" in john and "/r/" in john
    page.reload()
    expect(page.locator("#message-history .delivery")).to_contain_text("enviados 2")

    if AXE.exists():  # the preview and a refused placeholder, which no crawl reaches
        # The CSP forbids injected scripts; axe is ours, so only this context bypasses it.
        context = browser.new_context(bypass_csp=True)
        checked = context.new_page()
        sign_in(checked, live_server)
        for body in ("{enlaze}", BODY):
            checked.goto(f"{live_server}/events/{event_id}/messages")
            write(checked, body)
            assert axe_violations(checked) == [], body
        context.close()
