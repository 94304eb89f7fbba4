"""The interface's parts that need no browser (issue 19): empty pages that say what to do next
with the action as a link, the inline icons, and a stylesheet that fetches nothing from
elsewhere. The browser checks (buttons, focus, the header) are in
tests/browser/test_buttons_browser.py."""

import re
from html import unescape
from pathlib import Path

import pytest
from flask import render_template_string, url_for

from eventhub.events.models import Event
from eventhub.extensions import db
from tests.factories import EventFactory, RegistrationFactory

ROOT = Path(__file__).resolve().parent.parent
ICONS = ("calendar", "place", "people", "mail", "clock", "download", "edit")


def empty_state(html: str, id_: str) -> tuple[str, list[str]]:
    """The words of the empty state ``id_`` on a page, and the addresses it links to."""
    found = re.search(rf'<div class="empty-state" id="{id_}">(.*?)</div>', html, re.S)
    assert found, f"no empty state #{id_} on the page"
    block = found.group(1)
    words = " ".join(unescape(re.sub(r"<[^>]+>", " ", block)).split())
    return words, [
        unescape(href) for href in re.findall(r'<a class="button[^"]*" href="([^"]*)"', block)
    ]


def urls(app, endpoint: str, **values) -> str:
    with app.test_request_context():
        return url_for(endpoint, **values)


@pytest.fixture
def event_id(app, organiser):
    with app.app_context():
        event = EventFactory(title="Mesa vacía", published=True, registration_mode="open")
        db.session.commit()
        return event.id


def test_empty_directory_pages_say_what_to_do_next(app, organiser_client):
    page = organiser_client.get("/events/").get_data(as_text=True)
    words, links = empty_state(page, "empty-events")
    assert "Aún no hay eventos." in words and "Cree el primero" in words
    assert links == [urls(app, "events.create_event")]
    assert "Crear un evento" in words

    page = organiser_client.get("/organisations/").get_data(as_text=True)
    words, links = empty_state(page, "empty-organisations")
    assert "El directorio está vacío." in words
    assert links == [
        urls(app, "organisations.create_organisation"),
        urls(app, "organisations.import_organisations"),
    ]

    page = organiser_client.get("/speakers/").get_data(as_text=True)
    words, links = empty_state(page, "empty-speakers")
    assert "Aún no hay expositores." in words
    assert links == [urls(app, "people.create_speaker")]

    page = organiser_client.get("/outbox/").get_data(as_text=True)
    words, links = empty_state(page, "empty-outbox")
    assert "No hay mensajes." in words and "Invitar organizaciones a un evento" in words
    assert links == [urls(app, "events.list_events")]


def test_a_filter_that_finds_nothing_offers_to_clear_it(app, organiser_client, event_id):
    page = organiser_client.get("/events/?q=ninguno").get_data(as_text=True)
    words, links = empty_state(page, "empty-events")
    assert "Ningún evento coincide." in words and "Quitar los filtros" in words
    assert links == [urls(app, "events.list_events")]
    assert 'class="button primary"' not in page.split('id="empty-events"')[1].split("</div>")[0]

    page = organiser_client.get("/outbox/?status=failed").get_data(as_text=True)
    words, links = empty_state(page, "empty-outbox")
    assert "No hay mensajes con este estado." in words
    assert links == [urls(app, "mail.outbox")]

    page = organiser_client.get("/speakers/?q=nadie").get_data(as_text=True)
    assert empty_state(page, "empty-speakers") == (
        "Ningún expositor coincide. Borrar la búsqueda",
        [urls(app, "people.list_speakers")],
    )


def test_an_events_empty_pages_link_the_next_step(app, organiser_client, event_id):
    page = organiser_client.get(f"/events/{event_id}/invitations").get_data(as_text=True)
    words, links = empty_state(page, "empty-invitations")
    assert words.startswith("Aún no hay invitaciones.") and "Invitar organizaciones" in words
    assert links == [urls(app, "invitations.invite", event_id=event_id)]

    page = organiser_client.get(f"/events/{event_id}/participants").get_data(as_text=True)
    words, links = empty_state(page, "empty-participants")
    assert "Aún no hay nadie." in words
    assert links == [
        urls(app, "invitations.invite", event_id=event_id),
        urls(app, "events.show_event", event_id=event_id),
    ]

    page = organiser_client.get(f"/events/{event_id}/agenda/manage").get_data(as_text=True)
    words, links = empty_state(page, "empty-agenda")
    assert "Aún no hay agenda." in words
    assert links == [urls(app, "agenda.edit_item", event_id=event_id)]

    page = organiser_client.get(f"/events/{event_id}/followup").get_data(as_text=True)
    words, links = empty_state(page, "empty-commitments")
    assert "Aún no hay compromisos." in words
    assert links == ["#commitment-form"]
    assert 'id="commitment-form"' in page  # inside its <details>: the link unfolds it


def test_the_participants_page_with_people_but_no_match(app, organiser_client, event_id):
    with app.app_context():
        RegistrationFactory(event=db.session.get(Event, event_id), name="Ana Pérez")
        db.session.commit()
    page = organiser_client.get(f"/events/{event_id}/participants?q=zzz").get_data(as_text=True)
    words, links = empty_state(page, "empty-participants")
    assert words == "Nadie coincide. Quitar los filtros"
    assert links == [urls(app, "registrations.participants", event_id=event_id)]


def test_visitors_see_the_empty_agenda_as_words_without_management_links(client, event_id):
    page = client.get(f"/events/{event_id}").get_data(as_text=True)
    assert "Aún no hay agenda." in page and 'id="empty-agenda"' not in page


def test_every_icon_is_drawn_hidden_from_screen_readers_and_never_focused(app):
    with app.test_request_context():
        for name in ICONS:
            svg = render_template_string(
                '{% from "_icons.html" import icon %}{{ icon(name) }}', name=name
            )
            assert svg.startswith(f'<svg class="icon icon-{name}" viewBox="0 0 24 24"'), svg
            assert 'aria-hidden="true" focusable="false"' in svg
            assert re.search(r"<(path|rect|circle) ", svg), f"{name} draws nothing"
            assert "style=" not in svg and "http" not in svg.replace("http://www.w3.org", "")


def test_pages_show_icons_beside_their_facts(app, organiser_client, event_id):
    with app.app_context():
        event = db.session.get(Event, event_id)
        event.venue_name = "Municipalidad de Lo Prado"
        RegistrationFactory(event=event, name="Ana Pérez")
        db.session.commit()
    pages = {
        "/events/": ("calendar", "place"),
        f"/events/{event_id}": ("calendar", "place", "mail"),  # the manager's summary
        f"/events/{event_id}?view=public": ("calendar", "place", "download"),
        f"/events/{event_id}/participants": ("people", "download"),
        f"/events/{event_id}/invitations": ("mail",),
    }
    for path, names in pages.items():
        page = organiser_client.get(path).get_data(as_text=True)
        for name in names:
            assert f'<svg class="icon icon-{name}"' in page, f"no {name} icon on {path}"


def test_the_stylesheet_fetches_nothing_from_elsewhere():
    css = (ROOT / "static" / "style.css").read_text()
    assert "@import" not in css
    for address in re.findall(r"url\(\s*['\"]?([^'\")]+)", css):
        assert not re.match(r"([a-z]+:)?//", address), address
    # No template loads a script, style or font from another site either.
    for template in (ROOT / "templates").rglob("*.html"):
        text = template.read_text()
        assert not re.search(r'<(script|link|img|iframe)[^>]+(src|href)="(https?:)?//', text), (
            template
        )
