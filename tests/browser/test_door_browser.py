"""Check-in at the door on a phone: search by name, mark arrived, undo; add a walk-in."""

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from eventhub.extensions import db
from eventhub.registrations.models import Registration
from tests.browser.test_accessibility import AXE, axe_violations
from tests.browser.test_event_journey import sign_in
from tests.factories import EventFactory, OrganisationFactory, RegistrationFactory

PHONE = {"width": 390, "height": 844}


def test_check_in_by_search_on_a_phone(browser, live_server, live_app):
    with live_app.app_context():
        event = EventFactory(title="Mesa de Lo Prado", published=True, registration_mode="open")
        for name in ("Ana Pérez", "Bruno Díaz", "Carla Soto"):
            RegistrationFactory(event=event, name=name)
        db.session.commit()
        event_id = event.id

    phone = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True)
    page = phone.new_page()
    sign_in(page, live_server)
    page.goto(f"{live_server}/events/{event_id}/checkin")
    counts = page.locator("#arrival-counts")
    expect(counts).to_contain_text("0 de 3")
    page.fill("#q", "bruno")
    page.press("#q", "Enter")
    rows = page.locator(".door-list li")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("Bruno Díaz")
    button = rows.first.locator("button")
    box = button.bounding_box()
    assert box["height"] >= 40  # a thumb can hit it
    button.tap()
    expect(counts).to_contain_text("1 de 3")
    expect(page.locator(".door-list li.arrived")).to_contain_text("Bruno Díaz")
    page.locator(".door-list li.arrived button").tap()
    expect(counts).to_contain_text("0 de 3")
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    phone.close()


SMALL_PHONE = {"width": 375, "height": 667}


def _full_event(live_app) -> int:
    with live_app.app_context():
        event = EventFactory(
            title="Mesa de Renca", published=True, registration_mode="open", capacity=2
        )
        for name in ("Ana Pérez", "Bruno Díaz"):
            RegistrationFactory(event=event, name=name)
        RegistrationFactory(event=event, name="Carla Soto", status="waiting")
        OrganisationFactory(name="Municipalidad de Renca")
        db.session.commit()
        return event.id


def test_walk_in_on_a_small_phone(browser, live_server, live_app):
    event_id = _full_event(live_app)
    phone = browser.new_context(viewport=SMALL_PHONE, is_mobile=True, has_touch=True)
    page = phone.new_page()
    sign_in(page, live_server)
    page.goto(f"{live_server}/events/{event_id}/checkin")
    # Search first: the box is the page's first field, on the first screen, and has the focus.
    search = page.locator("#q")
    assert page.locator("main input:visible, main select:visible").first.get_attribute("id") == "q"
    assert search.bounding_box()["y"] < page.locator(".door-list").bounding_box()["y"]
    assert search.bounding_box()["y"] + search.bounding_box()["height"] < SMALL_PHONE["height"] / 2
    expect(search).to_be_focused()
    counts = page.locator("#arrival-counts")
    expect(counts).to_contain_text("0 de 2")
    # Typing filters the list (the script), the same as the form's GET would.
    search.fill("ana")
    expect(page.locator(".door-list > li")).to_have_count(1)
    expect(page.locator(".door-list > li").first).to_contain_text("Ana Pérez")

    page.locator("#walk-in summary").tap()
    page.fill("#name", "Diego Rojas")
    page.select_option("#organisation_id", label="Municipalidad de Renca")
    page.locator("#walk-in button[type=submit], #walk-in input[type=submit]").tap()
    expect(page.locator(".flash")).to_contain_text("Diego Rojas se agregó")
    row = page.locator(".door-list > li.arrived")
    expect(row).to_contain_text("Diego Rojas")
    expect(row).to_contain_text("Municipalidad de Renca")
    expect(row.locator(".badge")).to_contain_text("sin inscripción")
    expect(counts).to_contain_text("1 de 3")  # counted, though the event was full

    # A refusal stays on the page, the form open, its message beside the field.
    page.locator("#walk-in summary").tap()
    page.fill("#name", "Elena")
    page.fill("#email", "no es un correo")
    page.locator("#walk-in button[type=submit], #walk-in input[type=submit]").tap()
    expect(page.locator("#email-errors")).to_be_visible()
    expect(page.locator("#walk-in")).to_have_attribute("open", "")
    assert page.evaluate("document.documentElement.scrollWidth") <= SMALL_PHONE["width"]
    phone.close()
    with live_app.app_context():
        diego = db.session.scalars(
            select(Registration).where(Registration.name == "Diego Rojas")
        ).one()
        assert diego.walk_in and diego.checked_in_at is not None
        carla = db.session.scalars(
            select(Registration).where(Registration.name == "Carla Soto")
        ).one()
        assert carla.status == "waiting"


@pytest.mark.skipif(not AXE.exists(), reason="axe-core missing: run 'npm ci' in tests/browser")
def test_door_page_with_the_walk_in_form_open_passes_axe(browser, live_server, live_app):
    event_id = _full_event(live_app)
    context = browser.new_context(viewport=SMALL_PHONE, bypass_csp=True)  # axe is injected
    page = context.new_page()
    sign_in(page, live_server)
    page.goto(f"{live_server}/events/{event_id}/checkin")
    page.locator("#walk-in summary").click()
    assert axe_violations(page) == []
    page.fill("#email", "no es un correo")
    page.locator("#walk-in button[type=submit], #walk-in input[type=submit]").click()
    expect(page.locator("#name-errors")).to_be_visible()
    assert axe_violations(page) == []
    context.close()
