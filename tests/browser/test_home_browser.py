"""A first-time organiser signs in and lands on the home; every item leads to its page."""

import re

from playwright.sync_api import expect

from eventhub.extensions import db
from tests.browser.test_event_journey import sign_in
from tests.factories import EventFactory, OrganisationFactory
from tests.test_organiser_home import _busy_event


def test_a_first_time_organiser_lands_on_the_home_and_is_told_what_to_do(page, live_server):
    sign_in(page, live_server)
    expect(page).to_have_url(f"{live_server}/")
    expect(page.locator("h1")).to_have_text("Lo que le espera hoy")
    expect(page.locator("nav[aria-label=Principal] li").first).to_have_text("Inicio")
    drafts = page.locator("#home-drafts")
    expect(drafts).to_contain_text("No hay borradores.")
    drafts.get_by_role("link", name="Crear un evento").click()
    expect(page).to_have_url(f"{live_server}/events/new")
    expect(page.locator("h1")).to_have_text("Nuevo evento")


def test_each_item_of_the_home_leads_to_where_it_is_handled(page, live_server, live_app):
    with live_app.app_context():
        organisation = OrganisationFactory(name="Municipalidad de Quilicura")
        event = _busy_event(organisation, title="Mesa de Quilicura")
        draft = EventFactory(title="Desayuno por preparar")
        db.session.commit()
        event_id, draft_id = event.id, draft.id
    sign_in(page, live_server)
    home = f"{live_server}/"
    expected = [
        ("#home-upcoming", "Mesa de Quilicura", f"/events/{event_id}", "Mesa de Quilicura"),
        (
            "#home-pending",
            "1 espera aprobación",
            f"/events/{event_id}/participants?status=pending",
            "Participantes",
        ),
        (
            "#home-invitations",
            "1 invitación sin respuesta",
            f"/events/{event_id}/invitations?state=no_answer",
            "Invitaciones",
        ),
        (
            "#home-mail",
            "1 mensaje no se pudo entregar",
            "/outbox/?status=failed",
            "Bandeja de salida",
        ),
        (
            "#home-commitments",
            "Enviar el acta de Mesa de Quilicura",
            f"/events/{event_id}/followup#commitment-",
            "Seguimiento",
        ),
        ("#home-drafts", "Desayuno por preparar", f"/events/{draft_id}", "Desayuno por preparar"),
    ]
    for section, text, path, heading in expected:
        page.goto(home)
        page.locator(section).get_by_role("link", name=re.compile(re.escape(text))).click()
        expect(page).to_have_url(re.compile(re.escape(live_server + path)))
        expect(page.locator("h1").first).to_contain_text(heading)
        if "#" in page.url:  # the very commitment, on the follow-up page
            expect(page.locator("#" + page.url.split("#", 1)[1])).to_contain_text(text)
    # The registration the home counted is the one the participants page shows, filtered.
    page.goto(f"{live_server}/events/{event_id}/participants?status=pending")
    expect(page.locator("main table tbody tr")).to_have_count(1)
    expect(page.locator("main table tbody tr")).to_contain_text("Esperando aprobación")
