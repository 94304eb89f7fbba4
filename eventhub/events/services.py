"""Events: creating and changing them, their life cycle, the list and who takes part."""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from flask_babel import gettext as _
from sqlalchemy import Select, case, func, select, text
from sqlalchemy.orm import selectinload

from eventhub.auth.models import User
from eventhub.errors import ConflictError, DomainError, NotFoundError
from eventhub.events import notifications, signals
from eventhub.events.models import (
    CANCELLATION_REASON_MAX,
    Event,
    EventImage,
    EventKind,
    EventOrganisation,
    EventStatus,
    ParticipationRole,
    Programme,
    RegistrationMode,
)
from eventhub.events.timezones import NonexistentLocalTimeError, is_valid_zone, local_to_utc
from eventhub.extensions import db
from eventhub.loaders import event_child
from eventhub.organisations.models import Organisation
from eventhub.orm import utcnow
from eventhub.text import clean, search_term


@dataclass
class EventData:
    """What an organiser enters; times are wall-clock times in ``timezone``."""

    title: str
    kind: str
    timezone: str
    starts_at: datetime
    ends_at: datetime
    summary: str | None = None
    description: str | None = None
    venue_name: str | None = None
    venue_address: str | None = None
    host_organisation_id: int | None = None
    programme_id: int | None = None
    capacity: int | None = None
    registration_mode: str = RegistrationMode.INVITE_ONLY.value
    registration_deadline: datetime | None = None
    is_public: bool = True
    requires_approval: bool = False
    confirm_email: bool = False


@dataclass
class EventFilters:
    q: str | None = None
    kind: str | None = None
    status: str | None = None
    programme_id: int | None = None
    date_from: date | None = None
    date_to: date | None = None


def get_event(event_id: int) -> Event:
    event = db.session.get(Event, event_id)
    if event is None:
        raise NotFoundError(_("No such event."))
    return event


def _to_utc(local: datetime, zone: str, field: str) -> datetime:
    try:
        return local_to_utc(local, zone)
    except NonexistentLocalTimeError as error:
        raise DomainError(
            _(
                "%(time)s does not exist in %(zone)s: the clocks skip that hour. "
                "Choose another time.",
                time=local.strftime("%Y-%m-%d %H:%M"),
                zone=zone,
            ),
            field=field,
        ) from error


def _apply(event: Event, data: EventData) -> None:
    if not is_valid_zone(data.timezone):
        raise DomainError(_("Unknown time zone."), field="timezone")
    if data.kind not in {kind.value for kind in EventKind}:
        raise DomainError(_("Unknown kind of event."), field="kind")
    if data.registration_mode not in {mode.value for mode in RegistrationMode}:
        raise DomainError(_("Unknown registration mode."), field="registration_mode")
    if data.capacity is not None and data.capacity < 1:
        raise DomainError(_("Give a positive whole number."), field="capacity")
    starts_at = _to_utc(data.starts_at, data.timezone, "starts_at")
    ends_at = _to_utc(data.ends_at, data.timezone, "ends_at")
    if ends_at <= starts_at:
        raise DomainError(_("The end must be after the start."), field="ends_at")
    deadline = None
    if data.registration_deadline is not None:
        deadline = _to_utc(data.registration_deadline, data.timezone, "registration_deadline")
        if deadline > ends_at:
            raise DomainError(
                _("The deadline cannot be after the event ends."), field="registration_deadline"
            )
    if data.host_organisation_id is not None and not db.session.get(
        Organisation, data.host_organisation_id
    ):
        raise DomainError(_("Unknown organisation."), field="host_organisation_id")
    if data.programme_id is not None and not db.session.get(Programme, data.programme_id):
        raise DomainError(_("Unknown programme."), field="programme_id")

    title = clean(data.title)
    if not title:
        raise DomainError(_("Give the event a title."), field="title")
    event.title = title
    event.kind = data.kind
    event.summary = clean(data.summary, one_line=False)
    event.description = clean(data.description, one_line=False)
    event.timezone = data.timezone
    event.starts_at = starts_at
    event.ends_at = ends_at
    event.venue_name = clean(data.venue_name)
    event.venue_address = clean(data.venue_address)
    event.host_organisation_id = data.host_organisation_id
    event.programme_id = data.programme_id
    event.capacity = data.capacity
    event.registration_mode = data.registration_mode
    event.registration_deadline = deadline
    event.is_public = data.is_public
    event.requires_approval = data.requires_approval
    event.confirm_email = data.confirm_email


def _sync_host_participation(event: Event) -> None:
    """The host organisation always appears among the participating organisations as host."""
    for participation in event.participations:
        if participation.role == ParticipationRole.HOST and (
            participation.organisation_id != event.host_organisation_id
        ):
            participation.role = ParticipationRole.CO_ORGANISER.value
    if event.host_organisation_id is None:
        return
    existing = next(
        (p for p in event.participations if p.organisation_id == event.host_organisation_id),
        None,
    )
    if existing is None:
        event.participations.append(
            EventOrganisation(
                organisation_id=event.host_organisation_id, role=ParticipationRole.HOST.value
            )
        )
    else:
        existing.role = ParticipationRole.HOST.value


