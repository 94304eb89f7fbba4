"""ICS built by plain functions: events, agendas, feeds."""

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from flask import current_app
from flask_babel import gettext as _
from icalendar import Calendar, Timezone, TimezoneDaylight, TimezoneStandard, vDuration
from icalendar import Event as VEvent

from eventhub.agenda.models import AgendaItem
from eventhub.events.models import Event
from eventhub.formatting import local_time
from eventhub.text import clean
from eventhub.urls import base_url, external_url_adapter

REFRESH_INTERVAL = timedelta(hours=1)
PRODID = "-//EventHub//EventHub 1.0//ES"


def _speaker_line(booking) -> str:
    organisation = booking.speaker.organisation_name
    details = f"{booking.role_label}, {organisation}" if organisation else str(booking.role_label)
    return f"{booking.speaker.name} ({details})"


def event_description(event: Event, page_url: str) -> str:
    parts = [event.summary] if event.summary else []
    if event.agenda_items:
        lines = []
        for item in event.agenda_items:
            line = (
                f"{local_time(item.starts_at, event.timezone)}–"
                f"{local_time(item.ends_at, event.timezone)} {item.title}"
            )
            speakers = "; ".join(_speaker_line(b) for b in item.speakers)
            lines.append(f"{line} — {speakers}" if speakers else line)
        parts.append(_("Agenda") + ":\n" + "\n".join(lines))
    parts.append(page_url)
    return "\n\n".join(parts)


def event_location(event: Event) -> str | None:
    return ", ".join(part for part in (event.venue_name, event.venue_address) if part) or None


# --- writing content lines ----------------------------------------------------------------------
# The events are written straight to bytes: building icalendar objects for a 1,000-event feed
# and serialising them took several times longer than the query. The output is what icalendar
# writes for the same properties, in the same order (tests/test_ics_writer.py compares the
# two); the calendar's header comes from icalendar, and the VTIMEZONEs are icalendar
# components built from the zone data (see _vtimezone).

FOLD_AT = 74  # octets per physical line, as icalendar folds (RFC 5545: at most 75)


def fold(line: str) -> bytes:
    """One content line, folded at 74 octets without splitting a character or an escape."""
    data = line.encode()
    if len(data) <= FOLD_AT:
        return data + b"\r\n"
    pieces = []
    start = 0
    while len(data) - start > FOLD_AT:
        cut = start + FOLD_AT
        while data[cut] & 0xC0 == 0x80:  # inside a UTF-8 sequence
            cut -= 1
        if data[cut - 1] in b"\\^" and cut - 1 > start:  # keep a backslash with what it escapes
            cut -= 1
        pieces.append(data[start:cut])
        start = cut
    pieces.append(data[start:])
    return b"\r\n ".join(pieces) + b"\r\n"


def escape_text(value: str) -> str:
    """A TEXT value (RFC 5545 3.3.11): backslash, semicolon, comma and line breaks escaped."""
    return (
        value.replace("\\", "\\\\")
        .replace(";", "\\;")
        .replace(",", "\\,")
        .replace("\r\n", "\\n")
        .replace("\n", "\\n")
        .replace("\r", "\\n")
    )


def _stamp(moment: datetime) -> str:
    return (
        f"{moment.year:04d}{moment.month:02d}{moment.day:02d}"
        f"T{moment.hour:02d}{moment.minute:02d}{moment.second:02d}"
    )


def utc_value(instant: datetime) -> str:
    return _stamp(instant.astimezone(UTC)) + "Z"


@lru_cache(maxsize=256)
def _writes_as_utc(zone: str) -> bool:
    """Whether icalendar writes this zone's times as UTC ('Z') rather than with a TZID."""
    probe = datetime(2000, 1, 1, tzinfo=ZoneInfo(zone))
    return b"DTSTART:" in VEvent.new(uid="probe", start=probe).to_ical()


def local_property(name: str, instant: datetime, zone: str) -> str:
    """Times carry the event's zone (TZID); UTC stays UTC ('Z')."""
    if _writes_as_utc(zone):
        return f"{name}:{utc_value(instant)}"
    return f"{name};TZID={zone}:{_stamp(instant.astimezone(ZoneInfo(zone)))}"


