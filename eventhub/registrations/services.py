"""Registrations: places, the waiting list, cancellation and promotion, personal links.

Capacity holds under concurrent requests because every change that can take or free a
place first locks the event row (PostgreSQL: SELECT ... FOR UPDATE; SQLite: a write to the
row, which takes the database's write lock), and only then counts.

Events with ``confirm_email`` take no place for an address nobody has shown to be theirs: a
public registration is HELD (it counts against the capacity) until the link mailed to the
address is followed, for ``REGISTRATION_HOLD_MINUTES``. A hold counts only until its time is
up, so the count is exact without any scheduled job; releasing expired holds (and moving the
waiting list up into the places they kept) happens on the event's next registration or
confirmation, and in ``flask registrations expire`` for events nobody touches.
"""

from dataclasses import dataclass
from dataclasses import field as dataclass_field
from datetime import timedelta

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import ColumnElement, Select, case, func, or_, select
from sqlalchemy.orm import selectinload

from eventhub.addresses import email_key, normalise_email
from eventhub.errors import ConflictError, DomainError, NotFoundError
from eventhub.events.models import Event, EventStatus, RegistrationMode
from eventhub.events.services import lock_event
from eventhub.extensions import db
from eventhub.loaders import event_child
from eventhub.mail import services as outbox
from eventhub.organisations.models import Organisation
from eventhub.orm import utcnow
from eventhub.questions import services as question_services
from eventhub.questions.models import Question
from eventhub.registrations import mail as registration_mail
from eventhub.registrations import signals
from eventhub.registrations.models import Registration, RegistrationStatus
from eventhub.text import clean, search_term
from eventhub.tokens import derive_token, lookup, new_salt, token_hash

ACTIVE = (
    RegistrationStatus.PENDING.value,
    RegistrationStatus.CONFIRMED.value,
    RegistrationStatus.WAITING.value,
)


# Until the address is confirmed (events with confirm_email), and only until hold_expires_at.
AWAITING_ADDRESS = (RegistrationStatus.HELD.value, RegistrationStatus.UNCONFIRMED.value)

# How organisers read the list: what needs a decision first, then who comes.
STATUS_ORDER = (
    "pending",
    "held",
    "unconfirmed",
    "confirmed",
    "waiting",
    "rejected",
    "expired",
    "cancelled",
)


class RegistrationClosedError(ConflictError):
    pass


class InvalidLinkError(NotFoundError):
    pass


@dataclass
class RegistrantData:
    name: str
    email: str
    language: str = "es"
    organisation_id: int | None = None
    organisation_name: str | None = None
    job_title: str | None = None
    needs: str | None = None
    listed: bool = False
    # The event's own questions and what was answered (questions.services.read_answers);
    # None leaves stored answers as they are.
    questions: list[Question] = dataclass_field(default_factory=list)
    answers: question_services.AnswerSheet | None = None


# --- rules ------------------------------------------------------------------------------------


def closed_reason(event: Event) -> str | None:
    """Why registration is closed now, or None when it is open."""
    now = utcnow()
    if event.is_cancelled:
        return _("The event has been cancelled.")
    if event.status != EventStatus.PUBLISHED:
        return _("The event is not published.")
    if event.registration_closed:
        return _("The organisers have closed registration.")
    if event.registration_deadline and now > event.registration_deadline:
        return _("The registration deadline has passed.")
    if now >= event.starts_at:
        return _("The event has started.")
    return None


def takes_a_place() -> ColumnElement[bool]:
    """SQL condition: a registration that takes a place: confirmed, or held and its time not
    up yet (walk-ins hold none). Pages that count places of many events group by it."""
    return Registration.walk_in.is_(False) & or_(
        Registration.status == RegistrationStatus.CONFIRMED.value,
        (Registration.status == RegistrationStatus.HELD.value)
        & (Registration.hold_expires_at > utcnow()),
    )


def places_taken(event: Event) -> int:
    """Confirmed places and the holds whose time is not up yet (walk-ins hold none)."""
    return db.session.execute(
        select(func.count(Registration.id)).where(
            Registration.event_id == event.id, takes_a_place()
        )
    ).scalar_one()


def free_places(event: Event) -> int | None:
    """Places left, or None for no limit."""
    if event.capacity is None:
        return None
    return max(event.capacity - places_taken(event), 0)


