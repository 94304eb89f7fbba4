"""The door page at scale (search first, a page at a time) and walk-ins."""

import csv
import io
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, insert, select

from eventhub.audit.models import AuditEntry
from eventhub.events.models import Event
from eventhub.extensions import db
from eventhub.mail.models import OutboxMessage
from eventhub.registrations import door
from eventhub.registrations import services as registrations
from eventhub.registrations.models import Registration, RegistrationStatus
from eventhub.tokens import token_hash
from tests.factories import EventFactory, OrganisationFactory, RegistrationFactory

START = datetime.now(UTC) + timedelta(days=2)


def _bulk_registrants(event_id: int, count: int, start: int = 0) -> None:
    """Confirmed registrants in one INSERT (the factory would take minutes at 3,000)."""
    now = datetime.now(UTC)
    db.session.execute(
        insert(Registration),
        [
            {
                "event_id": event_id,
                "name": f"Persona {n:04d}",
                "email": f"persona{n}@example.org",
                "organisation_name": f"Municipalidad {n % 40}",
                "status": RegistrationStatus.CONFIRMED.value,
                "confirmed_at": now,
                "checked_in_at": now if n % 3 == 0 else None,
                "language": "es",
                "listed": False,
            }
            for n in range(start, start + count)
        ],
    )
    db.session.commit()


@pytest.fixture
def full_event(app):
    """Two places, both taken, and one person waiting."""
    with app.app_context():
        event = EventFactory(
            title="Mesa de Renca",
            published=True,
            registration_mode="open",
            capacity=2,
            starts_at=START,
        )
        RegistrationFactory(event=event, name="Ana Pérez", email="ana@example.org")
        RegistrationFactory(event=event, name="Bruno Díaz", email="bruno@example.org")
        RegistrationFactory(
            event=event, name="Carla Soto", email="carla@example.org", status="waiting"
        )
        db.session.commit()
        return event.id


def _walk_in(client, event_id, **fields):
    data = {"name": "", "email": "", "organisation_id": "", "organisation_name": ""} | fields
    return client.post(f"/events/{event_id}/checkin/walk-in", data=data)


def _registration(name: str) -> Registration:
    return db.session.scalars(select(Registration).where(Registration.name == name)).one()


# --- the list -------------------------------------------------------------------------------


def test_door_pages_and_searches_with_the_count_always_shown(app, organiser_client, create_event):
    event_id = create_event(published=True, registration_mode="open", starts_at=START)
    with app.app_context():
        _bulk_registrants(event_id, 120)
        organisation = OrganisationFactory(name="Municipalidad de Quilicura")
        RegistrationFactory(
            event_id=event_id,
            event=db.session.get(Event, event_id),
            name="Zoe Quilicura",
            email="zoe@example.org",
            organisation=organisation,
        )
        db.session.commit()
    first = organiser_client.get(f"/events/{event_id}/checkin").get_data(as_text=True)
    assert "40 de 121" in first  # arrived of expected, whatever the page
    assert "121 personas esperadas" in first and "Página 1 de 3" in first
    assert "Persona 0000" in first and "Persona 0049" in first and "Persona 0050" not in first
    third = organiser_client.get(f"/events/{event_id}/checkin?page=3").get_data(as_text=True)
    assert "Persona 0100" in third and "Zoe Quilicura" in third and "40 de 121" in third
    # A page past the end (or junk) shows a real page, never an error.
    assert "Zoe Quilicura" in organiser_client.get(f"/events/{event_id}/checkin?page=99").text
    assert "Persona 0000" in organiser_client.get(f"/events/{event_id}/checkin?page=x").text
    # By the directory's organisation name, by email, by name.
    found = organiser_client.get(f"/events/{event_id}/checkin?q=quilicura").text
    assert "Zoe Quilicura" in found and "Persona 0001" not in found
    assert "1 persona encontrada" in found and "40 de 121" in found
    assert "Persona 0007" in organiser_client.get(f"/events/{event_id}/checkin?q=persona7@").text
    nobody = organiser_client.get(f"/events/{event_id}/checkin?q=nadie%25").text
    assert "Nadie coincide." in nobody


