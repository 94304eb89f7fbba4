"""Agendas: validating items, speakers' double bookings, shifting and moving the timetable."""

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from itertools import groupby
from zoneinfo import ZoneInfo

from flask_babel import gettext as _
from sqlalchemy import Select, select
from sqlalchemy.orm import selectinload

from eventhub.agenda.models import AgendaItem, AgendaItemKind, AgendaItemSpeaker, SpeakerRole
from eventhub.errors import DomainError
from eventhub.events.models import Event, EventOrganisation
from eventhub.events.services import (  # the events routes catch them: they live there
    AgendaConflictError,
    AgendaDecisionNeededError,
    AgendaPolicy,
)
from eventhub.events.timezones import NonexistentLocalTimeError, local_to_utc
from eventhub.extensions import db
from eventhub.formatting import local_datetime, local_time, minutes_text
from eventhub.loaders import event_child
from eventhub.people.models import Speaker
from eventhub.text import clean

MAX_SHIFT_MINUTES = 7 * 24 * 60


@dataclass
class SpeakerSlot:
    speaker_id: int
    role: str = SpeakerRole.SPEAKER.value


@dataclass
class AgendaItemData:
    """What an organiser enters; times are wall-clock times in the event's zone."""

    title: str
    starts_at: datetime
    ends_at: datetime
    kind: str = AgendaItemKind.TALK.value
    description: str | None = None
    location: str | None = None
    speakers: list[SpeakerSlot] = field(default_factory=list)


def get_item(event: Event, item_id: int) -> AgendaItem:
    return event_child(AgendaItem, item_id, event, _("No such agenda item."))


def _describe(item: AgendaItem, zone: str) -> str:
    return f"“{item.title}” ({local_time(item.starts_at, zone)}–{local_time(item.ends_at, zone)})"


def _to_utc(local: datetime, zone: str, field_name: str) -> datetime:
    try:
        return local_to_utc(local, zone)
    except NonexistentLocalTimeError as error:
        raise DomainError(
            _(
                "%(time)s does not exist in %(zone)s: the clocks skip that hour.",
                time=local.strftime("%Y-%m-%d %H:%M"),
                zone=zone,
            ),
            field=field_name,
        ) from error


def check_within_event(event: Event, starts_at: datetime, ends_at: datetime) -> None:
    if ends_at <= starts_at:
        raise DomainError(_("The item must end after it starts."), field="ends_at")
    if starts_at < event.starts_at or ends_at > event.ends_at:
        raise DomainError(
            _(
                "The item must lie within the event: %(start)s to %(end)s.",
                start=local_datetime(event.starts_at, event.timezone, "short"),
                end=local_datetime(event.ends_at, event.timezone, "short"),
            ),
            field="starts_at" if starts_at < event.starts_at else "ends_at",
        )


def _check_speakers(slots: list[SpeakerSlot]) -> list[SpeakerSlot]:
    roles = {role.value for role in SpeakerRole}
    unique: dict[int, SpeakerSlot] = {}
    for slot in slots:
        if slot.role not in roles:
            raise DomainError(_("Unknown speaker role."), field="speakers")
        if slot.speaker_id in unique:
            raise DomainError(_("A speaker is listed twice on this item."), field="speakers")
        unique[slot.speaker_id] = slot
    if unique:
        found = set(db.session.scalars(select(Speaker.id).where(Speaker.id.in_(unique))))
        if missing := sorted(set(unique) - found):
            raise DomainError(
                _("Unknown speaker: %(ids)s.", ids=", ".join(map(str, missing))), field="speakers"
            )
    return list(unique.values())


def double_bookings(
    speaker_ids: Iterable[int],
    starts_at: datetime,
    ends_at: datetime,
    exclude_item_ids: Iterable[int] = (),
) -> list[AgendaItemSpeaker]:
    """Bookings of these speakers, on any event's agenda, that overlap the given interval."""
    speaker_ids = list(speaker_ids)
    if not speaker_ids:
        return []
    stmt = (
        select(AgendaItemSpeaker)
        .join(AgendaItemSpeaker.item)
        .where(
            AgendaItemSpeaker.speaker_id.in_(speaker_ids),
            AgendaItem.starts_at < ends_at,
            AgendaItem.ends_at > starts_at,
        )
        .options(
            selectinload(AgendaItemSpeaker.item).selectinload(AgendaItem.event),
            selectinload(AgendaItemSpeaker.speaker),
        )
    )
    excluded = list(exclude_item_ids)
    if excluded:
        stmt = stmt.where(AgendaItemSpeaker.item_id.not_in(excluded))
    return list(db.session.scalars(stmt))


