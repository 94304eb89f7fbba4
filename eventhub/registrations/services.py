"""Registrations: who attends. Accepting an invitation registers through here."""

from flask_babel import gettext as _
from sqlalchemy import select

from eventhub.db import utcnow
from eventhub.errors import ConflictError, DomainError
from eventhub.events.models import Event
from eventhub.extensions import db
from eventhub.registrations.models import Registration, RegistrationStatus
from eventhub.text import clean


def find_registration(event: Event, email: str) -> Registration | None:
    return db.session.scalar(
        select(Registration).where(
            Registration.event_id == event.id, Registration.email == email.strip().lower()
        )
    )


def register(
    event: Event,
    name: str,
    email: str,
    language: str = "es",
    organisation_id: int | None = None,
    organisation_name: str | None = None,
) -> Registration:
    """Confirm a place for this person; registering again after cancelling re-confirms it."""
    if event.is_cancelled:
        raise ConflictError(_("The event has been cancelled."))
    name = clean(name)
    if not name:
        raise DomainError(_("Give your name."), field="name")
    if len(name) > 120:
        raise DomainError(_("Use at most %(num)d characters.", num=120), field="name")
    registration = find_registration(event, email)
    if registration is None:
        registration = Registration(event_id=event.id, email=email.strip().lower())
        db.session.add(registration)
    registration.name = name
    registration.language = language if language in {"es", "en"} else "es"
    registration.organisation_id = organisation_id
    registration.organisation_name = clean(organisation_name)
    registration.status = RegistrationStatus.CONFIRMED.value
    registration.cancelled_at = None
    db.session.flush()
    return registration


def cancel(registration: Registration) -> None:
    if registration.status != RegistrationStatus.CANCELLED:
        registration.status = RegistrationStatus.CANCELLED.value
        registration.cancelled_at = utcnow()
        db.session.flush()


def registered_emails(event: Event) -> set[str]:
    return set(
        db.session.scalars(
            select(Registration.email).where(
                Registration.event_id == event.id,
                Registration.status == RegistrationStatus.CONFIRMED.value,
            )
        )
    )
