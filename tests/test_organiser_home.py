"""The organiser's home at "/": what needs them today, each item a link to where it is handled,
at the same query count whatever the size of the data."""

import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from eventhub import tokens
from eventhub.events.models import EventManager
from eventhub.extensions import db
from eventhub.followup.commitments.services import today_in
from eventhub.followup.models import Commitment, CommitmentStatus
from eventhub.invitations.models import Invitation, InvitationResponse
from eventhub.mail import services as outbox
from eventhub.mail.models import OutboxMessage, OutboxStatus
from eventhub.registrations.models import RegistrationStatus
from tests.conftest import login, recorded_statements
from tests.factories import (
    EventFactory,
    OrganisationFactory,
    RegistrationFactory,
    UserFactory,
)


@pytest.fixture
def app(make_app):
    """What the page costs when computed (eventhub/cache.py remembers nothing here)."""
    return make_app(CACHE_TTL=0, FEED_CACHE_BYTES=0)


def _soon(days: float) -> datetime:
    return datetime.now(UTC) + timedelta(days=days)


def _mail(event_id: int, status: OutboxStatus, subject: str = "Invitación") -> OutboxMessage:
    message = outbox.enqueue(
        outbox.OutgoingMail(
            to_address=f"{tokens.new_salt()[:10]}@example.org",
            subject=subject,
            text_body=f"Hola {tokens.new_salt()}",
            event_id=event_id,
        )
    )
    message.status = status.value
    db.session.flush()
    return message


def _invitation(event, mail_status=OutboxStatus.SENT, **fields) -> Invitation:
    salt = tokens.new_salt()
    invitation = Invitation(
        event_id=event.id,
        email=f"{salt[:12]}@example.org",
        token_salt=salt,
        token_hash=tokens.token_hash(salt),
        outbox_message_id=_mail(event.id, mail_status).id,
        **fields,
    )
    db.session.add(invitation)
    return invitation


def _commitment(event, organisation, description: str, due_in_days: int, status="open"):
    db.session.add(
        Commitment(
            event=event,
            organisation=organisation,
            description=description,
            due_on=today_in(event.timezone) + timedelta(days=due_in_days),
            status=status,
        )
    )


def _busy_event(organisation, days: float = 3, **fields):
    """An event of the organiser's with one of each thing the home counts."""
    event = EventFactory(
        published=True,
        registration_mode="open",
        requires_approval=True,
        capacity=40,
        starts_at=_soon(days),
        ends_at=_soon(days) + timedelta(hours=3),
        **fields,
    )
    RegistrationFactory.create_batch(2, event=event)
    RegistrationFactory(event=event, walk_in=True)  # holds no place
    RegistrationFactory(event=event, status=RegistrationStatus.PENDING.value)
    RegistrationFactory(event=event, status=RegistrationStatus.WAITING.value)
    _invitation(event)
    _invitation(event, response=InvitationResponse.ACCEPTED.value)
    _invitation(event, mail_status=OutboxStatus.QUEUED)  # not delivered yet: nothing to chase
    _mail(event.id, OutboxStatus.FAILED, subject="Recordatorio")
    _commitment(event, organisation, f"Enviar el acta de {event.title}", -2)
    return event


def _page(client) -> str:
    response = client.get("/")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def _section(page: str, name: str) -> str:
    match = re.search(rf'<section [^>]*id="home-{name}".*?</section>', page, re.S)
    assert match, name
    return match.group(0)


def test_anonymous_visitors_still_go_to_the_events(client):
    response = client.get("/")
    assert response.status_code == 302 and response.headers["Location"] == "/events/"


def test_signing_in_lands_on_the_home_and_the_navigation_leads_there_first(client, organiser):
    response = login(client, "organiser@example.org")
    assert response.headers["Location"] == "/"
    page = _page(client)
    assert "<h1>Lo que le espera hoy</h1>" in page
    nav = re.search(r'<nav aria-label="Principal">.*?</nav>', page, re.S).group(0)
    first = re.search(r'<li><a href="([^"]+)"[^>]*>([^<]+)</a>', nav)
    assert first.groups() == ("/", "Inicio")


