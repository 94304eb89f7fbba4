"""The event for the people who run it: a summary and tabbed sections for its managers, the
visitor's page one click away (issue 19), and a manager's page that costs little (issue 21)."""

import re
from datetime import UTC, datetime, timedelta

import pytest

from eventhub.agenda.models import AgendaItem, AgendaItemSpeaker
from eventhub.extensions import db
from eventhub.followup.models import Commitment
from eventhub.invitations.models import Invitation
from tests.conftest import login, recorded_statements
from tests.factories import (
    EventFactory,
    OrganisationFactory,
    RegistrationFactory,
    SpeakerFactory,
    UserFactory,
)

START = datetime(2027, 3, 30, 12, 30, tzinfo=UTC)  # 09:30 in Santiago


def _items(event, count: int, first: int = 0) -> None:
    for n in range(first, first + count):
        start = START + timedelta(minutes=10 * n)
        end = start + timedelta(minutes=10)
        item = AgendaItem(title=f"Ponencia {n}", kind="talk", starts_at=start, ends_at=end)
        item.speakers.append(
            AgendaItemSpeaker(speaker=SpeakerFactory(name=f"Oradora {n}"), role="speaker")
        )
        event.agenda_items.append(item)


def _invite(event, n: int, response: str = "pending") -> None:
    db.session.add(
        Invitation(
            event=event,
            email=f"oficina{event.id}-{n}@example.org",
            token_salt=f"salt-{event.id}-{n}",
            token_hash=f"hash-{event.id}-{n}",
            response=response,
        )
    )


@pytest.fixture
def busy(app, organiser):
    """A published open event with 3 agenda items, 3 invitations (1 answered), 2 confirmed
    (1 arrived), 1 waiting, 1 awaiting approval and 2 commitments."""
    with app.app_context():
        event = EventFactory(
            title="Mesa intermunicipal de Lo Prado",
            published=True,
            registration_mode="open",
            capacity=10,
            starts_at=START,
            ends_at=START + timedelta(hours=4),
            venue_name="Centro Cultural",
            description="Una mesa de **trabajo**.",
        )
        _items(event, 3)
        _invite(event, 1, "accepted")
        _invite(event, 2)
        _invite(event, 3)
        RegistrationFactory(event=event, name="Ana Pérez", checked_in_at=datetime.now(UTC))
        RegistrationFactory(event=event, name="Bruno Díaz")
        RegistrationFactory(event=event, name="Carla Soto", status="waiting")
        RegistrationFactory(event=event, name="Darío Paz", status="pending")
        org = OrganisationFactory(name="Municipalidad de Lo Prado")
        for text in ("Mapear oficinas", "Enviar acta"):
            db.session.add(Commitment(event_id=event.id, organisation=org, description=text))
        db.session.commit()
        return event.id


def _tab(html: str, key: str) -> str:
    found = re.search(rf'<a href="[^"]*" id="tab-{key}"[^>]*>(.*?)</a>', html, re.S)
    assert found, key
    return re.sub(r"<[^>]+>", "", found.group(1)).strip()


def _article(html: str) -> str:
    """The page's content, the visitor's own CSRF token and the preview's note left out."""
    article = re.search(r"<article>.*</article>", html, re.S).group(0)
    article = re.sub(r'<p class="flash" id="visitor-view">.*?</p>', "", article, flags=re.S)
    article = re.sub(r'name="csrf_token" type="hidden" value="[^"]*"', "csrf", article)
    return re.sub(r"\s+", " ", article)


def test_the_manager_sees_the_sections_with_their_counts(organiser_client, busy):
    html = organiser_client.get(f"/events/{busy}").get_data(as_text=True)
    assert _tab(html, "summary") == "Resumen"
    assert _tab(html, "agenda") == "Agenda 3 ítems de la agenda"
    assert _tab(html, "invitations") == "Invitaciones 3 invitaciones"
    assert _tab(html, "participants") == "Participantes 4 inscripciones"
    assert _tab(html, "door") == "Acreditación 1 persona llegó"
    assert _tab(html, "followup") == "Seguimiento 2 compromisos"
    assert 'id="tab-summary" aria-current="page"' in html
    # The summary: the places taken, the registrations and the invitations answered.
    assert "2 de 10 cupos ocupados" in html
    assert "2 confirmados · 1 en lista de espera · 1 espera aprobación" in html
    assert "1 respondida · 2 sin respuesta" in html
    assert "Centro Cultural" in html and "America/Santiago" in html
    # Each tab leads to its page.
    for href in ("/agenda/manage", "/invitations", "/participants", "/checkin", "/followup"):
        assert f'href="/events/{busy}{href}"' in html


