"""SQL queries per request do not grow with the data (the benchmark's rule, checked cheaply)."""

from datetime import timedelta

import pytest

from eventhub.agenda.models import AgendaItem, AgendaItemSpeaker
from eventhub.calendar.feeds import FeedKind
from eventhub.calendar.services import rotate_feed_token
from eventhub.events.models import EventOrganisation
from eventhub.extensions import db
from eventhub.questions import services as questions
from tests.conftest import recorded_statements
from tests.factories import (
    EventFactory,
    OrganisationFactory,
    RegistrationFactory,
    SpeakerFactory,
)
from tests.test_participants_list import event_with_people

REGISTRANT = "repeat.registrant@example.org"


@pytest.fixture
def app(make_app):
    """What a page costs when computed, not when remembered (eventhub/cache.py)."""
    return make_app(CACHE_TTL=0, FEED_CACHE_BYTES=0)


def _add_items(event, count: int) -> None:
    for n in range(count):
        start = event.starts_at + timedelta(minutes=10 * n)
        item = AgendaItem(
            title=f"Charla {n}",
            kind="talk",
            starts_at=start,
            ends_at=start + timedelta(minutes=10),
        )
        speaker = SpeakerFactory(organisation=OrganisationFactory())
        item.speakers.append(AgendaItemSpeaker(speaker=speaker, role="speaker"))
        event.agenda_items.append(item)


@pytest.fixture
def world(app):
    """A busy event, an organisation invited to events, a registrant at several events."""
    with app.app_context():
        busiest = EventFactory(published=True, host_organisation=OrganisationFactory())
        organisation = OrganisationFactory()
        db.session.flush()
        with app.test_request_context():
            org_token = rotate_feed_token(FeedKind.ORGANISATION, organisation.id)
            registrant_token = rotate_feed_token(FeedKind.REGISTRANT, REGISTRANT)
        db.session.commit()
        return {
            "busiest": busiest.id,
            "organisation": organisation.id,
            "org_feed": f"/feeds/{org_token}.ics",
            "registrant_feed": f"/feeds/{registrant_token}.ics",
        }


def _grow(app, world, events: int, items: int) -> None:
    """Add events (each with the organisation invited, one registration by the registrant,
    one agenda item) and agenda items and registrations on the busiest event."""
    from eventhub.events.models import Event
    from eventhub.organisations.models import Organisation

    with app.app_context():
        organisation = db.session.get(Organisation, world["organisation"])
        for _ in range(events):
            event = EventFactory(
                published=True, registration_mode="open", host_organisation=OrganisationFactory()
            )
            db.session.add(
                EventOrganisation(event=event, organisation=organisation, role="invited")
            )
            RegistrationFactory(event=event, email=REGISTRANT)
            RegistrationFactory(event=event)
            _add_items(event, 1)
        busiest = db.session.get(Event, world["busiest"])
        _add_items(busiest, items)
        RegistrationFactory.create_batch(items, event=busiest)
        db.session.commit()


def _count(app, client, path: str) -> int:
    """Statements for a page once warm (also tests/test_followup.py's measure)."""
    client.get(path)  # warm: first-use lookups are not the page's cost
    with recorded_statements(app) as statements:
        assert client.get(path).status_code == 200, path
    return len(statements)


def test_query_counts_equal_at_two_sizes(app, organiser_client, world):
    anonymous = app.test_client()
    public = [
        f"/events/{world['busiest']}",
        "/events/",
        "/calendar.ics",
        "/calendar.ics?detailed=1",
        f"/events/{world['busiest']}.ics?detailed=1",
        world["org_feed"],
        world["registrant_feed"],
    ]
    organiser = [
        f"/events/{world['busiest']}",
        "/events/",
        "/calendar",
        f"/events/{world['busiest']}/followup",
        # Read in batches of 200 (registrations/exports.py): flat below that, then one
        # query more per 200 people, which keeps a download's memory flat instead.
        f"/events/{world['busiest']}/participants.csv",
        f"/events/{world['busiest']}/participants.xlsx",
    ]

    def measure():
        return {
            **{p: _count(app, anonymous, p) for p in public},
            **{f"organiser {p}": _count(app, organiser_client, p) for p in organiser},
        }

    _grow(app, world, events=2, items=2)
    small = measure()
    assert all(small.values()), small
    # A calendar is built from its events and their agendas, not answered from memory.
    assert small["/calendar.ics"] >= 3 and small[world["registrant_feed"]] >= 4, small
    _grow(app, world, events=12, items=20)
    assert measure() == small


def test_participants_pages_and_searches_cost_the_same_at_three_sizes(app, organiser_client):
    """6, 120 and 300 people answering 4, 7 and 10 questions (each form with a country
    question, whose answers fill the filter)."""
    sizes = [
        event_with_people(app, people, asked) for people, asked in ((6, 4), (120, 7), (300, 10))
    ]

    def paths(event_id: int) -> dict[str, str]:
        base = f"/events/{event_id}/participants"
        with app.app_context():
            gender = questions.event_questions(event_id)[0]
            answer = f"{gender.id}:{gender.choices[0].value}"
        return {
            "list": base,
            "page 2": f"{base}?page=2",
            "search": f"{base}?q=persona",
            "status": f"{base}?status=confirmed",
            "everything": f"{base}?q=persona&status=confirmed&answer={answer}&page=2",
        }

    counts = [
        {name: _count(app, organiser_client, path) for name, path in paths(event).items()}
        for event in sizes
    ]
    assert counts[0] == counts[1] == counts[2], counts