def test_a_new_organiser_is_told_what_to_do_first(client, organiser):
    login(client, "organiser@example.org")
    page = _page(client)
    drafts = _section(page, "drafts")
    assert "No hay borradores." in drafts
    assert '<a href="/events/new">Crear un evento</a>' in drafts
    upcoming = _section(page, "upcoming")
    assert "No tiene eventos en los próximos 30 días." in upcoming
    assert '<a href="/events/new">Crear un evento</a>' in upcoming
    assert "Todo el correo salió." in _section(page, "mail")
    assert "Nada que aprobar." in _section(page, "pending")


def test_each_section_counts_and_links_to_where_it_is_handled(app, client, organiser):
    with app.app_context():
        organisation = OrganisationFactory()
        event = _busy_event(organisation, title="Mesa de Valparaíso")
        draft = EventFactory(title="Desayuno en borrador", starts_at=_soon(60))
        later = EventFactory(published=True, title="Firma lejana", starts_at=_soon(45))
        _commitment(event, organisation, "Compartir la base de datos", 3, "in_progress")
        _commitment(event, organisation, "Informe anual", 20)
        _commitment(event, organisation, "Ya cumplido", -20, CommitmentStatus.DONE.value)
        # Another organiser's event: none of it is on this home.
        other = UserFactory()
        db.session.flush()
        _busy_event(organisation, created_by_id=other.id, title="Mesa ajena")
        db.session.commit()
        event_id, draft_id, later_id = event.id, draft.id, later.id
    login(client, "organiser@example.org")
    page = _page(client)
    assert "Mesa ajena" not in page

    upcoming = _section(page, "upcoming")
    assert f'href="/events/{event_id}">Mesa de Valparaíso</a>' in upcoming
    assert "2 de 40 cupos ocupados" in upcoming  # the walk-in, pending and waiting hold none
    assert "Firma lejana" not in upcoming and f"/events/{later_id}" not in upcoming

    pending = _section(page, "pending")
    assert f'href="/events/{event_id}/participants?status=pending"' in pending
    assert "1 espera aprobación: Mesa de Valparaíso" in pending

    invitations = _section(page, "invitations")
    assert f'href="/events/{event_id}/invitations?state=no_answer"' in invitations
    assert "1 invitación sin respuesta: Mesa de Valparaíso" in invitations

    mail = _section(page, "mail")
    assert 'href="/outbox/?status=failed"' in mail
    assert "1 mensaje no se pudo entregar" in mail

    commitments = _section(page, "commitments")
    assert f'href="/events/{event_id}/followup#commitment-' in commitments
    assert "Enviar el acta de Mesa de Valparaíso" in commitments
    assert "Compartir la base de datos" in commitments
    assert "Informe anual" not in commitments and "Ya cumplido" not in commitments
    assert commitments.count("badge-cancelled") == 1  # overdue: the first, not the second

    drafts = _section(page, "drafts")
    assert f'href="/events/{draft_id}">Desayuno en borrador</a>' in drafts
    assert "Mesa de Valparaíso" not in drafts


def test_the_links_open_pages_that_show_what_was_counted(app, client, organiser):
    with app.app_context():
        event = _busy_event(OrganisationFactory(), title="Mesa de Quilicura")
        db.session.commit()
        event_id = event.id
    login(client, "organiser@example.org")
    page = _page(client)
    invitations = client.get(f"/events/{event_id}/invitations?state=no_answer")
    assert invitations.status_code == 200
    # Of the three invitations, the invitations page, filtered, lists the one the home counts.
    assert invitations.get_data(as_text=True).count('class="state state-no_answer"') == 1
    assert "1 invitación sin respuesta" in page
    participants = client.get(f"/events/{event_id}/participants?status=pending")
    assert participants.status_code == 200
    for path in re.findall(r"<section .*?</section>", page, re.S):
        for href in re.findall(r'href="(/[^"#]*)', path):
            assert client.get(href.replace("&amp;", "&")).status_code == 200, href


