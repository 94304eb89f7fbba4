"""Sessions in a real browser: sign in on two devices, see both on the account page, end
the other one from here, and find it signed out there."""

from playwright.sync_api import expect

from tests.browser.test_event_journey import sign_in

PHONE = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1"
)


def test_list_sessions_and_end_the_other_device(page, browser, live_server):
    phone_context = browser.new_context(user_agent=PHONE)
    phone = phone_context.new_page()
    sign_in(phone, live_server)
    sign_in(page, live_server)

    page.click("header .session-tools a:has-text('Ana Organiser')")
    expect(page.locator("h1")).to_have_text("Su cuenta")
    rows = page.locator("#sessions tbody tr")
    expect(rows).to_have_count(2)
    this_browser = rows.filter(has_text="este navegador")
    expect(this_browser).to_contain_text("Chrome en Linux")
    expect(this_browser.locator("button")).to_have_count(0)  # this one ends by signing out
    other = rows.filter(has_text="Safari en iPhone")
    other.get_by_role("button", name="Cerrar esta sesión").click()

    expect(page.locator(".flash")).to_have_text("La sesión se cerró.")
    expect(page.locator("#sessions tbody tr")).to_have_count(1)

    phone.goto(f"{live_server}/organisations/")
    expect(phone).to_have_url(f"{live_server}/login?next=%2Forganisations%2F")
    page.goto(f"{live_server}/organisations/")
    expect(page.locator("h1")).not_to_have_text("Iniciar sesión")
    phone_context.close()


def test_signing_out_ends_the_session_in_every_tab(page, browser, live_server):
    sign_in(page, live_server)
    cookies = page.context.cookies()
    page.get_by_role("button", name="Cerrar sesión").click()
    expect(page).to_have_url(f"{live_server}/login")
    # The same cookie, replayed in a fresh browser, opens nothing.
    copy = browser.new_context()
    copy.add_cookies(cookies)
    replay = copy.new_page()
    replay.goto(f"{live_server}/account/password")
    expect(replay).to_have_url(f"{live_server}/login?next=%2Faccount%2Fpassword")
    copy.close()
