"""Invite two municipalities, deliver over real SMTP, answer from the emailed link."""

import re
from datetime import UTC, datetime, timedelta

import pytest
from playwright.sync_api import expect

from eventhub.extensions import db
from eventhub.mail.worker import deliver_due
from tests.browser.conftest import make_live_app
from tests.browser.test_event_journey import sign_in
from tests.factories import ContactFactory, EventFactory, OrganisationFactory

START = datetime(2027, 3, 30, 12, 30, tzinfo=UTC)  # 09:30 in Santiago
NOTE = "Traigan **cuatro propuestas** para la mesa."


@pytest.fixture
def live_app(tmp_path, smtp_sink):
    app = make_live_app(tmp_path, **smtp_sink.app_config())
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def test_invite_deliver_accept(page, live_server, live_app, smtp_sink, browser):
    with live_app.app_context():
        event = EventFactory(
            title="Mesa intermunicipal de Lo Prado",
            published=True,
            starts_at=START,
            ends_at=START + timedelta(hours=3),
        )
        quilicura = OrganisationFactory(name="Municipalidad de Quilicura")
        recoleta = OrganisationFactory(name="Municipalidad de Recoleta")
        ContactFactory(
            organisation=quilicura,
            name="Oficina de Migrantes",
            email="migrantes@quilicura.example.org",
            is_primary=True,
        )
        ContactFactory(
            organisation=recoleta,
            name="Daniel Jadue",
            email="alcalde@recoleta.example.org",
            language="en",
            is_primary=True,
        )
        db.session.commit()
        event_id, ids = event.id, (quilicura.id, recoleta.id)

    sign_in(page, live_server)
    page.goto(f"{live_server}/events/{event_id}/invitations/new")
    page.click("#select-all")  # every organisation the filters show
    for organisation_id in ids:
        expect(
            page.locator(f"input[name=organisation_ids][value='{organisation_id}']")
        ).to_be_checked()
    page.fill("#note", NOTE)
    page.click("#invite-form #preview")
    expect(page.locator(".preview")).to_contain_text("migrantes@quilicura.example.org")
    expect(page.locator(".preview")).to_contain_text("alcalde@recoleta.example.org")
    # The email itself, in each language, before anything is queued.
    spanish, english = page.locator("#mail-preview-es"), page.locator("#mail-preview-en")
    expect(spanish.locator(".mail-subject")).to_have_text(
        "Invitación: Mesa intermunicipal de Lo Prado"
    )
    expect(english.locator(".mail-subject")).to_have_text(
        "Invitation: Mesa intermunicipal de Lo Prado"
    )
    # The HTML email, in its sandboxed frame (an opaque origin: reached through its element).
    frame = page.locator("#mail-preview-es iframe").element_handle().content_frame()
    expect(frame.locator("div > p > strong")).to_have_text("cuatro propuestas")
    expect(frame.locator("body")).to_contain_text("le invita a:")
    expect(page.locator("#note")).to_have_value(NOTE)  # kept for the sending
    page.click("#invite-form #send")
    expect(page.locator("#batch-progress")).to_contain_text("2")

    with live_app.app_context():
        report = deliver_due()
    assert report.sent == 2
    messages = smtp_sink.wait_for(2)
    by_recipient = {str(m["To"]): m for m in messages}
    spanish = next(m for to, m in by_recipient.items() if "quilicura" in to)
    english = next(m for to, m in by_recipient.items() if "recoleta" in to)
    assert str(spanish["Subject"]) == "Invitación: Mesa intermunicipal de Lo Prado"
    assert str(english["Subject"]) == "Invitation: Mesa intermunicipal de Lo Prado"
    text = spanish.get_body(preferencelist=("plain",)).get_content()
    assert "09:30–12:30" in text
    assert NOTE in text
    html = spanish.get_body(preferencelist=("html",)).get_content()
    assert "<strong>cuatro propuestas</strong>" in html
    link = re.search(r"http://eventhub\.test(/i/[\w-]+)", text).group(1)
    assert any(part.get_filename() == "invitation.ics" for part in spanish.iter_attachments())

    invitee = browser.new_context().new_page()
    invitee.goto(f"{live_server}{link}")
    expect(invitee.locator("h1")).to_have_text("Mesa intermunicipal de Lo Prado")
    expect(invitee.locator("#name")).to_have_value("Oficina de Migrantes")
    expect(invitee.locator("#invited-email")).to_have_value("migrantes@quilicura.example.org")
    invitee.fill("#name", "María Pérez")
    invitee.click("#accept-form [type=submit]")
    expect(invitee.locator(".answer")).to_have_class(re.compile("answer-accepted"))

    page.goto(f"{live_server}/events/{event_id}/invitations")
    row = page.locator("#invitations tr", has_text="migrantes@quilicura.example.org")
    expect(row.locator(".state")).to_have_class(re.compile("state-accepted"))
    expect(page.locator(".org-counts")).to_contain_text("Municipalidad de Quilicura: 1")
