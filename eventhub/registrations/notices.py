"""Registrants hear when their event moves or is cancelled (the events' signals, connected
in ``eventhub/registrations/__init__.py``).

Everyone still registered is told: confirmed people, people on the waiting list and people
awaiting approval. Only a confirmed place came with the event's .ics, so only confirmed
people get the updated one.
"""

from sqlalchemy import func, select

from eventhub.events.models import Event
from eventhub.events.notifications import EventChange
from eventhub.extensions import db
from eventhub.notices.event_change import Addressee, queue_notices
from eventhub.registrations.models import Registration, RegistrationStatus
from eventhub.registrations.services import ACTIVE, registration_token
from eventhub.urls import external_url


def _active(event: Event):
    # A walk-in without an address cannot be told anything.
    return (
        Registration.event_id == event.id,
        Registration.status.in_(ACTIVE),
        Registration.email.is_not(None),
    )


def count_registrants(event: Event) -> int:
    return db.session.execute(
        select(func.count(Registration.id)).where(*_active(event))
    ).scalar_one()


def tell_registrants(event: Event, change: EventChange) -> int:
    registrations = db.session.scalars(
        select(Registration).where(*_active(event)).order_by(Registration.id)
    )
    people = [
        Addressee(
            email=registration.email,
            name=registration.name,
            language=registration.language,
            link=external_url("registrations.manage", token=registration_token(registration)),
            via="registration",
            holds_calendar_entry=registration.status == RegistrationStatus.CONFIRMED,
        )
        for registration in registrations
        if registration.email is not None  # filtered in SQL already; said again for the types
    ]
    return queue_notices(event, change, people)
