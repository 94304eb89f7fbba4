"""Moderated events: registrations wait for approval; approve or reject, each emailed."""

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from eventhub.extensions import db
from eventhub.mail.models import OutboxMessage
from eventhub.registrations.models import Registration

START = datetime(2027, 7, 15, 14, 0, tzinfo=UTC)


@pytest.fixture
def event_id(create_event):
    return create_event(
        title="Desayuno ASEXMA",
        published=True,
        registration_mode="open",
        requires_approval=True,
        capacity=1,
        starts_at=START,
        ends_at=START + timedelta(hours=2),
    )


def register(client, event_id, name, email):
    return client.post(f"/events/{event_id}/register", data={"name": name, "email": email})


def registration(app, email) -> Registration:
    with app.app_context():
        return db.session.scalars(select(Registration).where(Registration.email == email)).one()


def topics(app, email) -> list[str]:
    with app.app_context():
        return list(
            db.session.scalars(
                select(OutboxMessage.topic)
                .where(OutboxMessage.to_address == email)
                .order_by(OutboxMessage.id)
            )
        )


def test_public_registrations_wait_for_approval(app, client, organiser_client, event_id):
    visitor = app.test_client()
    assert register(visitor, event_id, "Ana", "ana@example.org").status_code == 302
    assert register(visitor, event_id, "Bruno", "bruno@example.org").status_code == 302
    ana, bruno = registration(app, "ana@example.org"), registration(app, "bruno@example.org")
    assert (ana.status, bruno.status) == ("pending", "pending")
    assert topics(app, "ana@example.org") == ["registration-pending"]
    page = organiser_client.get(f"/events/{event_id}/participants").get_data(as_text=True)
    assert "2 esperan aprobación" in page
    organiser_client.post(f"/events/{event_id}/participants/{ana.id}/approve")
    organiser_client.post(f"/events/{event_id}/participants/{bruno.id}/approve")
    assert registration(app, "ana@example.org").status == "confirmed"
    assert registration(app, "bruno@example.org").status == "waiting"  # capacity 1
    assert topics(app, "bruno@example.org") == ["registration-pending", "registration-waiting"]


def test_reject_with_a_reason(app, organiser_client, event_id):
    register(app.test_client(), event_id, "Eve", "eve@example.org")
    eve = registration(app, "eve@example.org")
    organiser_client.post(
        f"/events/{event_id}/participants/{eve.id}/reject",
        data={"reason": "Evento solo para socios de ASEXMA"},
    )
    eve = registration(app, "eve@example.org")
    assert eve.status == "rejected" and eve.rejection_reason.startswith("Evento solo")
    with app.app_context():
        message = db.session.scalars(
            select(OutboxMessage).where(OutboxMessage.topic == "registration-rejected")
        ).one()
        assert "Evento solo para socios de ASEXMA" in message.text_body
    # A decision is taken once.
    organiser_client.post(f"/events/{event_id}/participants/{eve.id}/approve")
    assert registration(app, "eve@example.org").status == "rejected"


def test_invitees_skip_moderation(app, event_id):
    from eventhub.events.models import Event
    from eventhub.registrations import services

    with app.app_context(), app.test_request_context():
        event = db.session.get(Event, event_id)
        invited = services.register(
            event,
            services.RegistrantData(name="Roberto", email="roberto@example.org"),
            via_invitation=True,
        )
        db.session.commit()
        assert invited.status == "confirmed"


def test_only_consenting_confirmed_people_are_listed_publicly(app, event_id):
    from eventhub.events.models import Event

    with app.app_context():
        db.session.get(Event, event_id).requires_approval = False
        db.session.get(Event, event_id).capacity = None
        db.session.commit()
    visitor = app.test_client()
    visitor.post(
        f"/events/{event_id}/register",
        data={
            "name": "Ana Listada",
            "email": "ana@example.org",
            "listed": "y",
            "organisation_name": "Municipalidad de Quilicura",
        },
    )
    visitor.post(
        f"/events/{event_id}/register",
        data={"name": "Bruno Reservado", "email": "bruno@example.org"},
    )
    page = app.test_client().get(f"/events/{event_id}").get_data(as_text=True)
    assert "Ana Listada" in page and "Municipalidad de Quilicura" in page
    assert "Bruno Reservado" not in page
