"""At the door: the QR code in the email leads organisers to the registrant; search by name."""

import base64
import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from eventhub.extensions import db
from eventhub.mail.models import OutboxMessage
from eventhub.registrations import services as registrations
from eventhub.registrations.models import Registration
from tests.factories import EventFactory

START = datetime(2027, 7, 15, 14, 0, tzinfo=UTC)


@pytest.fixture
def event_id(app):
    with app.app_context(), app.test_request_context():
        event = EventFactory(
            title="Mesa de Lo Prado",
            published=True,
            registration_mode="open",
            capacity=2,
            starts_at=START,
            ends_at=START + timedelta(hours=3),
        )
        db.session.commit()
        for n, name in enumerate(["Ana Pérez", "Bruno Díaz", "Carla Soto"]):
            registrations.register(
                event,
                registrations.RegistrantData(
                    name=name,
                    email=f"p{n}@example.org",
                    needs="Silla de ruedas" if n == 0 else None,
                ),
            )
        db.session.commit()
        return event.id


def checkin_path(app, email) -> str:
    with app.app_context():
        message = db.session.scalars(
            select(OutboxMessage).where(
                OutboxMessage.to_address == email, OutboxMessage.topic == "registration-confirmed"
            )
        ).one()
        [qr] = [a for a in message.attachments if a["filename"] == "checkin-qr.png"]
        assert base64.b64decode(qr["data"]).startswith(b"\x89PNG")
        return re.search(r"/r/[\w-]+", message.text_body).group(0)


def test_confirmation_email_carries_a_qr_code_and_the_page_shows_it(app, client, event_id):
    personal = checkin_path(app, "p0@example.org")
    page = client.get(personal).get_data(as_text=True)
    assert '<svg role="img"' in page


def _code(app, email) -> str:
    with app.app_context():
        registration = db.session.scalars(
            select(Registration).where(Registration.email == email)
        ).one()
        return registrations.checkin_code(registration)


def test_scan_then_confirm_arrival_and_undo(app, organiser_client, event_id):
    code = _code(app, "p0@example.org")
    page = organiser_client.get(f"/checkin/{code}").get_data(as_text=True)
    assert "Ana Pérez" in page and "Silla de ruedas" in page and "0 de 2" in page
    with app.app_context():
        assert db.session.scalars(select(Registration.checked_in_at)).all() == [None] * 3
    organiser_client.post(f"/checkin/{code}")
    page = organiser_client.get(f"/checkin/{code}").get_data(as_text=True)
    assert "1 de 2" in page and 'class="checkin-state arrived"' in page
    organiser_client.post(f"/checkin/{code}")  # twice is harmless
    organiser_client.post(f"/checkin/{code}/undo")
    assert "0 de 2" in organiser_client.get(f"/checkin/{code}").get_data(as_text=True)


def test_waiting_list_people_cannot_be_checked_in(app, organiser_client, event_id):
    code = _code(app, "p2@example.org")  # third: on the waiting list
    organiser_client.post(f"/checkin/{code}")
    with app.app_context():
        assert (
            db.session.scalars(select(Registration).where(Registration.email == "p2@example.org"))
            .one()
            .checked_in_at
            is None
        )


def test_check_in_needs_an_organiser_and_a_real_code(app, client, event_id):
    code = _code(app, "p0@example.org")
    assert client.get(f"/checkin/{code}").status_code == 302
    assert client.post(f"/checkin/{code}").status_code == 302
    from tests.conftest import login

    login(client, "nobody@example.org")
    assert client.get("/checkin/" + "A" * 43).status_code in (302, 404)


def test_door_search_and_mark(app, organiser_client, event_id):
    page = organiser_client.get(f"/events/{event_id}/checkin?q=bruno").get_data(as_text=True)
    assert "Bruno Díaz" in page and "Ana Pérez" not in page and "Carla" not in page
    with app.app_context():
        bruno = db.session.scalars(
            select(Registration.id).where(Registration.name == "Bruno Díaz")
        ).one()
    organiser_client.post(f"/events/{event_id}/checkin/{bruno}", data={"q": "bruno"})
    page = organiser_client.get(f"/events/{event_id}/checkin").get_data(as_text=True)
    assert "1 de 2" in page
    organiser_client.post(f"/events/{event_id}/checkin/{bruno}", data={"undo": "1"})
    assert "0 de 2" in organiser_client.get(f"/events/{event_id}/checkin").get_data(as_text=True)
    assert organiser_client.post(f"/events/{event_id}/checkin/99999").status_code == 404


def test_sign_in_sheet_lists_confirmed_people(app, organiser_client, event_id):
    page = organiser_client.get(f"/events/{event_id}/participants/sheet").get_data(as_text=True)
    assert page.index("Ana Pérez") < page.index("Bruno Díaz")
    assert "Carla Soto" not in page


@pytest.mark.usefixtures("nothing_kept")
def test_door_query_count_is_constant(app, organiser_client, event_id, count_queries):
    def queries():
        with count_queries(app) as statements:
            organiser_client.get(f"/events/{event_id}/checkin")
        return len(statements)

    small = queries()
    with app.app_context(), app.test_request_context():
        from eventhub.events.models import Event

        event = db.session.get(Event, event_id)
        event.capacity = None
        for n in range(30):
            registrations.register(
                event, registrations.RegistrantData(name=f"Persona {n}", email=f"x{n}@example.org")
            )
        db.session.commit()
    assert queries() == small