def _vevent(
    *,
    uid: str,
    changed: datetime,
    created: datetime,
    starts_at: datetime,
    ends_at: datetime,
    zone: str,
    summary: str,
    sequence: int,
    cancelled: bool,
    url: str,
    location: str | None,
    description: str,
    parent_uid: str | None = None,
) -> bytes:
    changed_value = utc_value(changed)
    # icalendar's order: its canonical properties first, then the others alphabetically.
    lines = [
        "BEGIN:VEVENT",
        f"SUMMARY:{escape_text(summary)}",
        local_property("DTSTART", starts_at, zone),
        local_property("DTEND", ends_at, zone),
        f"DTSTAMP:{changed_value}",
        f"UID:{escape_text(uid)}",
        f"SEQUENCE:{sequence}",
        f"CREATED:{utc_value(created)}",
        f"DESCRIPTION:{escape_text(description)}",
        f"LAST-MODIFIED:{changed_value}",
    ]
    if location:
        lines.append(f"LOCATION:{escape_text(location)}")
    if parent_uid is not None:
        lines.append(f"RELATED-TO;RELTYPE=PARENT:{escape_text(parent_uid)}")
    lines.append("STATUS:CANCELLED" if cancelled else "STATUS:CONFIRMED")
    lines.append(f"URL:{url}")
    lines.append("END:VEVENT")
    return b"".join(fold(line) for line in lines)


def event_component(event: Event, page_url: str, withdrawn_sequence: int | None = None) -> bytes:
    """``withdrawn_sequence``: the event goes on, but this person's entry is cancelled (their
    place is gone): STATUS:CANCELLED at that SEQUENCE, the title staying the event's."""
    summary = event.title
    if event.is_cancelled:
        summary = _("Cancelled: %(title)s", title=event.title)
    return _vevent(
        uid=event.uid,
        changed=event.content_changed_at,
        created=event.created_at,
        starts_at=event.starts_at,
        ends_at=event.ends_at,
        zone=event.timezone,
        summary=summary,
        sequence=event.sequence if withdrawn_sequence is None else withdrawn_sequence,
        cancelled=event.is_cancelled or withdrawn_sequence is not None,
        url=page_url,
        location=event_location(event),
        description=event_description(event, page_url),
    )


def agenda_item_component(event: Event, item: AgendaItem, page_url: str) -> bytes:
    item_url = f"{page_url}#item-{item.id}"
    speakers = "\n".join(_speaker_line(b) for b in item.speakers)
    return _vevent(
        uid=item.uid,
        changed=event.content_changed_at,
        created=item.created_at,
        starts_at=item.starts_at,
        ends_at=item.ends_at,
        zone=event.timezone,
        summary=f"{item.title} · {event.title}",
        sequence=item.sequence + event.sequence,
        cancelled=event.is_cancelled,
        url=item_url,
        location=", ".join(p for p in (item.location, event_location(event)) if p) or None,
        description="\n\n".join(p for p in (item.description, speakers, item_url) if p),
        parent_uid=event.uid,
    )


@dataclass(frozen=True)
class Transition:
    """A change of a zone's offset (or of its name or daylight-saving flag) at one instant."""

    at: datetime  # UTC
    offset_from: timedelta
    offset_to: timedelta
    name: str
    is_dst: bool


# Since 1970 no zone has kept an offset for less than six days (tzdata): a daily look misses
# no transition.
SCAN_STEP = timedelta(days=1)


def _state(zone: ZoneInfo, instant: datetime) -> tuple[timedelta, str, bool]:
    local = instant.astimezone(zone)
    offset = local.utcoffset()
    assert offset is not None  # an aware datetime always has one
    return offset, local.tzname() or "", bool(local.dst())


def zone_transitions(zone: str, first: datetime, last: datetime) -> list[Transition]:
    """The zone's transitions between two UTC instants, each found to the second."""
    tz = ZoneInfo(zone)
    found = []
    moment, state = first, _state(tz, first)
    while moment < last:
        following = min(moment + SCAN_STEP, last)
        new_state = _state(tz, following)
        if new_state != state:
            before, after = moment, following  # the change lies in (before, after]
            while after - before > timedelta(seconds=1):
                middle = before + (after - before) / 2
                if _state(tz, middle) == state:
                    before = middle
                else:
                    after = middle
            at = after.replace(microsecond=0)
            found.append(Transition(at, state[0], *new_state))
        moment, state = following, new_state
    return found