def awaits_address(registration: Registration) -> bool:
    """Waiting for its address to be confirmed, and still in time."""
    return (
        registration.status in AWAITING_ADDRESS
        and registration.hold_expires_at is not None
        and registration.hold_expires_at > utcnow()
    )


def _is_active(registration: Registration) -> bool:
    return registration.status in ACTIVE or awaits_address(registration)


def hold_minutes() -> int:
    return int(current_app.config["REGISTRATION_HOLD_MINUTES"])


def release_expired_holds(event: Event) -> list[Registration]:
    """Unconfirmed registrations whose time is up become EXPIRED, and the places they held go
    to the waiting list. Nobody is mailed: the address was never shown to be a person's.
    Returns who was promoted. Call with the event locked."""
    expired = list(
        db.session.scalars(
            select(Registration).where(
                Registration.event_id == event.id,
                Registration.status.in_(AWAITING_ADDRESS),
                Registration.hold_expires_at <= utcnow(),
            )
        )
    )
    for registration in expired:
        registration.status = RegistrationStatus.EXPIRED.value
    db.session.flush()
    return promote_waiting(event) if expired else []


# --- registering ------------------------------------------------------------------------------


def registration_token(registration: Registration) -> str:
    return derive_token("registration", registration.event_id, _salt(registration))


def checkin_code(registration: Registration) -> str:
    """What the QR code at the door carries; only signed-in organisers can use it."""
    return derive_token("checkin", registration.event_id, _salt(registration))


def _salt(registration: Registration) -> str:
    # Rows from before the salt column have none (and no stored hash, so no link opens);
    # their tokens have always been derived from "None".
    return str(registration.token_salt)


def find_registration(event: Event, email: str) -> Registration | None:
    return db.session.scalar(
        select(Registration).where(
            Registration.event_id == event.id, Registration.email == email_key(email)
        )
    )


def apply_details(registration: Registration, data: RegistrantData) -> None:
    name = clean(data.name)
    if not name:
        raise DomainError(_("Give your name."), field="name")
    for value, limit, field in (
        (name, 120, "name"),
        (clean(data.organisation_name), 200, "organisation_name"),
        (clean(data.job_title), 160, "job_title"),
        (clean(data.needs, one_line=False), 2000, "needs"),
    ):
        if value and len(value) > limit:
            raise DomainError(_("Use at most %(num)d characters.", num=limit), field=field)
    if data.organisation_id is not None and not db.session.get(Organisation, data.organisation_id):
        raise DomainError(_("Unknown organisation."), field="organisation_id")
    registration.name = name
    registration.language = data.language if data.language in {"es", "en"} else "es"
    registration.organisation_id = data.organisation_id
    registration.organisation_name = None if data.organisation_id else clean(data.organisation_name)
    registration.job_title = clean(data.job_title)
    registration.needs = clean(data.needs, one_line=False)
    registration.listed = bool(data.listed)


def holding_query(event: Event, exclude: int | None = None) -> Select:
    """The ids of the event's registrations that hold what they chose (a limited workshop
    session): the active ones, and those whose address confirmation is still in time."""
    query = select(Registration.id).where(
        Registration.event_id == event.id,
        or_(
            Registration.status.in_(ACTIVE),
            Registration.status.in_(AWAITING_ADDRESS) & (Registration.hold_expires_at > utcnow()),
        ),
    )
    return query if exclude is None else query.where(Registration.id != exclude)


def _save_answers(
    registration: Registration, data: RegistrantData, places_checked: bool = False
) -> None:
    """Call with the event locked: limited choices are counted here, unless ``_register``
    counted them already for a registration whose old answers it deleted."""
    if data.answers is None:
        return
    if data.answers.consent and registration.sensitive_consent_at is None:
        registration.sensitive_consent_at = utcnow()
    elif not data.answers.consent:
        registration.sensitive_consent_at = None
    db.session.flush()  # a new registration needs its id
    if places_checked:
        question_services.store_first_answers(registration.id, data.questions, data.answers)
        return
    question_services.save_answers(
        registration.id,
        data.questions,
        data.answers,
        holding_query(registration.event, exclude=registration.id),
    )


def register(event: Event, data: RegistrantData, via_invitation: bool = False) -> Registration:
    """A confirmed place if one is free, else a place on the waiting list; and its email.

    For someone who proved the address (an invitation link), registering again updates the
    details and keeps the place.
    """
    registration, _created = _register(event, data, via_invitation, update_existing=True)
    return registration


