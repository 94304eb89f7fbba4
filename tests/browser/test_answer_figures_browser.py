"""The figures by answer in Chromium: axe-core finds nothing serious on the programme page
(shareable and exact views) and the event page, on a desktop and on a phone."""

import pytest

from tests.browser.test_accessibility import AXE, VIEWPORTS, axe_violations
from tests.test_question_figures import build_world

pytestmark = pytest.mark.skipif(
    not AXE.exists(), reason="axe-core missing: run 'npm ci' in tests/browser"
)


@pytest.mark.parametrize("viewport", sorted(VIEWPORTS))
def test_figures_by_answer_are_accessible(browser, live_app, live_server, viewport):
    world = build_world(live_app)
    context = browser.new_context(bypass_csp=True, viewport=VIEWPORTS[viewport])
    page = context.new_page()
    page.goto(f"{live_server}/login")
    page.fill("#email", "organiser@example.org")
    page.fill("#password", "correct horse battery")
    page.click("main form [type=submit]")
    page.wait_for_url(f"{live_server}/")  # sign-in lands on the home
    found = []
    for path in (
        f"/programmes/{world['programme']}",
        f"/programmes/{world['programme']}?exact=1&by=region",
        f"/events/{world['first']}",
    ):
        response = page.goto(live_server + path)
        assert response is not None and response.ok, path
        assert page.locator("#answers-gender").count() == 1, path
        found += [f"{path}: {violation}" for violation in axe_violations(page)]
    assert "<5" in (page.locator("#answers-gender svg title").nth(2).text_content() or "")
    context.close()
    assert not found, "\n".join(found)