def test_the_manager_view_builds_no_registration_form_and_no_public_agenda(organiser_client, busy):
    html = organiser_client.get(f"/events/{busy}").get_data(as_text=True)
    assert f'action="/events/{busy}/register"' not in html
    assert "Ponencia 1" not in html  # the agenda has its own tab
    assert f'href="/events/{busy}?view=public"' in html
    public = organiser_client.get(f"/events/{busy}?view=public").get_data(as_text=True)
    assert f'action="/events/{busy}/register"' in public
    assert "Ponencia 1" in public


def test_the_public_view_is_what_a_visitor_sees(app, organiser_client, busy):
    preview = organiser_client.get(f"/events/{busy}?view=public").get_data(as_text=True)
    visitor = app.test_client().get(f"/events/{busy}").get_data(as_text=True)
    assert _article(preview) == _article(visitor)
    assert 'id="visitor-view"' in preview and 'id="visitor-view"' not in visitor
    content = _article(preview)
    for management in (
        "section-tabs",
        f"/events/{busy}/edit",
        f"/events/{busy}/participants",
        "co-organisers",
        "Ana Organiser",
        "Agregar ítem",
        "agenda-actions",
    ):
        assert management not in content, management


def test_a_manager_previews_a_draft_that_visitors_cannot_read(app, organiser_client, organiser):
    with app.app_context():
        draft = EventFactory(title="Desayuno empresarial").id
        db.session.commit()
    assert app.test_client().get(f"/events/{draft}").status_code == 404
    preview = organiser_client.get(f"/events/{draft}?view=public")
    assert preview.status_code == 200
    assert "Los visitantes aún no lo ven: es un borrador." in preview.get_data(as_text=True)


def test_an_organiser_who_does_not_manage_reads_the_event_without_tabs(app, client, busy):
    with app.app_context():
        UserFactory(email="bea@example.org", name="Bea")
        db.session.commit()
    login(client, "bea@example.org")
    html = client.get(f"/events/{busy}").get_data(as_text=True)
    assert "section-tabs" not in html and "Ponencia 1" in html
    assert client.get(f"/events/{busy}/agenda/manage").status_code == 403


def test_each_section_page_shows_the_tabs_with_its_own_marked(organiser_client, busy):
    for key, path in (
        ("agenda", "/agenda/manage"),
        ("invitations", "/invitations"),
        ("participants", "/participants"),
        ("door", "/checkin"),
        ("followup", "/followup"),
    ):
        html = organiser_client.get(f"/events/{busy}{path}").get_data(as_text=True)
        assert f'id="tab-{key}" aria-current="page"' in html, key
        assert html.count('aria-current="page"') == 1, key
        assert _tab(html, "agenda") == "Agenda 3 ítems de la agenda", key


def test_the_agenda_tab_lists_every_item_with_its_controls(organiser_client, busy):
    html = organiser_client.get(f"/events/{busy}/agenda/manage").get_data(as_text=True)
    assert html.count('class="agenda-item agenda-talk"') == 3
    assert "09:30</time>–<time" in html  # in the event's zone
    assert "Oradora 2</a> (Expositor)" in html
    assert html.count(f'action="/events/{busy}/agenda/') == 3  # the shift forms
    assert f'href="/events/{busy}/agenda/new"' in html
    # Saving an item comes back to the tab.
    item_id = re.search(rf"/events/{busy}/agenda/(\d+)/edit", html).group(1)
    token = re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)
    moved = organiser_client.post(
        f"/events/{busy}/agenda/{item_id}/shift", data={"minutes": "5", "csrf_token": token}
    )
    assert moved.headers["Location"] == f"/events/{busy}/agenda/manage#agenda"


@pytest.mark.usefixtures("nothing_kept")
def test_the_manager_pages_cost_the_same_statements_whatever_the_event_holds(
    app, organiser_client, busy
):
    def count(path: str) -> int:
        organiser_client.get(path)
        with recorded_statements(app) as statements:
            assert organiser_client.get(path).status_code == 200
        return len(statements)

    paths = (f"/events/{busy}", f"/events/{busy}/agenda/manage")
    small = [count(p) for p in paths]
    with app.app_context():
        event = db.session.get(EventFactory._meta.model, busy)
        _items(event, 30, first=3)
        for n in range(4, 30):
            _invite(event, n)
        RegistrationFactory.create_batch(40, event=event)
        OrganisationFactory.create_batch(6)
        db.session.commit()
    assert [count(p) for p in paths] == small
    # The summary's counts are one statement, shared with the tabs.
    with recorded_statements(app) as statements:
        organiser_client.get(f"/events/{busy}")
    assert sum("count(" in s.lower() for s in statements) <= 3, statements