def register_publicly(event: Event, data: RegistrantData) -> tuple[Registration, bool]:
    """The public form: (registration, created).

    Anyone can type any address, so an address already registered gets its existing link by
    email (never shown to whoever typed it) and its details stay as they were.
    """
    return _register(event, data, via_invitation=False, update_existing=False)


def _register(
    event: Event, data: RegistrantData, via_invitation: bool, update_existing: bool
) -> tuple[Registration, bool]:
    if not via_invitation and event.registration_mode != RegistrationMode.OPEN:
        raise RegistrationClosedError(_("This event takes registrations by invitation only."))
    if reason := closed_reason(event):
        raise RegistrationClosedError(reason)
    try:
        email = normalise_email(data.email)
    except ValueError as error:
        raise DomainError(_("Give a valid email address."), field="email") from error
    lock_event(event)
    if event.confirm_email:
        release_expired_holds(event)  # before counting: the waiting list goes first
    registration = find_registration(event, email)
    if (
        registration is not None
        and _is_active(registration)
        # An invitation link proves the address an unconfirmed registration waits for.
        and not (via_invitation and registration.status in AWAITING_ADDRESS)
    ):
        if update_existing:
            apply_details(registration, data)
            _save_answers(registration, data)
            db.session.flush()
        else:
            _notify(registration, "confirm" if awaits_address(registration) else "link")
        return registration, False
    if data.answers is not None:
        # A full workshop session refuses before the place and its mail are written: under
        # a rush the refused must not hold the lock for long. Answers a cancelled
        # registration once gave hold nothing any more.
        if not data.answers.valid:
            raise question_services.AnswersRefusedError(data.answers.errors)
        question_services.check_places(
            data.questions,
            data.answers,
            holding_query(event, exclude=registration.id if registration else None),
        )
        if registration is not None:
            question_services.delete_answers(
                [question.id for question in data.questions],
                select(Registration.id).where(Registration.id == registration.id),
            )
    if registration is None:
        registration = Registration(event=event, event_id=event.id, email=email)
    apply_details(registration, data)
    registration.token_salt = new_salt()
    registration.token_hash = token_hash(registration_token(registration))
    registration.checkin_hash = token_hash(checkin_code(registration))
    registration.cancelled_at = None
    registration.rejection_reason = None
    registration.hold_expires_at = None
    db.session.add(registration)
    if registration.id is not None and registration.status == RegistrationStatus.HELD:
        db.session.flush()  # its own hold must not count against the place it takes
    _place(registration, via_invitation)
    # Once its status is set: a row flushed earlier would count as a confirmed place.
    _save_answers(registration, data, places_checked=True)
    return registration, True


def _place(registration: Registration, via_invitation: bool) -> None:
    event = registration.event
    if event.confirm_email and not via_invitation:
        _hold(registration)
    elif event.requires_approval and not via_invitation:
        # Invitations are the organisers' own choice: only public registrations wait.
        registration.status = RegistrationStatus.PENDING.value
        db.session.flush()
        signals.status_changed.send(registration)
        _notify(registration, "pending")
    else:
        _take_place_or_wait(registration)


def _hold(registration: Registration) -> None:
    """Until the address is confirmed: a held place if one is free (moderated events hold
    none: the organisers decide after the confirmation)."""
    with db.session.no_autoflush:
        places = None if registration.event.requires_approval else free_places(registration.event)
    held = not registration.event.requires_approval and (places is None or places > 0)
    registration.status = (
        RegistrationStatus.HELD.value if held else RegistrationStatus.UNCONFIRMED.value
    )
    registration.hold_expires_at = utcnow() + timedelta(minutes=hold_minutes())
    registration.confirmed_at = registration.waitlisted_at = None
    db.session.flush()
    _notify(registration, "confirm")


def confirm_address(registration: Registration) -> str:
    """The person followed the link in the mail and pressed the button.

    A hold still in time becomes a confirmed place. A registration without a hold, or whose
    hold ran out, is registered now: a free place, else the waiting list (or the organisers'
    approval). Returns the status it ends in; confirming twice changes nothing.
    """
    event = registration.event
    lock_event(event)
    db.session.refresh(registration)
    if registration.status not in (*AWAITING_ADDRESS, RegistrationStatus.EXPIRED.value):
        return registration.status
    if event.is_cancelled:
        raise RegistrationClosedError(_("The event has been cancelled."))
    if registration.status == RegistrationStatus.HELD and awaits_address(registration):
        registration.hold_expires_at = None
        _confirm(registration)
        db.session.flush()
        _notify(registration, "confirmed")
        return registration.status
    if reason := closed_reason(event):
        raise RegistrationClosedError(reason)
    release_expired_holds(event)
    registration.hold_expires_at = None
    if event.requires_approval:
        registration.status = RegistrationStatus.PENDING.value
        db.session.flush()
        _notify(registration, "pending")
    else:
        _take_place_or_wait(registration)
    return registration.status


