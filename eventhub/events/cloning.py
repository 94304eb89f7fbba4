"""Duplicating an event on another date: the monthly round table in one form.

The events domain copies what it owns: the event's details and zone, its registration
settings, its programme, the participating organisations with their roles, the people who
manage it and its image. The copy is a draft with a new calendar identity, created by the
organiser who duplicates. Every time moves by the whole number of days between the two dates
on the clocks of the event's zone (``Shift``), so 09:00 stays 09:00 across a change of offset
(DST).

The domains above copy their own rows when they hear ``signals.cloned`` (the agenda and its
speakers, the registration questions, the reminder schedule), in the same transaction: when one
of them refuses, nothing is written. Registrations, invitations, minutes, commitments and what
reminders sent belong to the event that took place: nobody copies them.
"""

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from flask_babel import gettext as _
from sqlalchemy import insert, literal, select

from eventhub.auth.models import User
from eventhub.errors import DomainError
from eventhub.events import signals
from eventhub.events.models import (
    Event,
    EventImage,
    EventManager,
    EventOrganisation,
    EventStatus,
)
from eventhub.events.timezones import NonexistentLocalTimeError, shift_days, utc_to_local
from eventhub.extensions import db
from eventhub.orm import utcnow
from eventhub.text import clean

TITLE_MAX = 200  # Event.title
YEARS_AHEAD = 10  # a later date is a typing slip, not a plan
DATE_FIELD = "starts_on"
# The event's own columns the copy takes unchanged (``is_public``: listed once published, as
# the original was); its times move, its title is marked, its life cycle starts again.
COPIED_AS_THEY_ARE = (
    "kind",
    "summary",
    "description",
    "timezone",
    "venue_name",
    "venue_address",
    "host_organisation_id",
    "programme_id",
    "capacity",
    "registration_mode",
    "requires_approval",
    "confirm_email",
    "is_public",
)


@dataclass
class CloneRequest:
    """What the organiser asks for: the new date (the time of day is kept) and a title
    (None: the original's, marked as a copy)."""

    starts_on: date
    title: str | None = None


@dataclass(frozen=True)
class Shift:
    """Moves an instant ``days`` days on the clocks of ``zone``; a time those clocks skip on
    the new date is refused beside the date field, naming ``what`` had it."""

    zone: str
    days: int

    def __call__(self, instant: datetime, what: str) -> datetime:
        try:
            return shift_days(instant, self.zone, self.days)
        except NonexistentLocalTimeError as error:
            local = utc_to_local(instant, self.zone) + timedelta(days=self.days)
            raise DomainError(
                _(
                    "%(time)s does not exist in %(zone)s (the clocks skip that hour): "
                    "%(what)s cannot be copied to that date. Choose another date.",
                    time=local.strftime("%Y-%m-%d %H:%M"),
                    zone=self.zone,
                    what=what,
                ),
                field=DATE_FIELD,
            ) from error


def default_title(title: str) -> str:
    """The original's title marked as a copy, cut to fit."""
    marked = _("%(title)s (copy)", title=title)
    if len(marked) <= TITLE_MAX:
        return marked
    room = TITLE_MAX - (len(marked) - len(title)) - 1
    return _("%(title)s (copy)", title=title[: max(room, 0)].rstrip() + "…")


def _checked_date(source: Event, starts_on: date) -> None:
    today = utcnow().astimezone(ZoneInfo(source.timezone)).date()
    if starts_on < today:
        raise DomainError(_("Choose a date from today on."), field=DATE_FIELD)
    if starts_on > today.replace(year=today.year + YEARS_AHEAD, day=min(today.day, 28)):
        raise DomainError(
            _("Choose a date within %(num)d years.", num=YEARS_AHEAD), field=DATE_FIELD
        )


def _checked_title(source: Event, title: str | None) -> str:
    chosen = clean(title) or default_title(source.title)
    if len(chosen) > TITLE_MAX:
        raise DomainError(_("Use at most %(num)d characters.", num=TITLE_MAX), field="title")
    return chosen


def _team(source: Event, by: User) -> list[int]:
    """Who manages the copy besides its creator: the original's creator and co-organisers
    whose accounts are still active."""
    wanted = {manager.user_id for manager in source.managers}
    if source.created_by_id is not None:
        wanted.add(source.created_by_id)
    wanted.discard(by.id)
    if not wanted:
        return []
    return list(
        db.session.scalars(
            select(User.id).where(User.id.in_(wanted), User.active.is_(True)).order_by(User.id)
        )
    )


def _copy_image(source: Event, copy: Event, by: User) -> None:
    """The copy keeps the original's image (a monthly round table keeps its header), copied
    inside the database so its bytes are never loaded here."""
    kept = (EventImage.content_type, EventImage.size, EventImage.digest, EventImage.alt_text)
    db.session.execute(
        insert(EventImage).from_select(
            ["event_id", *(column.key for column in kept), "data", "uploaded_at", "uploaded_by_id"],
            select(
                literal(copy.id), *kept, EventImage.data, literal(utcnow()), literal(by.id)
            ).where(EventImage.event_id == source.id),
        )
    )


def clone_event(source: Event, request: CloneRequest, by: User) -> Event:
    """A draft copy of ``source`` on ``request.starts_on``, created by ``by``."""
    _checked_date(source, request.starts_on)
    title = _checked_title(source, request.title)
    zone = source.timezone
    shift = Shift(zone, (request.starts_on - utc_to_local(source.starts_at, zone).date()).days)
    the_event = _("the event")
    starts_at = shift(source.starts_at, the_event)
    ends_at = shift(source.ends_at, the_event)
    if ends_at <= starts_at:  # only where the clocks go back in between
        raise DomainError(_("The end must be after the start."), field=DATE_FIELD)
    deadline = None
    if source.registration_deadline is not None:
        deadline = min(shift(source.registration_deadline, _("the registration deadline")), ends_at)
    copy = Event(
        **{name: getattr(source, name) for name in COPIED_AS_THEY_ARE},
        title=title,
        starts_at=starts_at,
        ends_at=ends_at,
        registration_deadline=deadline,
        registration_closed=False,  # closing by hand was about the original's people
        status=EventStatus.DRAFT.value,
        created_by_id=by.id,
        participations=[
            EventOrganisation(organisation_id=p.organisation_id, role=p.role)
            for p in source.participations
        ],
        managers=[EventManager(user_id=user_id) for user_id in _team(source, by)],
    )
    db.session.add(copy)
    db.session.flush()
    _copy_image(source, copy, by)
    signals.cloned.send(source, copy=copy, shift=shift)
    db.session.flush()
    return copy