def test_sending_the_failed_mail_again_clears_it(app, client, organiser):
    with app.app_context():
        _busy_event(OrganisationFactory())
        db.session.commit()
    login(client, "organiser@example.org")
    assert "1 mensaje no se pudo entregar" in _page(client)
    assert client.post("/outbox/resend-failed").status_code == 302
    assert "Todo el correo salió." in _section(_page(client), "mail")
    with app.app_context():
        statuses = db.session.scalars(
            select(OutboxMessage.status).where(OutboxMessage.subject == "Recordatorio")
        ).all()
    assert sorted(statuses) == ["failed", "queued"]  # the failed one stays, as history


def test_times_are_in_each_events_zone(app, client, organiser):
    with app.app_context():
        # 15 Dec 2026 13:00Z: 10:00 in Santiago, 14:00 in Madrid.
        starts = datetime(2026, 12, 15, 13, 0, tzinfo=UTC)
        for title, zone in (("En Santiago", "America/Santiago"), ("En Madrid", "Europe/Madrid")):
            EventFactory(
                title=title, timezone=zone, starts_at=starts, ends_at=starts + timedelta(hours=2)
            )
        db.session.commit()
    login(client, "organiser@example.org")
    drafts = _section(_page(client), "drafts")
    items = {
        re.search(r">(En \w+)</a>", item).group(1): item
        for item in re.findall(r"<li>.*?</li>", drafts, re.S)
    }
    assert "10:00" in items["En Santiago"] and "(America/Santiago)" in items["En Santiago"]
    assert "14:00" in items["En Madrid"] and "(Europe/Madrid)" in items["En Madrid"]


def test_in_english_too(app, client, organiser):
    login(client, "organiser@example.org")
    client.post("/language", data={"lang": "en", "next": "/"})
    page = _page(client)
    assert "<h1>What needs you today</h1>" in page
    assert "No drafts." in page and ">Create an event</a>" in page


def test_co_organised_events_are_on_the_home_and_admins_see_the_unmanaged_ones(
    app, client, organiser, admin
):
    with app.app_context():
        creator = UserFactory(email="creadora@example.org")
        db.session.flush()
        shared = EventFactory(title="Mesa compartida", created_by_id=creator.id)
        db.session.flush()
        db.session.add(EventManager(event_id=shared.id, user_id=organiser))
        EventFactory(title="Mesa sin dueño", created_by_id=None)
        EventFactory(title="Mesa de la creadora", created_by_id=creator.id)
        db.session.commit()
    login(client, "organiser@example.org")
    page = _page(client)
    assert "Mesa compartida" in page
    assert "Mesa sin dueño" not in page and "Mesa de la creadora" not in page
    client.post("/logout")
    login(client, "admin@example.org")
    page = _page(client)
    assert "Mesa sin dueño" in page
    assert "Mesa compartida" not in page and "Mesa de la creadora" not in page


def test_long_sections_are_cut_and_say_how_many_more(app, client, organiser):
    from eventhub.pages.home import LIMIT

    with app.app_context():
        EventFactory.create_batch(LIMIT + 3)
        db.session.commit()
    login(client, "organiser@example.org")
    drafts = _section(_page(client), "drafts")
    assert drafts.count("<li>") == LIMIT
    assert 'href="/events/?status=draft">Y 3 más</a>' in drafts


def _count(app, client) -> int:
    client.get("/")  # warm: first-use lookups are not the page's cost
    with recorded_statements(app) as statements:
        assert client.get("/").status_code == 200
    return len(statements)


def _grow(app, events: int) -> None:
    with app.app_context():
        organisation = OrganisationFactory()
        for n in range(events):
            _busy_event(organisation, days=1 + n % 25)
            EventFactory(title=f"Borrador {n}", starts_at=_soon(40 + n))
        db.session.commit()


def test_query_count_is_the_same_with_2_and_20_events(app, client, organiser, admin):
    login(client, "organiser@example.org")
    admin_client = app.test_client()
    login(admin_client, "admin@example.org")
    _grow(app, 2)
    small = (_count(app, client), _count(app, admin_client))
    assert "2 de 40 cupos ocupados" in _page(client)
    _grow(app, 18)
    page = _page(client)
    assert page.count("2 de 40 cupos ocupados") == 20
    assert "20 mensajes no se pudieron entregar" in page
    assert 'Inscripciones por aprobar <span class="badge">20</span>' in page
    assert (_count(app, client), _count(app, admin_client)) == small