def create_event(data: EventData, created_by: User | None) -> Event:
    event = Event(status=EventStatus.DRAFT.value, created_by=created_by, participations=[])
    _apply(event, data)
    db.session.add(event)
    _sync_host_participation(event)
    db.session.flush()
    return event


class AgendaPolicy(StrEnum):
    MOVE = "move"  # the agenda follows the event's start, keeping each item's offset
    KEEP = "keep"  # the agenda stays at its times


# The agenda refuses a change of times with these (see ``signals.times_changed``); they live
# here so that the events routes, which cannot import the agenda, can tell them apart.
class AgendaDecisionNeededError(DomainError):
    """The start moved and the event has an agenda: the organiser must say what happens."""

    def __init__(self, message: str, outside_if_moved: list, outside_if_kept: list):
        super().__init__(message, field="agenda_policy")
        self.outside_if_moved = outside_if_moved
        self.outside_if_kept = outside_if_kept


class AgendaConflictError(DomainError):
    """Refused because of other items; ``items`` names them for the page to list."""

    status_code = 409

    def __init__(self, message: str, items: Iterable = (), field: str | None = None):
        super().__init__(message, field=field)
        self.items = list(items)


def update_event(
    event: Event,
    data: EventData,
    agenda_policy: str | None = None,
    notify_registrants: bool = True,
) -> Event:
    """Change the event; the domains that follow it hear what changed.

    When its times change, the agenda moves with the start or stays, as chosen, and may
    refuse the change (``AgendaDecisionNeededError``, ``AgendaConflictError``).
    """
    before = notifications.AttendeeView.of(event)
    old_start, old_end, old_zone = event.starts_at, event.ends_at, event.timezone
    old_capacity = event.capacity
    _apply(event, data)
    if (event.starts_at, event.ends_at, event.timezone) != (old_start, old_end, old_zone):
        signals.times_changed.send(
            event,
            old_starts_at=old_start,
            old_ends_at=old_end,
            old_timezone=old_zone,
            offset=event.starts_at - old_start,
            agenda_policy=agenda_policy,
        )
    _sync_host_participation(event)
    db.session.flush()
    if event.capacity is None or (old_capacity is not None and event.capacity > old_capacity):
        signals.capacity_grew.send(event, old_capacity=old_capacity)
    if notify_registrants:
        notifications.notify_change(event, before)
    return event


def publish_event(event: Event) -> None:
    if event.is_cancelled:
        raise ConflictError(_("A cancelled event cannot be published."))
    event.status = EventStatus.PUBLISHED.value
    if event.published_at is None:
        event.published_at = utcnow()
    signals.published.send(event)


def unpublish_event(event: Event) -> None:
    if event.is_cancelled:
        raise ConflictError(_("A cancelled event cannot be unpublished."))
    event.status = EventStatus.DRAFT.value
    event.published_at = None
    signals.unpublished.send(event)


def cancel_event(event: Event, notify_registrants: bool = True, reason: str | None = None) -> None:
    if event.is_cancelled:
        raise ConflictError(_("The event is already cancelled."))
    reason = clean(reason, one_line=False)
    if reason and len(reason) > CANCELLATION_REASON_MAX:
        raise DomainError(
            _("Use at most %(num)d characters.", num=CANCELLATION_REASON_MAX), field="reason"
        )
    event.status = EventStatus.CANCELLED.value
    event.cancelled_at = utcnow()
    event.cancellation_reason = reason
    signals.cancelled.send(event, reason=reason, notify_registrants=notify_registrants)
    if notify_registrants:
        notifications.notify_cancellation(event)


def _publicly_listed_where() -> tuple:
    return (
        Event.is_public.is_(True),
        Event.published_at.is_not(None),
        Event.status != EventStatus.DRAFT.value,
    )


def publicly_listed() -> Select:
    return select(Event).where(*_publicly_listed_where())


def _start_of_day(day: date, zone: str) -> datetime:
    return datetime.combine(day, time.min, tzinfo=ZoneInfo(zone)).astimezone(UTC)


def _narrowed(stmt: Select, filters: EventFilters, zone: str) -> Select:
    """``stmt`` narrowed by the filters; ``zone`` is the zone in which the date filters are
    read."""
    if q := search_term(filters.q):
        stmt = stmt.where(Event.title.icontains(q, autoescape=True))
    if filters.kind:
        stmt = stmt.where(Event.kind == filters.kind)
    if filters.status:
        stmt = stmt.where(Event.status == filters.status)
    if filters.programme_id:
        stmt = stmt.where(Event.programme_id == filters.programme_id)
    if filters.date_from:
        stmt = stmt.where(Event.ends_at >= _start_of_day(filters.date_from, zone))
    if filters.date_to:
        stmt = stmt.where(
            Event.starts_at < _start_of_day(filters.date_to + timedelta(days=1), zone)
        )
    return stmt


