"""ICS built by plain functions with the icalendar library: events, agendas, feeds."""

import hashlib
from collections.abc import Iterable
from datetime import date, datetime, timedelta
from functools import lru_cache
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from flask import current_app
from flask_babel import gettext as _
from icalendar import Calendar, Timezone, vDuration
from icalendar import Event as VEvent

from eventhub.agenda.models import AgendaItem
from eventhub.events.models import Event
from eventhub.formatting import local_time
from eventhub.text import clean

REFRESH_INTERVAL = timedelta(hours=1)
PRODID = "-//EventHub//EventHub 1.0//ES"


def base_url() -> str:
    return current_app.config["EVENTHUB_BASE_URL"].rstrip("/")


def external_url(endpoint: str, **values) -> str:
    """An absolute URL on EVENTHUB_BASE_URL, the address people reach us at.

    Built from the URL map directly, so it works without a request (CLI, workers).
    """
    base = urlsplit(base_url())
    adapter = current_app.url_map.bind(
        base.netloc, script_name=base.path or "/", url_scheme=base.scheme or "https"
    )
    anchor = values.pop("_anchor", None)
    url = adapter.build(endpoint, values, force_external=True)
    return f"{url}#{anchor}" if anchor else url


def _local(instant: datetime, zone: str) -> datetime:
    """Times carry the event's zone (TZID); UTC stays UTC ('Z')."""
    return instant.astimezone(ZoneInfo(zone))


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


def event_component(event: Event) -> VEvent:
    page_url = external_url("events.show_event", event_id=event.id)
    summary = event.title
    if event.is_cancelled:
        summary = _("Cancelled: %(title)s", title=event.title)
    component = VEvent.new(
        uid=event.uid,
        stamp=event.content_changed_at,
        last_modified=event.content_changed_at,
        created=event.created_at,
        start=_local(event.starts_at, event.timezone),
        end=_local(event.ends_at, event.timezone),
        summary=summary,
        sequence=event.sequence,
        status="CANCELLED" if event.is_cancelled else "CONFIRMED",
        url=page_url,
        location=event_location(event),
        description=event_description(event, page_url),
    )
    return component


def agenda_item_component(event: Event, item: AgendaItem) -> VEvent:
    page_url = external_url("events.show_event", event_id=event.id, _anchor=f"item-{item.id}")
    speakers = "\n".join(_speaker_line(b) for b in item.speakers)
    description = "\n\n".join(p for p in (item.description, speakers, page_url) if p)
    component = VEvent.new(
        uid=item.uid,
        stamp=event.content_changed_at,
        last_modified=event.content_changed_at,
        created=item.created_at,
        start=_local(item.starts_at, event.timezone),
        end=_local(item.ends_at, event.timezone),
        summary=f"{item.title} · {event.title}",
        sequence=item.sequence + event.sequence,
        status="CANCELLED" if event.is_cancelled else "CONFIRMED",
        url=page_url,
        location=", ".join(p for p in (item.location, event_location(event)) if p) or None,
        description=description,
    )
    component.add("RELATED-TO", event.uid, parameters={"RELTYPE": "PARENT"})
    return component


@lru_cache(maxsize=256)
def _vtimezone(zone: str, first_year: int, last_year: int) -> bytes:
    """The VTIMEZONE of one zone over some years; computing it is the slow part, so cached."""
    probe = Calendar()
    moment = datetime(first_year, 6, 1, 12, tzinfo=ZoneInfo(zone))
    probe.add_component(VEvent.new(uid="probe", start=moment, end=moment + timedelta(hours=1)))
    probe.add_missing_timezones(
        first_date=date(first_year, 1, 1), last_date=date(last_year, 12, 31)
    )
    return next(c for c in probe.walk("VTIMEZONE")).to_ical()


def _add_timezones(calendar: Calendar, spans: dict[str, tuple[int, int]]) -> None:
    for zone, (first_year, last_year) in sorted(spans.items()):
        if zone == "UTC":
            continue
        calendar.add_component(Timezone.from_ical(_vtimezone(zone, first_year, last_year)))


def build_calendar(
    events: Iterable[Event], name: str, identity: str, detailed: bool = False
) -> Calendar:
    """A calendar of events (and, detailed, their agenda items) with a VTIMEZONE per zone.

    ``identity`` names the calendar stably (a feed's kind and owner): same content, same bytes.
    """
    calendar = Calendar.new(
        # icalendar writes the calendar's name unescaped: it must be a single line.
        name=clean(name) or "EventHub",
        prodid=PRODID,
        method="PUBLISH",
        refresh_interval=REFRESH_INTERVAL,
        uid=hashlib.sha256(f"{urlsplit(base_url()).netloc}/{identity}".encode()).hexdigest()[:32],
    )
    calendar["REFRESH-INTERVAL"].params["VALUE"] = "DURATION"  # required by RFC 7986
    calendar.add("X-WR-TIMEZONE", current_app.config["DEFAULT_EVENT_TIMEZONE"])
    calendar.add("X-PUBLISHED-TTL", vDuration(REFRESH_INTERVAL))
    spans: dict[str, tuple[int, int]] = {}
    components = []
    for event in events:
        first, last = event.starts_at.year - 1, event.ends_at.year + 1
        known = spans.get(event.timezone, (first, last))
        spans[event.timezone] = (min(known[0], first), max(known[1], last))
        components.append(event_component(event))
        if detailed:
            components.extend(agenda_item_component(event, item) for item in event.agenda_items)
    _add_timezones(calendar, spans)  # defined before the events that use them
    for component in components:
        calendar.add_component(component)
    return calendar
