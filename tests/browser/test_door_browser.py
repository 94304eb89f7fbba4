"""Check-in at the door on a phone: search by name, mark arrived, undo."""

from playwright.sync_api import expect

from eventhub.extensions import db
from tests.browser.test_event_journey import sign_in
from tests.factories import EventFactory, RegistrationFactory

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
