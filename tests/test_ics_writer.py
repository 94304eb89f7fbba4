"""The ICS writer against icalendar: the same events give the same bytes.

EventHub writes its events straight to bytes (eventhub/calendar/ics.py) because building
icalendar objects for a 1,000-event feed was the slow part of a calendar. The reference below
builds each VEVENT with icalendar, as EventHub did before; any text, zone or agenda must give
byte-identical output.
"""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo, available_timezones

import pytest
from flask_babel import gettext as _
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from icalendar import Calendar
from icalendar import Event as VEvent

from eventhub import create_app
from eventhub.agenda.models import AgendaItem, AgendaItemSpeaker, SpeakerRole
from eventhub.calendar import ics
from eventhub.events.models import Event, EventStatus
from eventhub.people.models import Speaker
from tests.calendar_clients import onsets, zone_changes

BASE_URL = "https://eventhub.example.org"


@pytest.fixture(scope="module")
def writer_app(tmp_path_factory):
    """No database is read: the events below are built in memory."""
    database = tmp_path_factory.mktemp("ics") / "unused.sqlite"
    return create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "test",
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{database}",
            "EVENTHUB_BASE_URL": BASE_URL,
        }
    )


def reference_event(event: Event, page_url: str) -> bytes:
    summary = event.title
    if event.is_cancelled:
        summary = _("Cancelled: %(title)s", title=event.title)
    return VEvent.new(
        uid=event.uid,
        stamp=event.content_changed_at,
        last_modified=event.content_changed_at,
        created=event.created_at,
        start=event.starts_at.astimezone(ZoneInfo(event.timezone)),
        end=event.ends_at.astimezone(ZoneInfo(event.timezone)),
        summary=summary,
        sequence=event.sequence,
        status="CANCELLED" if event.is_cancelled else "CONFIRMED",
        url=page_url,
        location=ics.event_location(event),
        description=ics.event_description(event, page_url),
    ).to_ical()


def reference_item(event: Event, item: AgendaItem, page_url: str) -> bytes:
    item_url = f"{page_url}#item-{item.id}"
    speakers = "\n".join(ics._speaker_line(b) for b in item.speakers)
    component = VEvent.new(
        uid=item.uid,
        stamp=event.content_changed_at,
        last_modified=event.content_changed_at,
        created=item.created_at,
        start=item.starts_at.astimezone(ZoneInfo(event.timezone)),
        end=item.ends_at.astimezone(ZoneInfo(event.timezone)),
        summary=f"{item.title} · {event.title}",
        sequence=item.sequence + event.sequence,
        status="CANCELLED" if event.is_cancelled else "CONFIRMED",
        url=item_url,
        location=", ".join(p for p in (item.location, ics.event_location(event)) if p) or None,
        description="\n\n".join(p for p in (item.description, speakers, item_url) if p),
    )
    component.add("RELATED-TO", event.uid, parameters={"RELTYPE": "PARENT"})
    return component.to_ical()


# Any printable text, with the characters that need escaping or folding made likely. icalendar
# reads a literal "\N" in plain text as a line break (its escaping's first step); the writer
# keeps it as typed, so that one sequence is left out of the comparison.
characters = st.one_of(
    st.sampled_from(list(",;:\\^\"'\n\r\t ñáé€😀中")),
    st.characters(blacklist_categories=("Cs", "Cc")),
)
texts = st.text(characters, max_size=300).filter(lambda text: "\\N" not in text)
optional_texts = st.one_of(st.none(), texts.filter(bool))
zones = st.sampled_from(["America/Santiago", "America/Chicago", "UTC", "Europe/Madrid"])
instants = st.datetimes(
    min_value=datetime(2015, 1, 1), max_value=datetime(2035, 1, 1), timezones=st.just(UTC)
)


def make_event(title, summary, venue, address, zone, starts_at, cancelled, items) -> Event:
    created = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    event = Event(
        id=7,
        uid="2f0c-uid@eventhub",
        title=title,
        summary=summary,
        venue_name=venue,
        venue_address=address,
        timezone=zone,
        starts_at=starts_at,
        ends_at=starts_at + timedelta(hours=3, minutes=7),
        status=EventStatus.CANCELLED if cancelled else EventStatus.PUBLISHED,
        sequence=3,
        created_at=created,
        content_changed_at=created + timedelta(days=40, seconds=59),
    )
    for number, (item_title, description, location) in enumerate(items, start=1):
        item = AgendaItem(
            id=number,
            uid=f"item-{number}@eventhub",
            title=item_title,
            description=description,
            location=location,
            starts_at=starts_at + timedelta(minutes=10 * number),
            ends_at=starts_at + timedelta(minutes=10 * number + 9),
            sequence=number,
            created_at=created,
        )
        speaker = Speaker(name=f"{item_title[:20]} Pérez", affiliation=location)
        item.speakers.append(AgendaItemSpeaker(speaker=speaker, role=SpeakerRole.MODERATOR))
        event.agenda_items.append(item)
    return event


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    title=texts.filter(bool),
    summary=optional_texts,
    venue=optional_texts,
    address=optional_texts,
    zone=zones,
    starts_at=instants,
    cancelled=st.booleans(),
    items=st.lists(st.tuples(texts.filter(bool), optional_texts, optional_texts), max_size=3),
)
def test_events_are_written_as_icalendar_writes_them(
    writer_app, title, summary, venue, address, zone, starts_at, cancelled, items
):
    event = make_event(title, summary, venue, address, zone, starts_at, cancelled, items)
    page_url = f"{BASE_URL}/events/7"
    with writer_app.test_request_context():
        assert ics.event_component(event, page_url) == reference_event(event, page_url)
        for item in event.agenda_items:
            written = ics.agenda_item_component(event, item, page_url)
            assert written == reference_item(event, item, page_url)