def release_all_expired_holds() -> tuple[int, int]:
    """Every event's expired holds (``flask registrations expire``): (events, promoted)."""
    event_ids = db.session.scalars(
        select(Registration.event_id)
        .where(
            Registration.status.in_(AWAITING_ADDRESS),
            Registration.hold_expires_at <= utcnow(),
        )
        .distinct()
    ).all()
    promoted = 0
    for event_id in event_ids:
        event = db.session.get_one(Event, event_id)
        lock_event(event)
        promoted += len(release_expired_holds(event))
    return len(event_ids), promoted


def _take_place_or_wait(registration: Registration) -> None:
    with db.session.no_autoflush:  # a new registration must not count itself
        # A walk-in (restored, say) needs no place: it never held one.
        places = None if registration.walk_in else free_places(registration.event)
    if places is None or places > 0:
        _confirm(registration)
    else:
        registration.status = RegistrationStatus.WAITING.value
        registration.waitlisted_at = utcnow()
    db.session.flush()
    signals.status_changed.send(registration)
    _notify(registration, "confirmed" if registration.status == "confirmed" else "waiting")


def approve(registration: Registration) -> None:
    """An approved registration takes a place, or the waiting list when the event is full."""
    if registration.status != RegistrationStatus.PENDING:
        raise ConflictError(_("Only registrations awaiting approval can be approved."))
    lock_event(registration.event)
    _take_place_or_wait(registration)


def reject(registration: Registration, reason: str | None) -> None:
    if registration.status != RegistrationStatus.PENDING:
        raise ConflictError(_("Only registrations awaiting approval can be rejected."))
    reason = clean(reason, one_line=False)
    if reason and len(reason) > 2000:
        raise DomainError(_("Use at most %(num)d characters.", num=2000), field="reason")
    registration.status = RegistrationStatus.REJECTED.value
    registration.rejection_reason = reason
    db.session.flush()
    signals.status_changed.send(registration)
    _notify(registration, "rejected")


def _confirm(registration: Registration) -> None:
    registration.status = RegistrationStatus.CONFIRMED.value
    registration.confirmed_at = utcnow()
    registration.waitlisted_at = None


def _notify(registration: Registration, kind: str, withdrawn: int | None = None) -> None:
    if registration.email is None:
        return  # a walk-in who left no address
    token = registration_token(registration)
    outbox.enqueue(registration_mail.build(registration, token, kind, withdrawn))


def _withdraw_calendar_entry(event: Event) -> int:
    """The SEQUENCE of a METHOD:CANCEL for a place taken away.

    It must outrank the .ics its holder has, and whatever we send about the event later (a
    new registration, a promotion) must outrank the CANCEL, or calendars would keep the
    entry removed: the event's SEQUENCE goes up by two and the CANCEL takes the one between.
    In SQL, under the event's lock, so concurrent withdrawals each get their own.
    """
    event.sequence = Event.sequence + 2
    db.session.flush()
    return event.sequence - 1


def promote_waiting(event: Event) -> list[Registration]:
    """Fill free places from the waiting list, in order; each promoted person is told."""
    if event.is_cancelled:
        return []  # no place to give at a cancelled event: nobody is told one is theirs
    lock_event(event)
    places = free_places(event)
    waiting = (
        select(Registration)
        .where(
            Registration.event_id == event.id,
            Registration.status == RegistrationStatus.WAITING.value,
        )
        .order_by(Registration.waitlisted_at, Registration.id)
    )
    if places is not None:
        waiting = waiting.limit(places)
    promoted = list(db.session.scalars(waiting))
    for registration in promoted:
        _confirm(registration)
        _notify(registration, "promoted")
    db.session.flush()
    return promoted


