"""At the door: who is expected, found by a search or a page at a time; and walk-ins.

The door page lists only confirmed people, a page at a time, as plain rows of the few columns
it shows. Profiled at 3,000 registrants (cProfile, bench/seed.py data) when it listed everyone:
1.46 MB and 0.29 s, three quarters of it in the template (a gettext, a url_for and a CSRF token
per row: 9,000 calls each over three requests, a quarter of the time for gettext alone) and a
fifth in building 3,000 ORM objects with their organisations. Now 50 rows a page, their strings
and form address made once: about 51 KB and 0.035 s, a third of which is the directory's
select in the walk-in form.

A walk-in is a person the organisers add at the door. They are confirmed and checked in at
once and count among those expected and arrived, but they hold no place: they never take one
from the waiting list, and their leaving never promotes anyone (``services.places_taken``).
"""

import math
from dataclasses import dataclass
from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import ColumnElement, func, or_, select

from eventhub.addresses import normalise_email
from eventhub.errors import ConflictError, DomainError
from eventhub.events.models import Event
from eventhub.events.services import lock_event
from eventhub.extensions import db
from eventhub.organisations.models import Organisation
from eventhub.orm import utcnow
from eventhub.registrations import services, signals
from eventhub.registrations.models import Registration, RegistrationStatus
from eventhub.text import search_term
from eventhub.tokens import new_salt, plausible, token_hash

PAGE_SIZE = 50


@dataclass(frozen=True)
class DoorRow:
    id: int
    name: str
    organisation: str | None
    email: str | None
    checked_in_at: datetime | None
    walk_in: bool


@dataclass(frozen=True)
class DoorPage:
    rows: list[DoorRow]
    matches: int  # confirmed people matching the search (everyone without one)
    page: int
    pages: int

    # What the pagination macro (templates/_forms.html) asks of a page.
    @property
    def has_prev(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages

    @property
    def prev_num(self) -> int:
        return self.page - 1

    @property
    def next_num(self) -> int:
        return self.page + 1


def _matching(q: str | None) -> ColumnElement[bool] | None:
    """Name, email, organisation (the directory's or as typed), or the QR code's check-in
    code, also inside the whole link a scanner app copies."""
    term = search_term(q)
    if term is None:
        return None
    code = term.rstrip("/").rsplit("/", 1)[-1]
    found = [
        Registration.name.icontains(term, autoescape=True),
        Registration.email.icontains(term, autoescape=True),
        Registration.organisation_name.icontains(term, autoescape=True),
        Organisation.name.icontains(term, autoescape=True),
    ]
    if plausible(code):
        found.append(Registration.checkin_hash == token_hash(code))
    return or_(*found)


def door_page(event: Event, q: str | None, page: int) -> DoorPage:
    """One page of the confirmed people matching ``q``, by name; a page past the end shows
    the last one."""
    where = [
        Registration.event_id == event.id,
        Registration.status == RegistrationStatus.CONFIRMED.value,
    ]
    if (matching := _matching(q)) is not None:
        where.append(matching)
    joined = Organisation.id == Registration.organisation_id
    matches = db.session.execute(
        select(func.count(Registration.id))
        .select_from(Registration)
        .outerjoin(Organisation, joined)
        .where(*where)
    ).scalar_one()
    pages = max(math.ceil(matches / PAGE_SIZE), 1)
    page = min(max(page, 1), pages)
    rows = db.session.execute(
        select(
            Registration.id,
            Registration.name,
            func.coalesce(Organisation.name, Registration.organisation_name),
            Registration.email,
            Registration.checked_in_at,
            Registration.walk_in,
        )
        .select_from(Registration)
        .outerjoin(Organisation, joined)
        .where(*where)
        .order_by(func.lower(Registration.name), Registration.id)
        .limit(PAGE_SIZE)
        .offset((page - 1) * PAGE_SIZE)
    ).all()
    return DoorPage([DoorRow(*row) for row in rows], matches, page, pages)


@dataclass
class WalkInData:
    name: str
    email: str | None = None
    organisation_id: int | None = None
    organisation_name: str | None = None
    language: str = "es"


@dataclass(frozen=True)
class WalkIn:
    registration: Registration
    # The address was registered already, with this status, and that registration came;
    # None: a new walk-in.
    was: str | None

    @property
    def created(self) -> bool:
        return self.was is None


def add_walk_in(event: Event, data: WalkInData) -> WalkIn:
    """Confirm and check in someone who did not register; nobody is mailed.

    An address already registered for the event is that person: their registration is
    checked in instead (if it had no confirmed place, it becomes a walk-in, which holds none).
    """
    if event.is_cancelled:
        raise ConflictError(_("The event has been cancelled."))
    email = None
    if data.email and data.email.strip():
        try:
            email = normalise_email(data.email)
        except ValueError as error:
            raise DomainError(_("Give a valid email address."), field="email") from error
    # Two organisers adding the same address at once: the second finds the first's row.
    lock_event(event)
    existing = services.find_registration(event, email) if email else None
    if existing is not None:
        was = existing.status
        if was != RegistrationStatus.CONFIRMED:
            _confirm_walk_in(existing)
        existing.checked_in_at = existing.checked_in_at or utcnow()
        db.session.flush()
        return WalkIn(existing, was)
    registration = Registration(event=event, event_id=event.id, email=email, walk_in=True)
    services.apply_details(
        registration,
        services.RegistrantData(
            name=data.name,
            email=email or "",
            language=data.language,
            organisation_id=data.organisation_id,
            organisation_name=data.organisation_name,
        ),
    )
    registration.token_salt = new_salt()
    registration.token_hash = token_hash(services.registration_token(registration))
    registration.checkin_hash = token_hash(services.checkin_code(registration))
    db.session.add(registration)
    _confirm_walk_in(registration)
    registration.checked_in_at = utcnow()
    db.session.flush()
    return WalkIn(registration, None)


def _confirm_walk_in(registration: Registration) -> None:
    registration.walk_in = True
    registration.status = RegistrationStatus.CONFIRMED.value
    registration.confirmed_at = utcnow()
    registration.waitlisted_at = registration.cancelled_at = registration.hold_expires_at = None
    registration.rejection_reason = None
    db.session.flush()
    signals.status_changed.send(registration)
