"""What a person reads where states used to be wrong: waiting list, cancelled registration,
cancelled event, the directory's filters, the programme matrix and mail kept in the outbox."""

import re
from datetime import UTC, datetime

from playwright.sync_api import expect
from sqlalchemy import select

from eventhub.events.models import Event, EventOrganisation
from eventhub.events.services import cancel_event
from eventhub.extensions import db
from eventhub.invitations import services as invitations
from eventhub.mail.models import OutboxMessage
from eventhub.mail.worker import deliver_due
from eventhub.registrations.models import Registration
from tests.browser.test_event_journey import sign_in
from tests.factories import (
    ContactFactory,
    EventFactory,
    OrganisationFactory,
    ProgrammeFactory,
    RegistrationFactory,
    UserFactory,
)


def link_in_mail(app, email: str, kind: str) -> str:
    with app.app_context():
        bodies = db.session.scalars(
            select(OutboxMessage.text_body)
            .where(OutboxMessage.to_address == email)
            .order_by(OutboxMessage.id.desc())
        )
        for body in bodies:
            if found := re.search(rf"http://eventhub\.test(/{kind}/[\w-]+)", body):
                return found.group(1)
    raise AssertionError(f"no /{kind}/ link mailed to {email}")


def test_an_invitee_on_the_waiting_list_cancels_and_accepts_again(page, live_server, live_app):
    with live_app.app_context():
        event = EventFactory(title="Mesa llena", published=True, capacity=1)
        RegistrationFactory(event=event, name="Quien llegó antes")
        invitations.send_invitations(
            event,
            invitations.plan_invitations(event, [], False, [], "invitada@example.org", "es"),
            db.session.scalars(select(UserFactory._meta.model)).first(),
        )
        db.session.commit()
        event_id = event.id
    link = link_in_mail(live_app, "invitada@example.org", "i")

    page.goto(f"{live_server}{link}")
    page.fill("#name", "Inés Invitada")
    page.click("#accept-form [type=submit]")
    expect(page.locator(".flash-success")).to_contain_text("número 1 en la lista de espera")
    expect(page.locator(".answer")).to_contain_text("el evento está completo")
    expect(page.locator("main")).not_to_contain_text("su cupo está confirmado")

    # From the registration mail's link, the invitee cancels.
    page.goto(f"{live_server}{link_in_mail(live_app, 'invitada@example.org', 'r')}")
    page.click("#cancel-form button")
    page.goto(f"{live_server}{link}")
    expect(page.locator(".answer")).to_contain_text("Su inscripción está cancelada")
    expect(page.locator("#accept-form")).to_be_visible()

    # The organiser no longer counts her as accepted.
    organiser = page.context.browser.new_page()
    sign_in(organiser, live_server)
    organiser.goto(f"{live_server}/events/{event_id}/invitations")
    expect(organiser.locator("#invitations")).to_contain_text("Inscripción cancelada")
    expect(organiser.locator(".org-counts")).to_contain_text("0 aceptaron")
    organiser.close()

    page.click("#accept-form [type=submit]")
    expect(page.locator(".answer")).to_contain_text("número 1 en la lista de espera")
    with live_app.app_context():
        status = db.session.scalar(
            select(Registration.status).where(Registration.email == "invitada@example.org")
        )
        assert status == "waiting"


def test_the_directory_and_a_cancelled_event_show_nothing_wrong(page, live_server, live_app):
    with live_app.app_context():
        OrganisationFactory(name="Municipalidad de Talca", region="Maule")
        event = EventFactory(
            title="Mesa cancelada", published=True, registration_mode="open", capacity=40
        )
        cancel_event(event, notify_registrants=False)
        db.session.commit()
        event_id = event.id
    sign_in(page, live_server)
    for language in ("Español", "English"):
        page.goto(f"{live_server}/organisations/")
        if language == "English":
            page.get_by_role("button", name="English").click()
        expect(page.locator("#organisations")).to_contain_text("Municipalidad de Talca")
        expect(page.locator(".errors")).to_have_count(0)
        expect(page.locator("[aria-invalid=true]")).to_have_count(0)
    page.get_by_role("button", name="Español").click()

    page.goto(f"{live_server}/events/{event_id}")
    expect(page.locator(".banner-cancelled")).to_be_visible()
    main = page.locator("main")
    expect(main).not_to_contain_text("Agregar al calendario")
    expect(main).not_to_contain_text("Inscripción abierta")
    expect(main).not_to_contain_text("40 cupos")
    expect(page.locator("#register")).to_have_count(0)
    expect(page.locator("#cancelled-ics a")).to_contain_text("marca el evento como cancelado")


def test_the_programme_matrix_explains_itself(page, live_server, live_app):
    with live_app.app_context():
        programme = ProgrammeFactory(name="Mesas 2027")
        host = OrganisationFactory(name="OIM Chile")
        town = OrganisationFactory(name="Municipalidad de Renca")
        past = EventFactory(
            programme=programme, published=True, starts_at=datetime(2025, 5, 6, 14, tzinfo=UTC)
        )
        EventFactory(programme=programme, published=True, host_organisation=host)
        db.session.add(EventOrganisation(event=past, organisation=host, role="co_organiser"))
        RegistrationFactory(event=past, organisation=town, checked_in_at=past.starts_at)
        db.session.commit()
        programme_id = programme.id
    sign_in(page, live_server)
    page.goto(f"{live_server}/programmes/{programme_id}")
    table = page.locator("#attendance")
    legend = page.locator("#attendance-legend")
    expect(legend).to_contain_text("ya realizados")
    assert table.get_attribute("aria-describedby") == "attendance-legend"
    expect(table.locator("thead")).to_contain_text("Asistió a")
    expect(table.locator("thead")).to_contain_text("por realizarse")
    host_row = table.locator("tr", has_text="OIM Chile")
    expect(host_row).to_contain_text("Anfitrión")
    expect(host_row).to_contain_text("Coorganizador")
    town_row = table.locator("tr", has_text="Municipalidad de Renca")
    expect(town_row).to_contain_text("1 de 1")
    expect(table).not_to_contain_text("nunca vino")


def test_mail_kept_without_a_mail_server_says_so(page, live_server, live_app):
    assert live_app.config["MAIL_BACKEND"] == "sink"
    with live_app.app_context():
        event = EventFactory(title="Desayuno empresarial", published=True)
        org = OrganisationFactory(name="Municipalidad de Quilicura")
        ContactFactory(organisation=org, email="migrantes@quilicura.example.org", is_primary=True)
        db.session.commit()
        event_id, org_id = event.id, org.id
    sign_in(page, live_server)
    page.goto(f"{live_server}/events/{event_id}/invitations/new")
    page.check(f"input[name=organisation_ids][value='{org_id}']")
    page.click("#invite-form #preview")
    page.click("#invite-form #send")
    expect(page.locator(".flash-success")).to_contain_text("1 invitación en cola de envío")
    with live_app.app_context():
        assert deliver_due().kept == 1
    page.goto(f"{live_server}/outbox/")
    expect(page.locator("#mail-kept-banner")).to_contain_text("Ningún correo sale de esta máquina")
    row = page.locator("#outbox tbody tr").first
    expect(row).to_contain_text("Guardado, no enviado")
    expect(row).to_contain_text("Invitación")
    expect(row).not_to_contain_text("invitation")
    page.goto(f"{live_server}/events/{event_id}/invitations")
    expect(page.locator("main")).not_to_contain_text("1 invitados")
    with live_app.app_context():
        assert db.session.get(Event, event_id).title == "Desayuno empresarial"
