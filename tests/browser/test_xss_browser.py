"""Script payloads in every stored text field, every page visited in Chromium: nothing runs.

The demo world is loaded, then every free-text column of every table (titles, descriptions,
venues, agenda items, organisation and contact names, speaker bios, registration names,
mail subjects...) is overwritten with payloads; URL columns get a ``javascript:`` URL. Mail is
then queued through the app so the outbox shows the payloads too. Every page the crawler finds
(anonymous and admin) is opened in the browser: ``window.__xss`` stays undefined, no dialog
opens, no link or form points at ``javascript:``. The pages are opened with the CSP bypassed,
so the escaping is tested on its own; the policy is tested on its own below.
"""

import threading

import pytest
from sqlalchemy import String, cast, literal, select, update
from werkzeug.serving import make_server

from eventhub import create_app
from eventhub.events.models import Event
from eventhub.extensions import db
from tests.conftest import base_config
from tests.crawl import crawl, local_path
from tests.factories import TEST_PASSWORD
from tests.world import ADMIN_EMAIL, build_world, clients

PAYLOAD = '<script>window.__xss=1</script>"><img src=x onerror=window.__xss=1>'
URL_PAYLOAD = "javascript:window.__xss=1//"
URL_COLUMNS = {"website"}
# Addresses, secrets, identifiers and the app's own HTML mail are not free text.
NOT_TEXT = {"email", "to_address", "reply_to", "message_id", "password_hash", "html_body"}
ENUM_MAX_LENGTH = 64  # kinds, statuses, languages, zones, hashes, salts: short codes


def text_columns():
    for table in db.metadata.sorted_tables:
        for column in table.columns:
            length = getattr(column.type, "length", None)
            if (
                isinstance(column.type, String)
                and column.name not in NOT_TEXT
                and (length is None or length > ENUM_MAX_LENGTH)
                and not column.primary_key
            ):
                yield table, column, length


def poison(app) -> list[str]:
    poisoned = []
    with app.app_context():
        for table, column, length in text_columns():
            value = URL_PAYLOAD if column.name in URL_COLUMNS else f"{PAYLOAD} {column.name} #"
            value = value[: (length or 10_000) - 12]
            # The row id keeps values distinct where a column is unique (organisation names).
            row_id = cast(next(iter(table.primary_key.columns)), String)
            db.session.execute(update(table).values({column.name: literal(value) + row_id}))
            poisoned.append(f"{table.name}.{column.name}")
        db.session.commit()
    return poisoned


@pytest.fixture
def xss_site(tmp_path):
    app = create_app(base_config(f"sqlite:///{tmp_path / 'xss.sqlite'}", tmp_path))
    with app.app_context():
        db.create_all()
    world = build_world(app)
    poisoned = poison(app)
    admin = clients(app)["admin"]
    with app.app_context():
        event_ids = db.session.scalars(select(Event.id)).all()
    for event_id in event_ids:  # mail written after the poisoning carries the payloads
        admin.post(f"/events/{event_id}/invitations/remind")
    site = crawl(app, clients(app), world.seeds, limit_per_endpoint=2)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield app, site, poisoned, f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=5)
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def open_and_check(page, url: str, dialogs: list) -> bool:
    page.goto(url)
    assert page.evaluate("() => window.__xss") is None, f"script ran on {url}"
    assert not dialogs, f"dialog opened on {url}"
    bad = page.locator("[href^='javascript:' i], [action^='javascript:' i], [src^='javascript:' i]")
    assert bad.count() == 0, f"javascript: URL on {url}"
    return "window.__xss=1</script>" in page.locator("body").inner_text()


def test_stored_payloads_never_run_on_any_page(xss_site, browser):
    _app, site, poisoned, base = xss_site
    assert {"event.title", "agenda_item.title", "speaker.bio", "registration.name"} <= set(poisoned)
    shown_on = []
    for role in ("anonymous", "admin"):
        # Without the CSP: escaping alone must stop the payloads (the next test shows that the
        # policy alone would too).
        context = browser.new_context(bypass_csp=True)
        page = context.new_page()
        dialogs = []
        page.on(
            "dialog",
            lambda dialog, dialogs=dialogs: (dialogs.append(dialog.message), dialog.dismiss()),
        )
        if role == "admin":
            page.goto(f"{base}/login")
            page.fill("#email", ADMIN_EMAIL)
            page.fill("#password", TEST_PASSWORD)
            page.click("main form [type=submit]")
            page.wait_for_url(f"{base}/")
        pages = [p for (_, r), p in sorted(site.pages.items()) if r == role and p.html]
        for visited in pages:
            if open_and_check(page, base + local_path(visited.url), dialogs):
                shown_on.append(f"{role} {visited.endpoint}")
        context.close()
    # The payloads were on the pages (as text): the test looked at the right thing.
    assert len(shown_on) >= 15, shown_on
    for endpoint in ("events.show_event", "people.show_speaker", "registrations.participants"):
        assert any(endpoint in entry for entry in shown_on), (endpoint, shown_on)


def test_csp_blocks_inline_script_even_if_markup_got_through(tmp_path, browser):
    """Defence in depth: were a template ever to print raw markup, the policy stops it."""
    app = create_app(base_config(f"sqlite:///{tmp_path / 'csp.sqlite'}", tmp_path))
    app.add_url_rule(
        "/__probe",
        "probe",
        lambda: (
            f"<!doctype html><html><body><p id=p>probe</p>{PAYLOAD}"
            '<a id=j href="javascript:window.__xss=1">j</a></body></html>'
        ),
    )
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        context = browser.new_context()
        page = context.new_page()
        violations = []
        page.on("console", lambda message: violations.append(message.text))
        page.goto(f"http://127.0.0.1:{server.server_port}/__probe")
        page.click("#j")
        page.wait_for_timeout(200)
        assert page.evaluate("() => window.__xss") is None
        assert any("Content Security Policy" in text for text in violations), violations
        context.close()
    finally:
        server.shutdown()
        thread.join(timeout=5)