def _refuse_double_bookings(
    event: Event, title: str, starts_at, ends_at, slots, exclude_item_ids
) -> None:
    clashes = double_bookings([s.speaker_id for s in slots], starts_at, ends_at, exclude_item_ids)
    if not clashes:
        return
    clash = clashes[0]
    other = clash.item
    where = "" if other.event_id == event.id else f" ({other.event.title})"
    raise AgendaConflictError(
        _(
            "%(speaker)s cannot be in “%(item)s” and in %(other)s%(where)s at the same time.",
            speaker=clash.speaker.name,
            item=title,
            other=_describe(other, event.timezone),
            where=where,
        ),
        items=[c.item for c in clashes],
        field="speakers",
    )


def _apply(event: Event, item: AgendaItem, data: AgendaItemData) -> None:
    title = clean(data.title)
    if not title:
        raise DomainError(_("Give the item a title."), field="title")
    if data.kind not in {kind.value for kind in AgendaItemKind}:
        raise DomainError(_("Unknown kind of item."), field="kind")
    starts_at = _to_utc(data.starts_at, event.timezone, "starts_at")
    ends_at = _to_utc(data.ends_at, event.timezone, "ends_at")
    check_within_event(event, starts_at, ends_at)
    slots = _check_speakers(data.speakers)
    exclude = [item.id] if item.id is not None else []
    _refuse_double_bookings(event, title, starts_at, ends_at, slots, exclude)

    item.title = title
    item.kind = data.kind
    item.description = clean(data.description, one_line=False)
    item.location = clean(data.location)
    item.starts_at = starts_at
    item.ends_at = ends_at
    current = {booking.speaker_id: booking for booking in item.speakers}
    item.speakers = [
        _booking(current.get(slot.speaker_id), slot, position)
        for position, slot in enumerate(slots)
    ]


def _booking(existing: AgendaItemSpeaker | None, slot: SpeakerSlot, position: int):
    booking = existing or AgendaItemSpeaker(speaker_id=slot.speaker_id)
    booking.role = slot.role
    booking.position = position
    return booking


def add_item(event: Event, data: AgendaItemData) -> AgendaItem:
    item = AgendaItem(speakers=[])  # joins the event (and the session) only once it is valid
    _apply(event, item, data)
    event.agenda_items.append(item)
    db.session.flush()
    return item


def update_item(event: Event, item: AgendaItem, data: AgendaItemData) -> AgendaItem:
    _apply(event, item, data)
    db.session.flush()
    return item


def delete_item(item: AgendaItem) -> None:
    db.session.delete(item)
    db.session.flush()


def shift_following(event: Event, item: AgendaItem, minutes: int) -> list[AgendaItem]:
    """Move this item and every item starting at or after it by ``minutes`` (late programmes)."""
    if minutes == 0:
        raise DomainError(_("Give a number of minutes other than zero."), field="minutes")
    if abs(minutes) > MAX_SHIFT_MINUTES:
        raise DomainError(_("Shift by at most a week."), field="minutes")
    delta = timedelta(minutes=minutes)
    moved = [other for other in event.agenda_items if other.starts_at >= item.starts_at]
    outside = [
        other
        for other in moved
        if other.starts_at + delta < event.starts_at or other.ends_at + delta > event.ends_at
    ]
    if outside:
        raise AgendaConflictError(
            _(
                "Shifting by %(minutes)s would put these items outside the event: %(items)s.",
                minutes=minutes_text(minutes),
                items=", ".join(_describe(other, event.timezone) for other in outside),
            ),
            items=outside,
            field="minutes",
        )
    moved_ids = [other.id for other in moved]
    for other in moved:
        slots = [SpeakerSlot(b.speaker_id, b.role) for b in other.speakers]
        _refuse_double_bookings(
            event, other.title, other.starts_at + delta, other.ends_at + delta, slots, moved_ids
        )
    for other in moved:
        other.starts_at += delta
        other.ends_at += delta
    db.session.flush()
    return moved