def cancel(registration: Registration, notify: bool = True) -> list[Registration]:
    """Cancel a place; the first on the waiting list takes it. Returns who was promoted."""
    if registration.status == RegistrationStatus.CANCELLED:
        return []
    event = registration.event
    lock_event(event)
    # A walk-in frees no place: nobody on the waiting list moves up when one leaves.
    was_confirmed = not registration.walk_in and (
        registration.status == RegistrationStatus.CONFIRMED
        or (registration.status == RegistrationStatus.HELD and awaits_address(registration))
    )
    # Only a confirmed place came with the .ics (a held one did not, nor a walk-in's check-in):
    # its entry is withdrawn.
    held_calendar_entry = (
        registration.status == RegistrationStatus.CONFIRMED and not registration.walk_in
    )
    registration.status = RegistrationStatus.CANCELLED.value
    registration.cancelled_at = utcnow()
    db.session.flush()
    signals.status_changed.send(registration)
    withdrawn = _withdraw_calendar_entry(event) if held_calendar_entry else None
    if notify:
        _notify(registration, "cancelled", withdrawn)
    return promote_waiting(event) if was_confirmed else []


def waiting_position(registration: Registration) -> int | None:
    """Where someone stands on the waiting list (1: the next place is theirs), else None."""
    if registration.status != RegistrationStatus.WAITING:
        return None
    ahead = db.session.execute(
        select(func.count(Registration.id)).where(
            Registration.event_id == registration.event_id,
            Registration.status == RegistrationStatus.WAITING.value,
            or_(
                Registration.waitlisted_at < registration.waitlisted_at,
                (Registration.waitlisted_at == registration.waitlisted_at)
                & (Registration.id < registration.id),
            ),
        )
    ).scalar_one()
    return ahead + 1


def update_details(registration: Registration, data: RegistrantData) -> None:
    if registration.status in (RegistrationStatus.CANCELLED, RegistrationStatus.REJECTED):
        raise ConflictError(_("This registration is no longer active."))
    data.email = registration.email or ""  # the address is the registration's identity
    apply_details(registration, data)
    if data.answers is not None:
        if reason := answers_closed_reason(registration.event):
            raise ConflictError(reason)
        lock_event(registration.event)
        _save_answers(registration, data)
    db.session.flush()


def answers_closed_reason(event: Event) -> str | None:
    """Why a registrant can no longer change their answers, or None."""
    now = utcnow()
    if event.registration_deadline and now > event.registration_deadline:
        return _("Answers can no longer be changed: the registration deadline has passed.")
    if now >= event.starts_at:
        return _("Answers can no longer be changed: the event has started.")
    return None


def _with_event() -> Select:
    return select(Registration).options(
        selectinload(Registration.event), selectinload(Registration.organisation)
    )


def find_by_token(token: str) -> Registration:
    registration = lookup(_with_event(), Registration.token_hash, token)
    if registration is None:
        raise InvalidLinkError(_("This link is not valid."))
    return registration


# --- organisers -------------------------------------------------------------------------------


def get_registration(event: Event, registration_id: int) -> Registration:
    return event_child(Registration, registration_id, event, _("No such registration."))


def promote_by_hand(registration: Registration) -> None:
    """Organisers may confirm someone beyond the capacity; it is their call."""
    if registration.status != RegistrationStatus.WAITING:
        raise ConflictError(_("Only people on the waiting list can be promoted."))
    lock_event(registration.event)
    _confirm(registration)
    db.session.flush()
    _notify(registration, "promoted")


def restore(registration: Registration) -> str:
    """Undo a cancellation: the place back if one is free, else the waiting list (in its order
    from now on); the person is told either way. Returns the new status."""
    if registration.status != RegistrationStatus.CANCELLED:
        raise ConflictError(_("Only cancelled registrations can be restored."))
    event = registration.event
    if event.is_cancelled:
        raise ConflictError(_("The event is cancelled: there is no place to restore."))
    lock_event(event)
    registration.cancelled_at = None
    _take_place_or_wait(registration)
    return registration.status


def move_to_waiting_list(registration: Registration) -> None:
    if registration.status != RegistrationStatus.CONFIRMED:
        raise ConflictError(_("Only confirmed people can be moved to the waiting list."))
    if registration.walk_in:
        raise ConflictError(_("A walk-in holds no place to give up."))
    lock_event(registration.event)
    registration.status = RegistrationStatus.WAITING.value
    registration.waitlisted_at = utcnow()
    db.session.flush()
    # The place goes, and with it the calendar entry its confirmation brought.
    _notify(registration, "waiting", _withdraw_calendar_entry(registration.event))


