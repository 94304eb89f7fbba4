"""The manager's event page in Chromium: short at 1280 px with a 40-item agenda, its tabs
working without JavaScript, the visitor's page one click away."""

from datetime import UTC, datetime, timedelta

from playwright.sync_api import expect

from eventhub.agenda.models import AgendaItem, AgendaItemSpeaker
from eventhub.events.models import EventOrganisation
from eventhub.extensions import db
from tests.browser.test_event_journey import sign_in
from tests.factories import EventFactory, OrganisationFactory, RegistrationFactory, SpeakerFactory

START = datetime(2027, 3, 30, 12, 0, tzinfo=UTC)
ITEMS = 40
# The manager's page before issue 19 was about 2,800 px at 1280 px with such an event; the
# summary leaves the agenda, the description and the sign-up form to their own pages.
MAX_MANAGER_HEIGHT = 1400


def _crowded_event(app) -> int:
    with app.app_context():
        event = EventFactory(
            title="Mesa intermunicipal de Lo Prado",
            published=True,
            registration_mode="open",
            capacity=300,
            starts_at=START,
            ends_at=START + timedelta(hours=8),
            venue_name="Centro Cultural Lo Prado",
            venue_address="Av. San Pablo 5959, Lo Prado",
            description="Una jornada de trabajo entre oficinas municipales de migración.\n\n" * 3,
        )
        speakers = [SpeakerFactory(name=f"Oradora {n}") for n in range(8)]
        for n in range(ITEMS):
            start = START + timedelta(minutes=10 * n)
            item = AgendaItem(
                title=f"Ponencia {n}: migración y municipios",
                kind="talk",
                starts_at=start,
                ends_at=start + timedelta(minutes=10),
            )
            item.speakers.append(AgendaItemSpeaker(speaker=speakers[n % 8], role="speaker"))
            event.agenda_items.append(item)
        for n in range(5):
            org = OrganisationFactory(name=f"Municipalidad {n}")
            db.session.add(EventOrganisation(event=event, organisation=org, role="invited"))
        RegistrationFactory.create_batch(30, event=event, listed=True)
        db.session.commit()
        return event.id


def _height(page) -> int:
    return page.evaluate("document.documentElement.scrollHeight")


def test_the_manager_page_is_short_and_the_visitor_page_one_click_away(
    browser, live_server, live_app
):
    event_id = _crowded_event(live_app)
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    page = context.new_page()
    sign_in(page, live_server)
    page.goto(f"{live_server}/events/{event_id}")
    expect(page.locator(".section-tabs")).to_contain_text(f"Agenda {ITEMS}")
    manager = _height(page)
    assert manager < MAX_MANAGER_HEIGHT, manager
    page.get_by_role("link", name="Ver como visitante").click()
    expect(page.locator("#visitor-view")).to_be_visible()
    expect(page.locator("#register form")).to_be_visible()
    expect(page.locator("#agenda .agenda-item")).to_have_count(ITEMS)
    expect(page.locator(".section-tabs")).to_have_count(0)
    visitor = _height(page)
    assert visitor > 2 * manager, (manager, visitor)
    page.get_by_role("link", name="Volver a la gestión del evento").click()
    expect(page.locator("#tab-summary")).to_have_attribute("aria-current", "page")
    context.close()


def test_the_tabs_work_without_javascript(browser, live_server, live_app):
    event_id = _crowded_event(live_app)
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    sign_in(page, live_server)
    page.goto(f"{live_server}/events/{event_id}")
    tabs = page.locator(".section-tabs")
    tabs.get_by_role("link", name="Agenda").click()
    expect(page.locator("h1")).to_have_text("Agenda")
    expect(page.locator("#agenda .agenda-item")).to_have_count(ITEMS)
    expect(page.locator("#tab-agenda")).to_have_attribute("aria-current", "page")
    for name, heading in (
        ("Invitaciones", "Invitaciones"),
        ("Participantes", "Participantes"),
        ("Acreditación", "Acreditación"),
        ("Seguimiento", "Seguimiento"),
    ):
        page.locator(".section-tabs").get_by_role("link", name=name).click()
        expect(page.locator("h1")).to_contain_text(heading)
    page.locator(".section-tabs").get_by_role("link", name="Resumen").click()
    expect(page.locator("#summary")).to_contain_text("30 de 300 cupos ocupados")
    context.close()
