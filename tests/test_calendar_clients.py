"""Every instant of every calendar we publish comes out the same in ical.js (Thunderbird,
Nextcloud), vobject and icalendar as in zoneinfo: feeds over three years, winter and summer,
the hours around each change of the clocks, in America/Santiago, Europe/Madrid and
America/New_York; single-event files too, and the VTIMEZONE itself against the zone data."""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from icalendar import Calendar

from eventhub.calendar.feeds import FeedKind
from eventhub.calendar.services import rotate_feed_token
from eventhub.events.models import EventOrganisation
from eventhub.extensions import db
from tests.calendar_clients import misread, onsets, zone_changes
from tests.factories import EventFactory, OrganisationFactory, RegistrationFactory

ZONES = ["America/Santiago", "Europe/Madrid", "America/New_York"]
YEARS = [2027, 2028, 2029]  # the feeds show what is to come: these are all ahead


DURATION = timedelta(hours=2)


def moments(zone: str) -> list[datetime]:
    """Winter and summer mornings, and times close to each change of the clocks, as UTC
    instants: the half hours either side of the onset of daylight saving time, and around
    its end the times just outside the hour that happens twice. (A local time in that hour
    is ambiguous: RFC 5545 means the first occurrence, ical.js takes the second.)"""
    tz = ZoneInfo(zone)
    found = []
    for year in YEARS:
        for month in (1, 7):
            found.append(datetime(year, month, 15, 10, tzinfo=tz).astimezone(UTC))
        for at, before, after in zone_changes(zone, year):
            if after > before:  # clocks go forward: every time near it exists once
                found += [at - timedelta(minutes=30), at + timedelta(minutes=30)]
            else:  # clocks go back: [at - shift, at + shift) is the repeated hour
                shift = before - after
                found += [at - shift - DURATION - timedelta(minutes=30), at + shift]
    return found


@pytest.fixture
def calendar_world(app):
    """Published events at every moment in every zone, each two hours long; the
    organisation takes part in all of them and Ana is registered for all of them."""
    expected = {}
    with app.app_context():
        organisation = OrganisationFactory(name="Municipalidad de Estación Central")
        for zone in ZONES:
            for start in moments(zone):
                event = EventFactory(
                    published=True,
                    registration_mode="open",
                    timezone=zone,
                    starts_at=start,
                    ends_at=start + DURATION,
                    title=f"Mesa intermunicipal {zone} {start:%Y-%m-%d %H:%M}Z",
                )
                db.session.add(
                    EventOrganisation(event=event, organisation=organisation, role="participant")
                )
                RegistrationFactory(event=event, email="ana@example.org")
                expected[event.uid] = (start, start + DURATION, event.id)
        organisation_feed = rotate_feed_token(FeedKind.ORGANISATION, organisation.id)
        personal_feed = rotate_feed_token(FeedKind.REGISTRANT, "ana@example.org")
        db.session.commit()
    return {
        "expected": expected,
        "feeds": [
            "/calendar.ics",
            f"/feeds/{organisation_feed}.ics",
            f"/feeds/{personal_feed}.ics",
        ],
    }


def get_ics(client, path) -> bytes:
    response = client.get(path)
    assert response.status_code == 200, path
    return response.data


def test_feeds_over_three_years_read_the_same_in_every_client(client, calendar_world):
    expected = {uid: times[:2] for uid, times in calendar_world["expected"].items()}
    calendars = [get_ics(client, path) for path in calendar_world["feeds"]]
    for data in calendars:
        assert {str(e["UID"]) for e in Calendar.from_ical(data).walk("VEVENT")} == set(expected)
    assert misread(expected, *calendars) == []


def test_single_event_files_read_the_same_in_every_client(client, calendar_world):
    expected = calendar_world["expected"]
    calendars = [get_ics(client, f"/events/{event_id}.ics") for *_, event_id in expected.values()]
    assert misread({uid: times[:2] for uid, times in expected.items()}, *calendars) == []


@pytest.mark.parametrize("zone", ZONES)
def test_the_vtimezone_states_each_transition_of_the_zone_when_it_happens(app, client, zone):
    """One value per RDATE (ical.js and vobject read only the first of a list), and each
    transition, daylight-saving onset included, at the instant zoneinfo has it: in Santiago
    the clocks go from 00:00 to 01:00, so the onset is written T000000 with TZOFFSETFROM:-0400."""
    with app.app_context():
        for year in YEARS:
            EventFactory(
                published=True,
                timezone=zone,
                starts_at=datetime(year, 7, 15, 10, tzinfo=ZoneInfo(zone)).astimezone(UTC),
            )
        db.session.commit()
    data = get_ics(client, "/calendar.ics")
    for line in data.decode().split("\r\n"):
        if line.startswith("RDATE"):
            assert "," not in line, line
    [vtimezone] = Calendar.from_ical(data).walk("VTIMEZONE")
    assert str(vtimezone["TZID"]) == zone
    # The feed's zone covers a year either side of its events.
    changes = [c for year in range(YEARS[0] - 1, YEARS[-1] + 2) for c in zone_changes(zone, year)]
    stated = [onset for onset in onsets(vtimezone) if onset[1] != onset[2]]
    assert stated == changes
    if zone == "America/Santiago":
        text = data.decode()
        assert "DTSTART:20260906T000000\r\nRDATE:20270905T000000\r\n" in text
        daylight = text.split("DTSTART:20260906T000000")[1].split("END:DAYLIGHT")[0]
        assert "TZOFFSETFROM:-0400\r\nTZOFFSETTO:-0300" in daylight