def test_door_finds_a_registrant_by_check_in_code_or_its_link(app, organiser_client, full_event):
    with app.app_context():
        bruno = _registration("Bruno Díaz")
        code = registrations.checkin_code(bruno)
        bruno.checkin_hash = token_hash(code)
        db.session.commit()
    for q in (code, f"http://eventhub.test/checkin/{code}"):
        page = organiser_client.get(f"/events/{full_event}/checkin", query_string={"q": q}).text
        assert "Bruno Díaz" in page and "Ana Pérez" not in page


def test_check_in_from_a_later_page_comes_back_to_it(app, organiser_client, create_event):
    event_id = create_event(published=True, registration_mode="open", starts_at=START)
    with app.app_context():
        _bulk_registrants(event_id, 60)
        someone = _registration("Persona 0055").id
    response = organiser_client.post(
        f"/events/{event_id}/checkin/{someone}", data={"q": "persona", "page": "2"}
    )
    assert response.status_code == 302
    assert "page=2" in response.location and "q=persona" in response.location


@pytest.mark.usefixtures("nothing_kept")
def test_door_page_at_3000_registrants_is_small_and_its_queries_flat(
    app, organiser_client, create_event, count_queries
):
    event_id = create_event(published=True, registration_mode="open", starts_at=START)
    with app.app_context():
        _bulk_registrants(event_id, 30)

    def measure(path):
        with count_queries(app) as statements:
            response = organiser_client.get(path)
        assert response.status_code == 200
        return len(statements), len(response.data)

    small_queries, _size = measure(f"/events/{event_id}/checkin")
    with app.app_context():
        _bulk_registrants(event_id, 2970, start=30)
    for path in ("", "?page=7", "?q=persona&page=2", "?q=Municipalidad 3"):
        queries, size = measure(f"/events/{event_id}/checkin{path}")
        assert queries == small_queries, path
        assert size < 300_000, (path, size)
    assert "3000 personas esperadas" in organiser_client.get(f"/events/{event_id}/checkin").text


# --- walk-ins -------------------------------------------------------------------------------


def test_walk_in_when_full_takes_no_place_and_moves_nobody(app, organiser_client, full_event):
    response = _walk_in(
        organiser_client, full_event, name="Diego Rojas", organisation_name="Municipalidad de Renca"
    )
    assert response.status_code == 302
    page = organiser_client.get(response.location).text
    assert "Diego Rojas se agregó como asistente sin inscripción" in page
    assert "1 de 3" in page  # counted among the expected and the arrived
    with app.app_context():
        event = db.session.get(Event, full_event)
        diego = _registration("Diego Rojas")
        assert diego.walk_in and diego.status == "confirmed" and diego.checked_in_at is not None
        assert diego.email is None and diego.organisation_name == "Municipalidad de Renca"
        assert registrations.places_taken(event) == 2 and registrations.free_places(event) == 0
        assert _registration("Carla Soto").status == "waiting"
        assert registrations.waiting_position(_registration("Carla Soto")) == 1
        # No mail for the walk-in, no promotion for anyone.
        assert db.session.scalar(select(func.count(OutboxMessage.id))) == 0
        # Leaving frees no place either: the waiting list stays where it was.
        assert registrations.cancel(diego) == []
        db.session.commit()
        assert _registration("Carla Soto").status == "waiting"


def test_walk_in_is_in_the_audit_log_participants_and_export(app, organiser_client, full_event):
    organisation_id = None
    with app.app_context():
        organisation_id = OrganisationFactory(name="Municipalidad de Estación Central").id
        db.session.commit()
    _walk_in(
        organiser_client,
        full_event,
        name="Elena Muñoz",
        email="Elena@Example.org",
        organisation_id=str(organisation_id),
    )
    with app.app_context():
        entry = db.session.scalars(
            select(AuditEntry).where(AuditEntry.action == "registration.walk_in")
        ).one()
        assert entry.event_id == full_event and entry.summary == "Elena Muñoz <elena@example.org>"
        elena = _registration("Elena Muñoz")
        assert elena.organisation_id == organisation_id and elena.email == "elena@example.org"
    participants = organiser_client.get(f"/events/{full_event}/participants").text
    assert "Sin inscripción previa (confirmado en la entrada)" in participants
    exported = organiser_client.post(f"/events/{full_event}/participants.csv")
    rows = list(csv.reader(io.StringIO(exported.get_data(as_text=True).lstrip("\ufeff"))))
    [elena_row] = [row for row in rows if row[0] == "Elena Muñoz"]
    assert "Sin inscripción previa (confirmado en la entrada)" in elena_row
    assert "Estación Central" in elena_row[2]