def items_outside(event: Event, starts_at: datetime, ends_at: datetime, offset: timedelta):
    """Items that would not fit an event running from ``starts_at`` to ``ends_at``,
    once moved by ``offset``."""
    return [
        item
        for item in event.agenda_items
        if item.starts_at + offset < starts_at or item.ends_at + offset > ends_at
    ]


def move_with_event(event: Event, offset: timedelta) -> None:
    for item in event.agenda_items:
        item.starts_at += offset
        item.ends_at += offset


def follow_event_times(event: Event, offset: timedelta, agenda_policy: str | None) -> None:
    """The event's times changed (``offset``: how far its start moved): the agenda moves with
    the start or stays, as the organiser chose.

    Agenda items must stay within the event, so a change that would leave any outside is
    refused with the list of those items.
    """
    if not event.agenda_items:
        return
    if offset and agenda_policy not in {p.value for p in AgendaPolicy}:
        raise AgendaDecisionNeededError(
            _("The start changed: choose whether the agenda moves with it."),
            outside_if_moved=items_outside(event, event.starts_at, event.ends_at, offset),
            outside_if_kept=items_outside(event, event.starts_at, event.ends_at, timedelta(0)),
        )
    shift = offset if agenda_policy == AgendaPolicy.MOVE else timedelta(0)
    outside = items_outside(event, event.starts_at, event.ends_at, shift)
    if outside:
        raise AgendaConflictError(
            _(
                "These agenda items would fall outside the event: %(items)s. "
                "Move or delete them first, or choose other times.",
                items=", ".join(f"“{item.title}”" for item in outside),
            ),
            items=outside,
            field="agenda_policy" if offset else "ends_at",
        )
    if shift:
        move_with_event(event, shift)


def event_page_query(event_id: int) -> Select:
    """The event with all its page and its printable agenda show, in a fixed number of
    queries whatever its size."""
    return (
        select(Event)
        .where(Event.id == event_id)
        .options(
            selectinload(Event.programme),
            selectinload(Event.host_organisation),
            selectinload(Event.participations).selectinload(EventOrganisation.organisation),
            selectinload(Event.agenda_items)
            .selectinload(AgendaItem.speakers)
            .selectinload(AgendaItemSpeaker.speaker)
            .selectinload(Speaker.organisation),
        )
    )


@dataclass(frozen=True)
class AgendaRow:
    """One item of the organisers' agenda: the few columns it shows, times already in the
    event's zone and labels already translated (once per kind and role for the page)."""

    id: int
    title: str
    kind: str
    kind_label: str
    location: str | None
    starts_at: datetime
    ends_at: datetime
    starts: str
    ends: str
    # (speaker id, name, role label)
    speakers: list[tuple[int, str, str]]


def agenda_rows(event_id: int, zone_name: str) -> list[tuple[date, list[AgendaRow]]]:
    """The event's agenda by day as plain rows, in two queries whatever its size: no ORM
    object per item or speaker."""
    zone = ZoneInfo(zone_name)
    speakers: dict[int, list[tuple[int, str, str]]] = {}
    roles: dict[str, str] = {}
    for item_id, speaker_id, name, role in db.session.execute(
        select(
            AgendaItemSpeaker.item_id,
            AgendaItemSpeaker.speaker_id,
            Speaker.name,
            AgendaItemSpeaker.role,
        )
        .join(Speaker, Speaker.id == AgendaItemSpeaker.speaker_id)
        .join(AgendaItem, AgendaItem.id == AgendaItemSpeaker.item_id)
        .where(AgendaItem.event_id == event_id)
        .order_by(AgendaItemSpeaker.item_id, AgendaItemSpeaker.position)
    ):
        if role not in roles:
            roles[role] = str(SpeakerRole(role).label)
        speakers.setdefault(item_id, []).append((speaker_id, name, roles[role]))
    kinds: dict[str, str] = {}
    days: dict[date, list[AgendaRow]] = {}
    for item_id, title, kind, location, starts_at, ends_at in db.session.execute(
        select(
            AgendaItem.id,
            AgendaItem.title,
            AgendaItem.kind,
            AgendaItem.location,
            AgendaItem.starts_at,
            AgendaItem.ends_at,
        )
        .where(AgendaItem.event_id == event_id)
        .order_by(AgendaItem.starts_at, AgendaItem.ends_at, AgendaItem.id)
    ):
        if kind not in kinds:
            kinds[kind] = str(AgendaItemKind(kind).label)
        start, end = starts_at.astimezone(zone), ends_at.astimezone(zone)
        days.setdefault(start.date(), []).append(
            AgendaRow(
                id=item_id,
                title=title,
                kind=kind,
                kind_label=kinds[kind],
                location=location,
                starts_at=starts_at,
                ends_at=ends_at,
                starts=start.strftime("%H:%M"),
                ends=end.strftime("%H:%M"),
                speakers=speakers.get(item_id, []),
            )
        )
    return list(days.items())


