"""axe-core on every main page: anonymous and signed in, Spanish and English, desktop and phone.

No serious or critical violation. axe-core comes from npm (tests/browser/package.json; scripts/test
runs ``npm ci``); without it the test is skipped with the command to run.
"""

import threading
from pathlib import Path

import pytest
from sqlalchemy import select
from werkzeug.serving import make_server

from eventhub import create_app
from eventhub.extensions import db
from eventhub.registrations.models import Registration
from eventhub.registrations.services import checkin_code
from tests.conftest import base_config
from tests.crawl import crawl, local_path
from tests.factories import TEST_PASSWORD
from tests.world import ADMIN_EMAIL, build_world, clients

AXE = Path(__file__).parent / "node_modules" / "axe-core" / "axe.min.js"
VIEWPORTS = {"desktop": {"width": 1280, "height": 800}, "phone": {"width": 375, "height": 812}}
PAGES = {
    "anonymous": [
        "events.list_events",
        "events.show_event",
        "auth.login",
        "auth.forgot_password",
        "auth.reset_password",
        "auth.accept_invitation",
        "registrations.manage",
        "invitations.respond",
        "invitations.opt_out",
        "calendar.month_view",
        "followup.owner_commitments",
    ],
    "admin": [
        "main.index",  # the organiser's home
        "events.list_events",
        "events.show_event",
        "events.create_event",
        "events.clone_event",
        "events.edit_image",
        "organisations.list_organisations",
        "organisations.show_organisation",
        "people.list_speakers",
        "people.show_speaker",
        "calendar.month_view",
        "calendar.my_feed",
        "auth.account",
        "auth.list_users",
        "auth.invite_user",
        "mail.outbox",
        "mail.show_message",
        "registrations.participants",
        "registrations.door",
        "invitations.list_invitations",
        "reminders.schedule",
        "invitations.invite",
        "agenda.edit_item",
        "events.manage_agenda",
        "followup.event_followup",
        "followup.followup_mail_page",
        "messages.event_messages",
        "events.show_programme",
        "questions.list_questions",
        "questions.edit_question",
        "questions.copy_questions",
        # the "are you sure?" pages (one template for all three irreversible buttons)
        "registrations.remove",
        "events.cancel_event",
    ],
}

pytestmark = pytest.mark.skipif(
    not AXE.exists(), reason="axe-core missing: run 'npm ci' in tests/browser"
)


@pytest.fixture(scope="module")
def a11y_site(tmp_path_factory):
    tmp_path = tmp_path_factory.mktemp("a11y")
    config = base_config(f"sqlite:///{tmp_path / 'a11y.sqlite'}", tmp_path)
    # Short pages, so that the participants page shows its page links and counts by status.
    app = create_app({**config, "PARTICIPANTS_PER_PAGE": 2})
    with app.app_context():
        db.create_all()
    world = build_world(app)
    site = crawl(app, clients(app), world.seeds, limit_per_endpoint=2)
    urls = {}
    for role, endpoints in PAGES.items():
        for endpoint in endpoints:
            page = site.pages.get((endpoint, role))
            assert page is not None and page.status == 200, f"{endpoint} not found as {role}"
            urls[(role, endpoint)] = local_path(page.url)
    # The reminders' "free your place" question, behind a registrant's personal link.
    personal_page = urls[("anonymous", "registrations.manage")]
    urls[("anonymous", "registrations.confirm_cancel")] = f"{personal_page}/cancel"
    # The registration form (an open event, with its image: tests/world.py) and the door's
    # check-in page (a QR code's link).
    urls[("anonymous", "registrations.register")] = f"/events/{world.open_event_id}"
    with app.app_context():
        registration = db.session.scalars(
            select(Registration).where(Registration.event_id == world.open_event_id)
        ).first()
        urls[("admin", "registrations.checkin")] = f"/checkin/{checkin_code(registration)}"
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}", urls
    server.shutdown()
    thread.join(timeout=5)
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def sign_in_admin(page, base: str, language: str = "es") -> None:
    page.goto(f"{base}/login")
    page.fill("#email", ADMIN_EMAIL)
    page.fill("#password", TEST_PASSWORD)
    page.click("main form [type=submit]")
    page.wait_for_url(f"{base}/")  # sign-in lands on the home
    if language == "en":
        page.click("button[name=lang][value=en]")
        page.wait_for_load_state()


def axe_violations(page) -> list[dict]:
    page.add_script_tag(path=str(AXE))
    return page.evaluate(
        """async () => {
            const result = await axe.run(document, {resultTypes: ["violations"]});
            return result.violations
                .filter(v => v.impact === "serious" || v.impact === "critical")
                .map(v => ({id: v.id, impact: v.impact, help: v.help,
                            targets: v.nodes.slice(0, 3).map(n => n.target.join(" "))}));
        }"""
    )


@pytest.mark.parametrize("viewport", sorted(VIEWPORTS))
@pytest.mark.parametrize("language", ["es", "en"])
def test_no_serious_accessibility_violations(a11y_site, browser, language, viewport):
    base, urls = a11y_site
    found = []
    for role in PAGES:
        # The CSP forbids injected scripts; axe is ours, so only this context bypasses it.
        context = browser.new_context(bypass_csp=True, viewport=VIEWPORTS[viewport])
        page = context.new_page()
        if role == "admin":
            page.goto(f"{base}/login")
            page.fill("#email", ADMIN_EMAIL)
            page.fill("#password", TEST_PASSWORD)
            page.click("main form [type=submit]")
            page.wait_for_url(f"{base}/")
        page.goto(f"{base}/login" if role == "anonymous" else f"{base}/events/")
        if language == "en":
            page.click("button[name=lang][value=en]")
            page.wait_for_load_state()
        for (page_role, endpoint), path in urls.items():
            if page_role != role:
                continue
            response = page.goto(base + path)
            assert response.ok, f"{endpoint} answered {response.status}"
            assert page.locator("html").get_attribute("lang") == language, endpoint
            found += [f"{role} {endpoint}: {v}" for v in axe_violations(page)]
        context.close()
    assert not found, "\n".join(found)


@pytest.mark.parametrize("language", ["es", "en"])
def test_the_invitation_preview_has_no_serious_accessibility_violations(
    a11y_site, browser, language
):
    """The form after "Preview": the recipients and the email itself, in both languages."""
    base, urls = a11y_site
    context = browser.new_context(bypass_csp=True, viewport=VIEWPORTS["desktop"])
    page = context.new_page()
    sign_in_admin(page, base, language)
    page.goto(base + urls[("admin", "invitations.invite")])
    page.locator("input[name=organisation_ids]").first.check()
    page.fill("#note", "Traigan **dos propuestas**.")
    page.click("#invite-form #preview")
    page.wait_for_selector("#mail-preview-en")
    found = axe_violations(page)
    context.close()
    assert not found, "\n".join(map(str, found))
