"""What independent calendar clients make of our ICS: Mozilla's ical.js (Thunderbird,
Nextcloud Calendar, run with node), vobject and icalendar, each reading the VTIMEZONEs in the
file. ``read_instants`` gives, per client, every VEVENT's UID with its start and end in UTC.

ical.js comes from npm (tests/browser/package.json; ``scripts/test`` runs ``npm ci``): without
node or the package the calling test is skipped, saying how to install it.
"""

import json
import shutil
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import vobject
from icalendar import Calendar

BROWSER = Path(__file__).parent / "browser"
ICALJS_SCRIPT = BROWSER / "ical_instants.mjs"
ICALJS_PACKAGE = BROWSER / "node_modules" / "ical.js" / "package.json"

Instants = dict[str, tuple[datetime, datetime]]


def _utc(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC)


def icaljs_instants(*calendars: bytes) -> list[Instants]:
    node = shutil.which("node")
    if node is None or not ICALJS_PACKAGE.exists():
        pytest.skip("ical.js missing: install node and run 'npm ci' in tests/browser")
    payload = json.dumps([data.decode() for data in calendars])
    result = subprocess.run(
        [node, str(ICALJS_SCRIPT)], input=payload, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    return [
        {event["uid"]: (_utc(event["start"]), _utc(event["end"])) for event in events}
        for events in json.loads(result.stdout)
    ]


def vobject_instants(data: bytes) -> Instants:
    # vobject keeps the first VTIMEZONE it met for each TZID for the life of the process and
    # ignores later ones: forget them, so that this file is read with its own, as a fresh
    # process (a client opening this one file) would.
    registered = vars(vobject.icalendar)["__tzidMap"]
    for tzid in [tzid for tzid in registered if tzid != "UTC"]:
        del registered[tzid]
    calendar = vobject.readOne(data.decode())
    return {
        event.uid.value: (
            event.dtstart.value.astimezone(UTC),
            event.dtend.value.astimezone(UTC),
        )
        for event in calendar.vevent_list
    }


def icalendar_instants(data: bytes) -> Instants:
    return {
        str(event["UID"]): (
            event.decoded("DTSTART").astimezone(UTC),
            event.decoded("DTEND").astimezone(UTC),
        )
        for event in Calendar.from_ical(data).walk("VEVENT")
    }


def read_instants(*calendars: bytes) -> dict[str, list[Instants]]:
    """{client: [instants of each calendar]}, one node process for all the calendars."""
    return {
        "ical.js": icaljs_instants(*calendars),
        "vobject": [vobject_instants(data) for data in calendars],
        "icalendar": [icalendar_instants(data) for data in calendars],
    }


def misread(expected: Instants, *calendars: bytes) -> list[str]:
    """Each event any client places elsewhere than ``expected`` says (empty: all agree)."""
    wrong = []
    for client, readings in read_instants(*calendars).items():
        for number, instants in enumerate(readings):
            if set(instants) - set(expected):
                wrong.append(f"{client}, calendar {number}: unexpected {set(instants)}")
            for uid, times in instants.items():
                if uid in expected and times != expected[uid]:
                    wrong.append(f"{client}: {uid} read as {times}, not {expected[uid]}")
    return wrong


def zone_changes(zone: str, year: int) -> list[tuple[datetime, timedelta, timedelta]]:
    """(UTC instant, offset before, offset after) of each change of the zone's offset in a
    year, found from zoneinfo by a plain minute-by-minute search (independent of the code
    under test)."""
    tz = ZoneInfo(zone)
    changes = []
    moment = datetime(year, 1, 1, tzinfo=UTC)
    offset = moment.astimezone(tz).utcoffset()
    while moment.year == year:
        following = moment + timedelta(hours=1)
        new_offset = following.astimezone(tz).utcoffset()
        if new_offset != offset:
            at = moment
            while at.astimezone(tz).utcoffset() == offset:
                at += timedelta(minutes=1)
            changes.append((at, offset, new_offset))
            offset = new_offset
        moment = following
    return changes


def onsets(vtimezone) -> list[tuple[datetime, timedelta, timedelta]]:
    """(UTC instant, offset before, offset after) of each transition an observance states,
    reading its DTSTART and RDATEs as RFC 5545 says: local times in TZOFFSETFROM."""
    found = []
    for observance in vtimezone.subcomponents:
        offset_from = observance["TZOFFSETFROM"].td
        offset_to = observance["TZOFFSETTO"].td
        rdates = observance.get("RDATE", [])
        rdates = rdates if isinstance(rdates, list) else [rdates]
        locals_ = [observance["DTSTART"].dt] + [d.dt for r in rdates for d in r.dts]
        found += [((t - offset_from).replace(tzinfo=UTC), offset_from, offset_to) for t in locals_]
    return sorted(found)