def _listed(stmt: Select, filters: EventFilters, zone: str) -> Select:
    """``stmt`` narrowed by the filters, in the list's order: upcoming first (soonest
    first), then past (latest first)."""
    upcoming = Event.ends_at >= utcnow()
    return _narrowed(stmt, filters, zone).order_by(
        case((upcoming, 0), else_=1),
        case((upcoming, Event.starts_at), else_=None).asc(),
        Event.starts_at.desc(),
        Event.id,
    )


def list_events_query(filters: EventFilters, for_organiser: bool, zone: str) -> Select:
    """Events matching the filters, in the events list's order, with their programme and
    host loaded."""
    stmt = select(Event) if for_organiser else publicly_listed()
    return _listed(stmt, filters, zone).options(
        selectinload(Event.programme), selectinload(Event.host_organisation)
    )


def _visible(stmt: Select, for_organiser: bool) -> Select:
    return stmt if for_organiser else stmt.where(*_publicly_listed_where())


def list_event_rows_query(filters: EventFilters, for_organiser: bool, zone: str) -> Select:
    """The same events as plain rows of what the events list shows (the host's and the
    programme's names joined in): no Event objects, and no query per relationship."""
    stmt = (
        select(
            Event.id,
            Event.title,
            Event.kind,
            Event.status,
            Event.starts_at,
            Event.ends_at,
            Event.timezone,
            Event.venue_name,
            Event.summary,
            Organisation.name.label("host"),
            Programme.name.label("programme"),
            EventImage.digest.label("image_digest"),  # the thumbnail's address
        )
        .outerjoin(Organisation, Organisation.id == Event.host_organisation_id)
        .outerjoin(Programme, Programme.id == Event.programme_id)
        .outerjoin(EventImage, EventImage.event_id == Event.id)
    )
    return _listed(_visible(stmt, for_organiser), filters, zone)


def count_events_query(filters: EventFilters, for_organiser: bool, zone: str) -> Select:
    """How many events the list holds: a count over the events alone (no joins, no order),
    cheaper than counting the page's query."""
    stmt = select(func.count()).select_from(Event)
    return _narrowed(_visible(stmt, for_organiser), filters, zone)


def set_participation(event: Event, organisation_id: int, role: str) -> EventOrganisation:
    if role not in {r.value for r in ParticipationRole}:
        raise DomainError(_("Unknown role."), field="role")
    organisation = db.session.get(Organisation, organisation_id)
    if organisation is None:
        raise DomainError(_("Unknown organisation."), field="organisation_id")
    participation = db.session.scalar(
        select(EventOrganisation).where(
            EventOrganisation.event_id == event.id,
            EventOrganisation.organisation_id == organisation_id,
        )
    )
    if participation is None:
        participation = EventOrganisation(event=event, organisation=organisation, role=role)
        db.session.add(participation)
    else:
        participation.role = role
    if role == ParticipationRole.HOST:
        event.host_organisation_id = organisation_id
        _sync_host_participation(event)
    elif event.host_organisation_id == organisation_id:
        event.host_organisation_id = None
    db.session.flush()
    return participation


def get_participation(event: Event, participation_id: int) -> EventOrganisation:
    return event_child(
        EventOrganisation,
        participation_id,
        event,
        _("This organisation does not take part in the event."),
    )


def remove_participation(event: Event, participation_id: int) -> None:
    participation = get_participation(event, participation_id)
    if event.host_organisation_id == participation.organisation_id:
        event.host_organisation_id = None
    db.session.delete(participation)
    db.session.flush()


def save_programme(programme: Programme | None, name: str, description: str | None) -> Programme:
    name = clean(name) or ""
    if not name:
        raise DomainError(_("Give the programme a name."), field="name")
    clash = db.session.scalar(select(Programme).where(Programme.name == name))
    if clash is not None and clash is not programme:
        raise ConflictError(_("A programme with this name already exists."), field="name")
    if programme is None:
        programme = Programme()
        db.session.add(programme)
    programme.name = name
    programme.description = clean(description, one_line=False)
    db.session.flush()
    return programme


def get_programme(programme_id: int) -> Programme:
    programme = db.session.get(Programme, programme_id)
    if programme is None:
        raise NotFoundError(_("No such programme."))
    return programme


def all_programmes() -> list[Programme]:
    return list(db.session.scalars(select(Programme).order_by(Programme.name)))


def programme_names() -> list[tuple[int, str]]:
    """(id, name) of every programme, by name: a filter's choices."""
    return [
        (row.id, row.name)
        for row in db.session.execute(select(Programme.id, Programme.name).order_by(Programme.name))
    ]


def lock_event(event: Event) -> None:
    """Serialise changes to one event's rows that are checked before they are written (its
    places, its one image): the second writer waits for the first to commit, then reads what
    it wrote."""
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(select(Event.id).where(Event.id == event.id).with_for_update())
    else:
        db.session.execute(text("UPDATE event SET id = id WHERE id = :id"), {"id": event.id})
