"""Build an agenda in a real browser, reorder it by changing a time, read it publicly."""

from datetime import UTC, datetime, timedelta

from playwright.sync_api import expect

from eventhub.extensions import db
from tests.browser.test_event_journey import sign_in
from tests.factories import EventFactory, SpeakerFactory

# 30 March 2027 in Santiago is UTC-3 (summer time ends in April).
START = datetime(2027, 3, 30, 12, 30, tzinfo=UTC)  # 09:30 local


def add_item(page, live_server, event_id, title, start, end, speakers=()):
    page.goto(f"{live_server}/events/{event_id}/agenda/new")
    page.fill("#title", title)
    page.fill("#starts_at", f"2027-03-30T{start}")
    page.fill("#ends_at", f"2027-03-30T{end}")
    for row, (name, role) in enumerate(speakers):
        page.select_option(f"#speakers-{row}-speaker_id", label=name)
        page.select_option(f"#speakers-{row}-role", role)
    page.click("#agenda-item-form [type=submit].primary")
    expect(page.locator("#agenda")).to_contain_text(title)


def test_build_reorder_and_read_agenda(page, live_server, live_app, browser):
    with live_app.app_context():
        event = EventFactory(
            title="Mesa intermunicipal de Lo Prado",
            starts_at=START,
            ends_at=START + timedelta(hours=3, minutes=30),
            published=True,
        )
        SpeakerFactory(name="Fernando Cejudo")
        SpeakerFactory(name="Branislav Marelic")
        db.session.commit()
        event_id = event.id

    sign_in(page, live_server)
    add_item(
        page, live_server, event_id, "Bienvenida", "09:30", "09:45", [("Fernando Cejudo", "host")]
    )
    add_item(
        page,
        live_server,
        event_id,
        "Migración y derechos humanos",
        "09:45",
        "10:30",
        [("Branislav Marelic", "speaker")],
    )
    add_item(
        page,
        live_server,
        event_id,
        "Mesa de trabajo",
        "10:30",
        "12:00",
        [("Fernando Cejudo", "moderator")],
    )

    titles = page.locator("#agenda .agenda-title strong")
    expect(titles).to_have_text(["Bienvenida", "Migración y derechos humanos", "Mesa de trabajo"])

    # Reorder by changing times: the round table now follows the welcome, the talk closes.
    def edit(title, start, end):
        page.locator("#agenda .agenda-item", has_text=title).get_by_role(
            "link", name=f"Editar {title}"
        ).click()
        page.fill("#starts_at", f"2027-03-30T{start}")
        page.fill("#ends_at", f"2027-03-30T{end}")
        page.click("#agenda-item-form [type=submit].primary")

    edit("Mesa de trabajo", "09:45", "11:15")
    edit("Migración y derechos humanos", "11:15", "12:00")
    expect(titles).to_have_text(["Bienvenida", "Mesa de trabajo", "Migración y derechos humanos"])

    visitor = browser.new_context()
    public = visitor.new_page()
    public.goto(f"{live_server}/events/{event_id}")
    items = public.locator("#agenda .agenda-item")
    expect(items).to_have_count(3)
    expect(items.nth(0)).to_contain_text("09:30–09:45")
    expect(items.nth(0)).to_contain_text("Fernando Cejudo")
    expect(items.nth(1)).to_contain_text("09:45–11:15")
    expect(items.nth(1)).to_contain_text("Mesa de trabajo")
    expect(items.nth(2)).to_contain_text("11:15–12:00")
    expect(items.nth(2)).to_contain_text("Branislav Marelic")
    expect(public.locator("#speakers")).to_contain_text("Branislav Marelic")
    expect(public.locator(".agenda-actions")).to_have_count(0)

    public.goto(f"{live_server}/events/{event_id}/agenda")
    public.emulate_media(media="print")
    expect(public.locator(".site-header")).to_be_hidden()
    pdf = public.pdf(format="A4")
    assert pdf.startswith(b"%PDF") and pdf.count(b"/Type /Page") - pdf.count(b"/Type /Pages") <= 2
    visitor.close()
