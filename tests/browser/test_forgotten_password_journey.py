"""A forgotten password in a real browser: the link on the sign-in page, the mail through
a real SMTP server, the link from its bytes, a new password, the other device signed out,
and signing in with the new password."""

import re
import threading
from email import message_from_bytes, policy

import pytest
from playwright.sync_api import expect
from werkzeug.serving import make_server

from eventhub.extensions import db
from eventhub.mail.worker import deliver_due
from tests.browser.conftest import make_live_app
from tests.browser.test_event_journey import sign_in

NEW_PASSWORD = "otra contraseña larga"


@pytest.fixture
def mailing_server(tmp_path, smtp_sink):
    app = make_live_app(tmp_path, **smtp_sink.app_config())
    server = make_server("127.0.0.1", 0, app, threaded=True)
    # Checks for shutdown() every 50 ms, not every 0.5 s (a wait at the end of each test).
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
    )
    thread.start()
    yield app, f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=5)
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def test_forgot_the_password_choose_a_new_one_and_sign_in(page, browser, mailing_server, smtp_sink):
    app, base = mailing_server
    other_device = browser.new_context().new_page()
    sign_in(other_device, base)

    page.goto(f"{base}/login")
    page.get_by_role("link", name="¿Olvidó su contraseña?").click()
    expect(page.locator("h1")).to_have_text("¿Olvidó su contraseña?")
    page.get_by_label("Correo electrónico").fill("Organiser@Example.org")
    page.get_by_role("button", name="Enviarme un enlace").click()
    expect(page).to_have_url(f"{base}/login")
    expect(page.locator(".flash")).to_contain_text("Si existe una cuenta para esta dirección")

    with app.app_context():
        deliver_due()
    (envelope,) = smtp_sink.envelopes
    assert envelope.rcpt_tos == ["organiser@example.org"]
    mail = message_from_bytes(envelope.original_content, policy=policy.default)
    assert mail["Subject"] == "Elija una nueva contraseña de EventHub"
    text = mail.get_body(("plain",)).get_content()
    path = re.search(r"http://eventhub\.test(/password/reset/\S+)", text).group(1)

    page.goto(base + path)
    expect(page.locator("h1")).to_have_text("Elija una nueva contraseña")
    page.get_by_label("Nueva contraseña").fill(NEW_PASSWORD)
    page.get_by_label("Repita la contraseña").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Guardar la contraseña").click()
    expect(page).to_have_url(f"{base}/")
    expect(page.locator(".flash")).to_contain_text("Se cerraron las demás sesiones")

    other_device.goto(f"{base}/account/")
    expect(other_device).to_have_url(re.compile(r"/login\?next="))

    page.get_by_role("button", name="Cerrar sesión").click()
    page.get_by_label("Correo electrónico").fill("organiser@example.org")
    page.get_by_label("Contraseña").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Iniciar sesión").click()
    expect(page).to_have_url(f"{base}/")

    page.goto(base + path)  # the link worked once
    expect(page.locator("h1")).to_have_text("Este enlace ya no sirve")
    expect(page.locator("main")).to_contain_text("Este enlace ya fue usado")
    other_device.context.close()