def test_a_whole_calendar_parses_back(writer_app):
    items = [("Apertura; bienvenida, y \\ saludo " * 4, "Línea 1\nLínea 2", "Sala 😀")]
    event = make_event(
        "Mesa intermunicipal: migración, inclusión; y más " * 3,
        "Resumen\r\ncon saltos",
        "Salón OIM",
        "Av. Apoquindo 3000, Las Condes",
        "America/Santiago",
        datetime(2026, 12, 3, 13, 0, tzinfo=UTC),
        False,
        items,
    )
    with writer_app.test_request_context():
        data = ics.calendar_bytes([event], "Mesa", "event/x", detailed=True)
    assert all(len(line) <= 75 for line in data.split(b"\r\n"))
    parsed = Calendar.from_ical(data)
    assert [str(tz["TZID"]) for tz in parsed.walk("VTIMEZONE")] == ["America/Santiago"]
    first, second = parsed.walk("VEVENT")
    assert str(first["SUMMARY"]) == event.title
    assert first.decoded("DTSTART") == datetime(
        2026, 12, 3, 10, 0, tzinfo=ZoneInfo("America/Santiago")
    )
    assert str(first["DESCRIPTION"]).startswith("Resumen\ncon saltos\n\nAgenda:\n")
    assert str(second["SUMMARY"]) == f"{items[0][0]} · {event.title}"
    assert str(second["LOCATION"]) == "Sala 😀, Salón OIM, Av. Apoquindo 3000, Las Condes"
    assert str(second["RELATED-TO"]) == event.uid


def test_folding_keeps_characters_and_escapes_whole():
    line = "DESCRIPTION:" + "á" * 40 + "\\," + "x" * 60 + "\\n" + "😀" * 30
    folded = ics.fold(line)
    physical = folded.removesuffix(b"\r\n").split(b"\r\n ")
    assert all(len(piece) <= 74 for piece in physical)
    for piece in physical:
        piece.decode()  # no character is split between two lines
        assert not piece.endswith(b"\\")
    assert b"".join(physical).decode() == line
    assert ics.fold("SHORT:" + "x" * 68) == ("SHORT:" + "x" * 68).encode() + b"\r\n"


@settings(max_examples=25, deadline=None)
@given(
    zone=st.sampled_from(sorted(available_timezones() - {"Factory"})),
    first_year=st.integers(min_value=2000, max_value=2035),
    years=st.integers(min_value=0, max_value=2),
)
def test_vtimezones_state_the_zones_transitions(zone, first_year, years):
    """The VTIMEZONEs are not icalendar's (see ics._vtimezone): read as RFC 5545 says, they
    state every change of the zone's offset at the instant zoneinfo has it, each RDATE
    holding one value."""
    last_year = first_year + years
    data = ics._vtimezone(zone, first_year, last_year)
    assert all(b"," not in line for line in data.split(b"\r\n") if line.startswith(b"RDATE"))
    vtimezone = Calendar.from_ical(b"BEGIN:VCALENDAR\r\n" + data + b"END:VCALENDAR\r\n").walk(
        "VTIMEZONE"
    )[0]
    stated = onsets(vtimezone)
    first = stated[0]
    start = datetime(first_year, 1, 1, tzinfo=ZoneInfo(zone))
    assert first[0] == start.astimezone(UTC) and first[1] == first[2] == start.utcoffset()
    end = datetime(last_year + 1, 1, 1, tzinfo=ZoneInfo(zone))
    years_around = range(first_year - 1, last_year + 2)
    changes = [c for year in years_around for c in zone_changes(zone, year)]
    # Changes of name or of the daylight-saving flag alone have observances of their own.
    assert [onset for onset in stated[1:] if onset[1] != onset[2]] == [
        change for change in changes if start <= change[0] < end
    ]
