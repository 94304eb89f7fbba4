"""Nothing clipped on a phone (375 px) or a laptop (1280 px): the door list, the participants
table, the folding menu and the event's toolbar.

"Clipped" is measured, not eyeballed: every control's box lies inside the viewport and inside
its scrolling container, the container needs no horizontal scroll (scrollWidth ≤ clientWidth),
and no control's own text overflows it.
"""

import pytest
from playwright.sync_api import expect

from eventhub.extensions import db
from tests.browser.layout import assert_nothing_clipped
from tests.browser.test_event_journey import sign_in
from tests.factories import EventFactory, OrganisationFactory, RegistrationFactory

WIDTHS = {"phone": 375, "laptop": 1280}
LONG_NAME = "Maximiliano" * 8  # no spaces: the browser cannot break it by itself
LONG_EMAIL = "coordinacion.oficina.migrantes.y.refugiados@municipalidad-de-pedro-aguirre-cerda.cl"


@pytest.fixture
def crowded_event(live_app):
    with live_app.app_context():
        event = EventFactory(
            title="Mesa intermunicipal de Lo Prado",
            published=True,
            registration_mode="open",
            capacity=3,
        )
        org = OrganisationFactory(name="Municipalidad de Pedro Aguirre Cerda")
        RegistrationFactory(event=event, name=LONG_NAME, email=LONG_EMAIL, organisation=org)
        RegistrationFactory(
            event=event,
            name="Ana Pérez Cotapos",
            needs="Intérprete de lengua de señas chilena y acceso para silla de ruedas",
            organisation=org,
        )
        RegistrationFactory(event=event, name="Bruno Díaz", status="pending")
        RegistrationFactory(event=event, name="Carla Soto", status="waiting")
        RegistrationFactory(event=event, name="Darío Paz", status="cancelled")
        db.session.commit()
        return event.id


@pytest.mark.parametrize("width", WIDTHS.values(), ids=WIDTHS.keys())
def test_the_participants_table_shows_every_action_whole(
    browser, live_server, crowded_event, width
):
    context = browser.new_context(viewport={"width": width, "height": 900})
    page = context.new_page()
    sign_in(page, live_server)
    page.goto(f"{live_server}/events/{crowded_event}/participants")
    assert_nothing_clipped(page, ".table-wrap", width)
    for label in ("Cancelar", "Aprobar", "Rechazar", "Confirmar", "Restaurar"):
        expect(page.locator("#participants").get_by_text(label).first).to_be_visible()
    context.close()


@pytest.mark.parametrize("width", WIDTHS.values(), ids=WIDTHS.keys())
def test_the_door_list_keeps_the_arrived_button_on_screen(
    browser, live_server, crowded_event, width
):
    context = browser.new_context(viewport={"width": width, "height": 900}, has_touch=True)
    page = context.new_page()
    sign_in(page, live_server)
    page.goto(f"{live_server}/events/{crowded_event}")
    page.locator(".toolbar").get_by_role("link", name="Acreditación").click()
    expect(page.locator("h1")).to_contain_text("Acreditación")
    assert_nothing_clipped(page, ".door-list", width)
    row = page.locator(".door-list li", has_text=LONG_NAME[:30])
    button = row.get_by_role("button", name="Llegó")
    box = button.bounding_box()
    assert box["x"] + box["width"] <= width and box["height"] >= 40
    button.tap()
    expect(page.locator(".door-list li.arrived")).to_contain_text(LONG_NAME[:30])
    context.close()


def test_the_menu_folds_on_a_phone_and_stays_open_on_a_laptop(browser, live_server):
    phone = browser.new_context(viewport={"width": 375, "height": 812}, is_mobile=True)
    page = phone.new_page()
    sign_in(page, live_server)
    header = page.locator(".site-header")
    outbox = page.get_by_role("link", name="Bandeja de salida", exact=True)
    expect(outbox).to_be_hidden()
    assert header.bounding_box()["height"] < 100  # the links no longer fill half the screen
    toggle = page.locator("summary", has_text="Menú")
    assert toggle.bounding_box()["height"] >= 40
    toggle.click()
    expect(outbox).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    outbox.click()
    expect(page.locator("h1")).to_be_visible()
    phone.close()

    laptop = browser.new_context(viewport={"width": 1280, "height": 800})
    page = laptop.new_page()
    sign_in(page, live_server)
    expect(page.get_by_role("link", name="Bandeja de salida", exact=True)).to_be_visible()
    expect(page.locator("summary")).to_be_hidden()
    assert page.locator(".site-header").bounding_box()["height"] < 120
    laptop.close()
