"""After the round table: minutes and a commitment for Quilicura, the follow-up over real
SMTP, the reminder link that the Quilicura contact uses to mark it done, the programme view."""

import re
from datetime import UTC, date, datetime, timedelta

import pytest
from playwright.sync_api import expect

from eventhub.extensions import db
from eventhub.mail.worker import deliver_due
from tests.browser.conftest import make_live_app
from tests.browser.test_event_journey import sign_in
from tests.factories import (
    ContactFactory,
    EventFactory,
    OrganisationFactory,
    ProgrammeFactory,
    RegistrationFactory,
)

HELD = datetime.now(UTC) - timedelta(days=2)


@pytest.fixture
def live_app(tmp_path, smtp_sink, database_url):
    """On SQLite and, when reachable, PostgreSQL: the journey must hold on both."""
    app = make_live_app(tmp_path, SQLALCHEMY_DATABASE_URI=database_url, **smtp_sink.app_config())
    yield app
    with app.app_context():
        db.session.remove()
        db.drop_all()  # PostgreSQL: the run's shared schema must be empty for the next test
        db.engine.dispose()


def plain_text(message) -> str:
    return message.get_body(preferencelist=("plain",)).get_content()


def test_minutes_commitment_followup_reminder_and_programme_view(
    page, live_server, live_app, smtp_sink, browser
):
    with live_app.app_context():
        programme = ProgrammeFactory(name="Migrantes y Ciudades")
        event = EventFactory(
            title="Mesa intermunicipal de Lo Prado",
            published=True,
            starts_at=HELD,
            ends_at=HELD + timedelta(hours=3),
            programme=programme,
        )
        quilicura = OrganisationFactory(name="Municipalidad de Quilicura")
        ContactFactory(
            organisation=quilicura,
            name="Oficina de Migrantes y Refugiados",
            email="migrantes@quilicura.example.org",
            is_primary=True,
        )
        RegistrationFactory(
            event=event,
            name="Carla Soto",
            email="carla@quilicura.example.org",
            organisation=quilicura,
            checked_in_at=HELD,
        )
        db.session.commit()
        event_id, programme_id, quilicura_id = event.id, programme.id, quilicura.id

    sign_in(page, live_server)
    page.goto(f"{live_server}/events/{event_id}/followup")
    page.fill("#body", "## Acuerdos\n\n- Quilicura comparte su protocolo de atención")
    page.select_option("#minutes-form #visibility", "participants")
    page.click("#minutes-form [type=submit]")
    expect(page.locator("#minutes-text h2")).to_have_text("Acuerdos")
    expect(page.locator("#minutes-edited")).to_contain_text("Ana Organiser")

    page.click("#commitments details > summary")
    page.fill("#description", "Compartir el protocolo de atención a migrantes")
    page.select_option("#organisation_id", str(quilicura_id))
    page.fill("#due_on", (date.today() + timedelta(days=3)).isoformat())
    page.click("#commitment-form [type=submit]")
    row = page.locator("table.commitments tr", has_text="Compartir el protocolo")
    expect(row).to_contain_text("Municipalidad de Quilicura")

    page.click("a[href$='/followup/mail']")
    page.fill("#summary", "Gracias por participar en la mesa.")
    page.click("#preview")
    expect(page.locator("#mail-preview")).to_contain_text("Gracias por participar en la mesa.")
    page.click("#send")
    expect(page.locator("#mailings")).to_contain_text("1")

    with live_app.app_context():
        assert deliver_due().sent == 1
    [followup] = smtp_sink.wait_for(1)
    assert str(followup["To"]).endswith("<carla@quilicura.example.org>")
    assert str(followup["Subject"]) == "Seguimiento: Mesa intermunicipal de Lo Prado"
    text = plain_text(followup)
    assert "Compromisos de Municipalidad de Quilicura:" in text
    assert "Compartir el protocolo de atención a migrantes" in text
    registrant_link = re.search(r"http://eventhub\.test(/r/[\w-]+)", text).group(1)
    participant = browser.new_context().new_page()
    participant.goto(f"{live_server}{registrant_link}")
    expect(participant.locator("#minutes-text h2")).to_have_text("Acuerdos")

    result = live_app.test_cli_runner().invoke(args=["reminders", "send"])
    assert "Reminders queued: 1;" in result.output, result.output
    with live_app.app_context():
        assert deliver_due().sent == 1
    reminder = smtp_sink.wait_for(2)[1]
    assert str(reminder["To"]).endswith("<migrantes@quilicura.example.org>")
    owner_link = re.search(r"http://eventhub\.test(/c/[\w-]+)", plain_text(reminder)).group(1)

    contact = browser.new_context().new_page()
    contact.goto(f"{live_server}{owner_link}")
    expect(contact.locator("h1")).to_contain_text("Municipalidad de Quilicura")
    form = contact.locator("form.status-form").first
    form.locator("select").select_option("done")
    form.locator("input[name=note]").fill("Protocolo enviado a las siete comunas")
    form.locator("[type=submit]").click()
    expect(contact.locator(".flash-success")).to_be_visible()
    expect(contact.locator("table.commitments .badge").first).to_have_text("Cumplido")

    page.goto(f"{live_server}/programmes/{programme_id}?status=done")
    chart = page.locator("#chart-commitments")
    expect(chart.locator("svg rect.s1")).to_have_count(1)  # the "done" segment
    quilicura_row = chart.locator("table tr", has_text="Municipalidad de Quilicura")
    expect(quilicura_row.locator("td")).to_have_text(["0", "0", "1", "0"])
    expect(page.locator("#commitments table.commitments")).to_contain_text(
        "Compartir el protocolo de atención a migrantes"
    )
    page.locator("#commitments details.history > summary").first.click()
    expect(page.locator("#commitments details.history")).to_contain_text(
        "Protocolo enviado a las siete comunas"
    )
    expect(page.locator("#commitments details.history")).to_contain_text(
        "Oficina de Migrantes y Refugiados"
    )