def listed_participants(event: Event) -> list[Registration]:
    """Confirmed people who agreed to appear on the event's public participant list."""
    return list(
        db.session.scalars(
            select(Registration)
            .where(
                Registration.event_id == event.id,
                Registration.status == RegistrationStatus.CONFIRMED.value,
                Registration.listed.is_(True),
            )
            .options(selectinload(Registration.organisation))
            .order_by(Registration.name)
        )
    )


def set_registration_closed(event: Event, closed: bool) -> None:
    event.registration_closed = closed
    db.session.flush()


def participants_query(event: Event, status: str | None, q: str | None) -> Select:
    stmt = (
        select(Registration)
        .where(Registration.event_id == event.id)
        .options(selectinload(Registration.organisation))
        .outerjoin(Registration.organisation)
    )
    return narrowed(stmt, status, q).order_by(*participant_order())


def narrowed(stmt: Select, status: str | None, q: str | None) -> Select:
    """``stmt`` (over registrations joined to their organisation) kept to a status, when it
    is one, and to the people whose name, address or organisation holds ``q``."""
    if status in {s.value for s in RegistrationStatus}:
        stmt = stmt.where(Registration.status == status)
    if q := search_term(q):
        stmt = stmt.where(
            or_(
                Registration.name.icontains(q, autoescape=True),
                Registration.email.icontains(q, autoescape=True),
                Registration.organisation_name.icontains(q, autoescape=True),
                Organisation.name.icontains(q, autoescape=True),
            )
        )
    return stmt


def participant_order() -> tuple:
    """Who needs an organiser first, the waiting list in its order, then by name."""
    order = case(
        {status: position for position, status in enumerate(STATUS_ORDER)},
        value=Registration.status,
        else_=len(STATUS_ORDER),
    )
    return order, Registration.waitlisted_at, Registration.name, Registration.id


def status_counts(event: Event) -> dict[str, int]:
    rows = db.session.execute(
        select(Registration.status, func.count())
        .where(Registration.event_id == event.id)
        .group_by(Registration.status)
    ).all()
    return {status.value: 0 for status in RegistrationStatus} | dict(rows)


def counts_by_organisation(event: Event) -> list[tuple[str, int, int]]:
    """(organisation, confirmed, waiting) for active registrations."""
    name = func.coalesce(Organisation.name, Registration.organisation_name, "")
    rows = db.session.execute(
        select(
            name.label("name"),
            func.sum(case((Registration.status == RegistrationStatus.CONFIRMED.value, 1), else_=0)),
            func.sum(case((Registration.status == RegistrationStatus.WAITING.value, 1), else_=0)),
        )
        .select_from(Registration)
        .outerjoin(Organisation, Organisation.id == Registration.organisation_id)
        .where(Registration.event_id == event.id, Registration.status.in_(ACTIVE))
        .group_by(name)
        .order_by(name)
    ).all()
    return [(row[0] or _("No organisation"), row[1] or 0, row[2] or 0) for row in rows]


def registered_emails(event: Event) -> set[str]:
    return set(
        db.session.scalars(
            select(Registration.email).where(
                Registration.event_id == event.id, Registration.status.in_(ACTIVE)
            )
        )
    )


# --- at the door ------------------------------------------------------------------------------


def find_by_checkin_code(code: str) -> Registration:
    registration = lookup(_with_event(), Registration.checkin_hash, code)
    if registration is None:
        raise NotFoundError(_("This check-in code is not valid."))
    return registration


def check_in(registration: Registration) -> None:
    if registration.status != RegistrationStatus.CONFIRMED:
        raise ConflictError(
            _(
                "%(name)s has no confirmed place (%(status)s).",
                name=registration.name,
                status=registration.status_label,
            )
        )
    if registration.checked_in_at is None:
        registration.checked_in_at = utcnow()
        db.session.flush()


def undo_check_in(registration: Registration) -> None:
    registration.checked_in_at = None
    db.session.flush()


def arrival_counts(event: Event) -> tuple[int, int]:
    """(arrived, confirmed)."""
    row = db.session.execute(
        select(func.count(Registration.checked_in_at), func.count(Registration.id)).where(
            Registration.event_id == event.id,
            Registration.status == RegistrationStatus.CONFIRMED.value,
        )
    ).one()
    return row[0], row[1]
