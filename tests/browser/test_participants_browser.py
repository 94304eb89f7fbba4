"""The participants list of a large event on a phone (375 px): search, a status's count as a
filter, and the pages, all without script."""

from playwright.sync_api import expect

from tests.browser.test_event_journey import sign_in
from tests.test_participants_list import event_with_people

PHONE = {"width": 375, "height": 812}


def test_search_and_pages_of_the_participants_on_a_phone(browser, live_server, live_app):
    event_id = event_with_people(live_app, 120)
    phone = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True)
    page = phone.new_page()
    sign_in(page, live_server)
    page.goto(f"{live_server}/events/{event_id}/participants")
    shown = page.locator("#shown-count")
    expect(shown).to_contain_text("120 personas")
    rows = page.locator("#participants tbody tr")
    expect(rows).to_have_count(50)

    # The pages: numbers and next, the search kept.
    pages = page.get_by_role("navigation", name="Páginas")
    pages.get_by_role("link", name="Página 3").tap()
    expect(rows).to_have_count(20)
    expect(shown).to_contain_text("101–120 en esta página")
    pages.get_by_role("link", name="Anterior").tap()
    expect(rows).to_have_count(50)
    expect(pages.locator('[aria-current="page"]')).to_contain_text("2")

    # Search by organisation, then keep only the waiting list by its count.
    page.fill("#q", "quilicura")
    page.press("#q", "Enter")
    expect(shown).to_contain_text("40 personas")
    expect(rows).to_have_count(40)
    expect(page.locator(".pagination")).to_have_count(0)
    page.locator("#status-counts").get_by_role("link", name="Lista de espera: 2").tap()
    expect(rows).to_have_count(2)
    expect(page.locator("#q")).to_have_value("quilicura")
    expect(page.locator("#status")).to_have_value("waiting")
    for n in range(2):
        expect(rows.nth(n).locator(".status-waiting")).to_have_text("Lista de espera")
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    phone.close()