def test_walk_ins_without_email_are_each_their_own(app, organiser_client, full_event):
    for name in ("Felipe Soto", "Gabriela Lagos"):
        assert _walk_in(organiser_client, full_event, name=name).status_code == 302
    with app.app_context():
        walk_ins = db.session.scalars(
            select(Registration).where(Registration.walk_in.is_(True))
        ).all()
        assert {r.name for r in walk_ins} == {"Felipe Soto", "Gabriela Lagos"}
        assert all(r.email is None and r.checked_in_at for r in walk_ins)
    assert "2 de 4" in organiser_client.get(f"/events/{full_event}/checkin").text


def test_walk_in_with_a_registered_address_checks_that_one_in(app, organiser_client, full_event):
    response = _walk_in(organiser_client, full_event, name="Otra Persona", email="ANA@example.org")
    page = organiser_client.get(response.location).text
    assert "ana@example.org ya está inscrito, a nombre de Ana Pérez" in page
    with app.app_context():
        assert db.session.scalar(select(func.count(Registration.id))) == 3
        ana = _registration("Ana Pérez")
        assert ana.checked_in_at is not None and not ana.walk_in
        assert db.session.scalars(select(AuditEntry.action)).all() == ["registration.check_in"]
    # Someone on the waiting list who came anyway becomes a walk-in: no place taken.
    response = _walk_in(organiser_client, full_event, name="Carla", email="carla@example.org")
    assert (
        "ahora se registró su llegada como asistente"
        in organiser_client.get(response.location).text
    )
    with app.app_context():
        carla = _registration("Carla Soto")
        assert carla.status == "confirmed" and carla.walk_in and carla.checked_in_at
        assert registrations.places_taken(db.session.get(Event, full_event)) == 2


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"name": ""}, 'id="name-errors"'),
        ({"name": "   "}, 'id="name-errors"'),
        ({"name": "Hugo", "email": "no es correo"}, 'id="email-errors"'),
        ({"name": "Hugo", "organisation_id": "999999"}, "Organización desconocida."),
        ({"name": "Hugo", "organisation_id": "junk"}, "Organización desconocida."),
        ({"name": "H" * 121}, 'id="name-errors"'),
    ],
)
def test_walk_in_refusals_are_form_messages(app, organiser_client, full_event, fields, message):
    response = _walk_in(organiser_client, full_event, **fields)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert message in page and 'id="walk-in" open' in page
    with app.app_context():
        assert db.session.scalar(select(func.count(Registration.id))) == 3
        assert db.session.scalar(select(func.count(AuditEntry.id))) == 0


def test_walk_in_needs_the_events_organiser(app, client, full_event):
    assert _walk_in(client, full_event, name="Intruso").status_code == 302  # to the login
    with app.app_context():
        assert db.session.scalar(select(func.count(Registration.id))) == 3


def test_door_service_pages_by_name(app, create_event):
    event_id = create_event(published=True, registration_mode="open", starts_at=START)
    with app.app_context():
        _bulk_registrants(event_id, door.PAGE_SIZE + 1)
        event = db.session.get(Event, event_id)
        first = door.door_page(event, None, 1)
        last = door.door_page(event, None, 2)
        assert (first.matches, first.pages, len(first.rows)) == (door.PAGE_SIZE + 1, 2, 50)
        assert [row.name for row in last.rows] == [f"Persona {door.PAGE_SIZE:04d}"]
        assert first.has_next and not first.has_prev and last.has_prev and not last.has_next


def test_a_walk_in_without_an_address_is_mailed_nothing(app, organiser_client, full_event):
    from eventhub.followup.mail import audience
    from eventhub.registrations import notices

    _walk_in(organiser_client, full_event, name="Iván Vera")
    with app.app_context(), app.test_request_context():
        event = db.session.get(Event, full_event)
        assert notices.count_registrants(event) == 3  # Ana, Bruno and Carla: they have one
        assert "Iván Vera" not in {r.name for r in audience(event).attended}
        registrations.cancel(_registration("Iván Vera"))  # no mail to write, no error
        db.session.commit()
        assert db.session.scalar(select(func.count(OutboxMessage.id))) == 0