def items_by_day(event: Event) -> list[tuple[date, list[AgendaItem]]]:
    zone = ZoneInfo(event.timezone)
    return [
        (day, list(items))
        for day, items in groupby(
            event.agenda_items, key=lambda i: i.starts_at.astimezone(zone).date()
        )
    ]


def event_speakers(event: Event) -> list[tuple[Speaker, list[str]]]:
    """Everyone on the agenda, once, by name, with the roles they hold."""
    roles: dict[int, tuple[Speaker, list]] = {}
    for item in event.agenda_items:
        for booking in item.speakers:
            _, labels = roles.setdefault(booking.speaker_id, (booking.speaker, []))
            if booking.role_label not in labels:
                labels.append(booking.role_label)
    return sorted(roles.values(), key=lambda pair: pair[0].name.casefold())


def bookings_of(speaker: Speaker, public_only: bool) -> list[AgendaItemSpeaker]:
    """A speaker's agenda items with their events, latest event first."""
    stmt = (
        select(AgendaItemSpeaker)
        .join(AgendaItemSpeaker.item)
        .join(AgendaItem.event)
        .where(AgendaItemSpeaker.speaker_id == speaker.id)
        .options(selectinload(AgendaItemSpeaker.item).selectinload(AgendaItem.event))
        .order_by(Event.starts_at.desc(), Event.id, AgendaItem.starts_at)
    )
    if public_only:
        stmt = stmt.where(Event.published_at.is_not(None), Event.status != "draft")
    return list(db.session.scalars(stmt))


def events_of(speaker: Speaker, public_only: bool) -> list[tuple[Event, list[AgendaItemSpeaker]]]:
    bookings = bookings_of(speaker, public_only)
    return [(event, list(group)) for event, group in groupby(bookings, key=lambda b: b.item.event)]


def remove_speaker_from_agendas(speaker: Speaker) -> int:
    bookings = db.session.scalars(
        select(AgendaItemSpeaker).where(AgendaItemSpeaker.speaker_id == speaker.id)
    ).all()
    for booking in bookings:
        db.session.delete(booking)
    db.session.flush()
    return len(bookings)


def copy_agenda(source: Event, copy: Event, shift) -> list[AgendaItem]:
    """The items of ``source`` on ``copy``, with their speakers, each time moved by ``shift``
    (an ``events.cloning.Shift``). Refused when a speaker is booked elsewhere then."""
    planned = []
    for item in source.agenda_items:
        what = f"“{item.title}”"
        starts_at, ends_at = shift(item.starts_at, what), shift(item.ends_at, what)
        if ends_at <= starts_at or starts_at < copy.starts_at or ends_at > copy.ends_at:
            raise DomainError(
                _(
                    "On that date the item %(item)s would fall outside the event. "
                    "Choose another date.",
                    item=what,
                ),
                field="starts_on",
            )
        slots = [SpeakerSlot(b.speaker_id, b.role) for b in item.speakers]
        _refuse_double_bookings(copy, item.title, starts_at, ends_at, slots, ())
        planned.append((item, starts_at, ends_at))
    copies = [
        AgendaItem(
            starts_at=starts_at,
            ends_at=ends_at,
            title=item.title,
            kind=item.kind,
            description=item.description,
            location=item.location,
            speakers=[
                AgendaItemSpeaker(speaker_id=b.speaker_id, role=b.role, position=b.position)
                for b in item.speakers
            ],
        )
        for item, starts_at, ends_at in planned
    ]
    copy.agenda_items.extend(copies)
    db.session.flush()
    return copies