@lru_cache(maxsize=256)
def _vtimezone(zone: str, first_year: int, last_year: int) -> bytes:
    """The VTIMEZONE of one zone over some years, from the zone data itself; cached.

    Not icalendar's ``add_missing_timezones``, for two reasons:

    * it lists every transition of an observance in one comma-separated RDATE, and ical.js
      (Thunderbird, Nextcloud) and vobject read only the first value, so every event after
      the second transition was an hour off there; here each RDATE holds one value;
    * it writes the onset of daylight saving time in the local time *after* the change
      (America/Santiago ``T010000`` with TZOFFSETFROM:-0400, though the clocks go from
      00:00 to 01:00; Europe/Madrid ``T030000`` for 02:00 → 03:00), which puts the change an
      hour late. RFC 5545 (3.6.5, and its examples) writes an observance's DTSTART and RDATE
      in the local time before the transition, that is in TZOFFSETFROM, as done here.
    """
    tz = ZoneInfo(zone)
    first = datetime(first_year, 1, 1, tzinfo=tz).astimezone(UTC)
    last = datetime(last_year + 1, 1, 1, tzinfo=tz).astimezone(UTC)
    start_offset, start_name, start_dst = _state(tz, first)
    timezone = Timezone()
    timezone.add("TZID", zone)
    timezone.add("COMMENT", f"Valid from {first_year}-01-01 to {last_year}-12-31.")
    # (from, to, name, dst) → the local times before each transition of that kind
    observances: dict[tuple, list[datetime]] = {
        (start_offset, start_offset, start_name, start_dst): [
            (first + start_offset).replace(tzinfo=None)
        ]
    }
    for change in zone_transitions(zone, first, last):
        key = (change.offset_from, change.offset_to, change.name, change.is_dst)
        local_before = (change.at + change.offset_from).replace(tzinfo=None)
        observances.setdefault(key, []).append(local_before)
    for (offset_from, offset_to, name, is_dst), onsets in observances.items():
        observance = TimezoneDaylight() if is_dst else TimezoneStandard()
        observance.add("DTSTART", onsets[0])
        for onset in onsets[1:]:
            observance.add("RDATE", onset)  # one property per value: see above
        observance.add("TZNAME", name)
        observance.add("TZOFFSETFROM", offset_from)
        observance.add("TZOFFSETTO", offset_to)
        timezone.add_component(observance)
    return timezone.to_ical()


CALENDAR_END = b"END:VCALENDAR\r\n"


@lru_cache(maxsize=1024)
def _calendar_head(
    name: str, identity: str, host: str, default_zone: str, method: str = "PUBLISH"
) -> bytes:
    """The calendar's own properties, up to where its components begin."""
    calendar = Calendar.new(
        # icalendar writes the calendar's name unescaped: it must be a single line.
        name=name,
        prodid=PRODID,
        method=method,
        refresh_interval=REFRESH_INTERVAL,
        uid=hashlib.sha256(f"{host}/{identity}".encode()).hexdigest()[:32],
    )
    calendar["REFRESH-INTERVAL"].params["VALUE"] = "DURATION"  # required by RFC 7986
    calendar.add("X-WR-TIMEZONE", default_zone)
    calendar.add("X-PUBLISHED-TTL", vDuration(REFRESH_INTERVAL))
    return calendar.to_ical().removesuffix(CALENDAR_END)


def calendar_bytes(
    events: Iterable[Event],
    name: str,
    identity: str,
    detailed: bool = False,
    withdrawn_sequence: int | None = None,
) -> bytes:
    """A calendar of events (and, detailed, their agenda items) with a VTIMEZONE per zone.

    ``identity`` names the calendar stably (a feed's kind and owner): same content, same bytes.
    ``withdrawn_sequence`` writes METHOD:CANCEL with each event cancelled at that SEQUENCE:
    what makes a calendar drop the entry a person was given when their place goes.
    """
    head = _calendar_head(
        clean(name) or "EventHub",
        identity,
        urlsplit(base_url()).netloc,
        current_app.config["DEFAULT_EVENT_TIMEZONE"],
        "PUBLISH" if withdrawn_sequence is None else "CANCEL",
    )
    adapter = external_url_adapter()
    spans: dict[str, tuple[int, int]] = {}
    components = []
    for event in events:
        first, last = event.starts_at.year - 1, event.ends_at.year + 1
        known = spans.get(event.timezone, (first, last))
        spans[event.timezone] = (min(known[0], first), max(known[1], last))
        # external_url's build with one adapter bound for all the events, not one per event.
        page_url = adapter.build("events.show_event", {"event_id": event.id}, force_external=True)
        components.append(event_component(event, page_url, withdrawn_sequence))
        if detailed:
            components.extend(
                agenda_item_component(event, item, page_url) for item in event.agenda_items
            )
    # The timezones come before the events that use them.
    timezones = [
        _vtimezone(zone, first_year, last_year)
        for zone, (first_year, last_year) in sorted(spans.items())
        if not _writes_as_utc(zone)
    ]
    return head + b"".join(timezones) + b"".join(components) + CALENDAR_END
