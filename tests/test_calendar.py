from datetime import UTC, datetime, timedelta

import pytest
import vobject
from icalendar import Calendar

from eventhub.agenda.models import AgendaItem, AgendaItemSpeaker
from eventhub.events.models import Event, EventOrganisation
from eventhub.extensions import db
from tests.conftest import login
from tests.factories import (
    EventFactory,
    OrganisationFactory,
    ProgrammeFactory,
    SpeakerFactory,
    UserFactory,
)

# 6 Sep 2026 is the day Chile's clocks go forward (-04 → -03); 15 Jul 2026 is winter (-04).
DST_DAY = datetime(2026, 9, 6, 13, 0, tzinfo=UTC)  # 10:00 in Santiago, after the change
WINTER = datetime(2026, 7, 15, 14, 0, tzinfo=UTC)  # 10:00 in Santiago
LONG_TEXT = (
    "Mesa intermunicipal; migración, salud y educación — Peñalolén, Ñuñoa, Maipú: "
    "“derechos humanos”\nsegunda línea, con comas; y punto y coma\\ y barra invertida. " * 3
)


@pytest.fixture
def event_defaults() -> dict:
    """Calendars show published events: the ones these tests create (tests/conftest.py)."""
    return {"published": True}


def parse(response) -> Calendar:
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.headers["Content-Type"] == "text/calendar; charset=utf-8"
    return Calendar.from_ical(response.data)


def vevents(response):
    return list(parse(response).walk("VEVENT"))


def test_event_ics_has_zone_identity_and_links(app, client, create_event):
    event_id = create_event(
        title="Mesa de Lo Prado",
        starts_at=WINTER,
        ends_at=WINTER + timedelta(hours=3),
        venue_name="Municipalidad",
        venue_address="Av. San Pablo 5959",
    )
    response = client.get(f"/events/{event_id}.ics")
    assert f'filename="event-{event_id}.ics"' in response.headers["Content-Disposition"]
    text = response.get_data(as_text=True)
    assert "DTSTART;TZID=America/Santiago:20260715T100000" in text
    assert "BEGIN:VTIMEZONE" in text and "TZID:America/Santiago" in text
    assert f"URL:http://eventhub.test/events/{event_id}" in text
    assert "ORGANIZER" not in text
    [vevent] = vevents(response)
    assert str(vevent["LOCATION"]) == "Municipalidad, Av. San Pablo 5959"
    assert vevent["UID"].endswith("@eventhub")
    assert vevent.decoded("DTSTART").astimezone(UTC) == WINTER


def test_same_content_same_bytes_and_sequence_on_changes(
    app, client, organiser_client, create_event
):
    event_id = create_event(starts_at=WINTER, ends_at=WINTER + timedelta(hours=2))
    first = client.get(f"/events/{event_id}.ics").data
    assert client.get(f"/events/{event_id}.ics").data == first
    [before] = Calendar.from_ical(first).walk("VEVENT")
    with app.app_context():
        event = db.session.get(Event, event_id)
        event.description = "Nueva descripción"  # attendees' calendars need no update
        db.session.commit()
    [described] = vevents(client.get(f"/events/{event_id}.ics"))
    assert described["SEQUENCE"] == before["SEQUENCE"]
    assert described.decoded("DTSTAMP") >= before.decoded("DTSTAMP")
    with app.app_context():
        event = db.session.get(Event, event_id)
        event.starts_at += timedelta(hours=1)
        event.ends_at += timedelta(hours=1)
        db.session.commit()
    [moved] = vevents(client.get(f"/events/{event_id}.ics"))
    assert moved["SEQUENCE"] == before["SEQUENCE"] + 1
    organiser_client.post(f"/events/{event_id}/cancel")
    [cancelled] = vevents(client.get(f"/events/{event_id}.ics"))
    assert cancelled["STATUS"] == "CANCELLED"
    assert cancelled["SEQUENCE"] == before["SEQUENCE"] + 2
    assert "Cancelado" in str(cancelled["SUMMARY"])


def test_agenda_changes_update_the_event_in_calendars(app, client, create_event):
    event_id = create_event(starts_at=WINTER, ends_at=WINTER + timedelta(hours=2))
    [before] = vevents(client.get(f"/events/{event_id}.ics"))
    with app.app_context():
        item = AgendaItem(
            event_id=event_id,
            title="Bienvenida",
            kind="opening",
            starts_at=WINTER,
            ends_at=WINTER + timedelta(minutes=15),
        )
        item.speakers.append(
            AgendaItemSpeaker(speaker=SpeakerFactory(name="Fernando Cejudo"), role="host")
        )
        db.session.add(item)
        db.session.commit()
    [after] = vevents(client.get(f"/events/{event_id}.ics"))
    assert after.decoded("DTSTAMP") >= before.decoded("DTSTAMP")
    assert "Fernando Cejudo" in str(after["DESCRIPTION"])


def test_detailed_ics_has_agenda_items_related_to_the_event(app, client, create_event):
    event_id = create_event(starts_at=WINTER, ends_at=WINTER + timedelta(hours=2))
    with app.app_context():
        for n in range(2):
            db.session.add(
                AgendaItem(
                    event_id=event_id,
                    title=f"Item {n}",
                    kind="talk",
                    starts_at=WINTER + timedelta(minutes=30 * n),
                    ends_at=WINTER + timedelta(minutes=30 * n + 30),
                )
            )
        db.session.commit()
    plain = vevents(client.get(f"/events/{event_id}.ics"))
    detailed = vevents(client.get(f"/events/{event_id}.ics?detailed=1"))
    assert len(plain) == 1 and len(detailed) == 3
    event_uid = str(detailed[0]["UID"])
    assert [str(c["RELATED-TO"]) for c in detailed[1:]] == [event_uid, event_uid]
    assert len({str(c["UID"]) for c in detailed}) == 3


def test_draft_event_ics_is_404_for_visitors(app, client, organiser_client, create_event):
    event_id = create_event(published=False)
    assert client.application.test_client().get(f"/events/{event_id}.ics").status_code == 404
    assert organiser_client.get(f"/events/{event_id}.ics").status_code == 200
    assert organiser_client.get("/events/999999.ics").status_code == 404


@pytest.mark.parametrize(
    ("start", "zone", "utc"),
    [
        (DST_DAY, "America/Santiago", "2026-09-06T13:00:00+00:00"),
        (WINTER, "America/Santiago", "2026-07-15T14:00:00+00:00"),
        (datetime(2026, 12, 15, 13, tzinfo=UTC), "America/Santiago", "2026-12-15T13:00:00+00:00"),
        (WINTER, "UTC", "2026-07-15T14:00:00+00:00"),
    ],
)
def test_independent_parser_reads_the_same_instants(app, client, start, zone, utc, create_event):
    event_id = create_event(
        starts_at=start,
        ends_at=start + timedelta(hours=1),
        timezone=zone,
        title=LONG_TEXT[:190],
        description=LONG_TEXT,
        summary=LONG_TEXT[:400],
    )
    text = client.get(f"/events/{event_id}.ics").get_data(as_text=True)
    assert all(len(line.encode()) <= 75 for line in text.split("\r\n"))  # folded by octets
    parsed = vobject.readOne(text)
    vevent = parsed.vevent
    assert vevent.dtstart.value.astimezone(UTC).isoformat() == utc
    assert vevent.summary.value == LONG_TEXT[:190]
    assert vevent.description.value.startswith(LONG_TEXT[:400])
    if zone == "UTC":
        assert "DTSTART:20260715T140000Z" in text and "BEGIN:VTIMEZONE" not in text


def test_public_feed_contents_and_properties(app, client):
    now = datetime.now(UTC)
    with app.app_context():
        programme = ProgrammeFactory(name="Migrantes y Ciudades")
        EventFactory(
            title="Próxima mesa",
            published=True,
            programme=programme,
            starts_at=now + timedelta(days=10),
        )
        EventFactory(
            title="Desayuno reciente",
            kind="breakfast",
            published=True,
            starts_at=now - timedelta(days=30),
        )
        EventFactory(title="Antigua", published=True, starts_at=now - timedelta(days=200))
        EventFactory(title="Borrador", starts_at=now + timedelta(days=5))
        EventFactory(
            title="No listada", published=True, is_public=False, starts_at=now + timedelta(days=5)
        )
        cancelled = EventFactory(
            title="Mesa cancelada", published=True, starts_at=now + timedelta(days=3)
        )
        cancelled.status = "cancelled"
        db.session.commit()
        programme_id = programme.id
    response = client.get("/calendar.ics")
    calendar = parse(response)
    assert str(calendar["METHOD"]) == "PUBLISH"
    assert str(calendar["X-WR-CALNAME"]) and str(calendar["NAME"])
    assert str(calendar["X-WR-TIMEZONE"]) == "America/Santiago"
    text = response.get_data(as_text=True)
    assert "REFRESH-INTERVAL;VALUE=DURATION:PT1H" in text
    assert "X-PUBLISHED-TTL:PT1H" in text
    summaries = {str(e["SUMMARY"]): e for e in calendar.walk("VEVENT")}
    assert set(summaries) == {"Próxima mesa", "Desayuno reciente", "Cancelado: Mesa cancelada"}
    assert summaries["Cancelado: Mesa cancelada"]["STATUS"] == "CANCELLED"
    only_programme = vevents(client.get(f"/calendar.ics?programme={programme_id}"))
    assert [str(e["SUMMARY"]) for e in only_programme] == ["Próxima mesa"]
    breakfasts = vevents(client.get("/calendar.ics?kind=breakfast"))
    assert [str(e["SUMMARY"]) for e in breakfasts] == ["Desayuno reciente"]
    assert client.get("/calendar.ics?kind=nonsense&programme=abc").status_code == 200


def test_polls_get_304_without_building_the_calendar(app, client, monkeypatch, create_event):
    event_id = create_event()
    first = client.get("/calendar.ics")
    etag, last_modified = first.headers["ETag"], first.headers["Last-Modified"]

    def refuse(*args, **kwargs):
        raise AssertionError("the calendar was built for a 304")

    monkeypatch.setattr("eventhub.calendar.ics.calendar_bytes", refuse)
    assert client.get("/calendar.ics", headers={"If-None-Match": etag}).status_code == 304
    # Lists of ETags, weak ones and "*" are understood too.
    for sent in (f'"other", {etag}', f"W/{etag}", "*"):
        assert client.get("/calendar.ics", headers={"If-None-Match": sent}).status_code == 304
    since = client.get("/calendar.ics", headers={"If-Modified-Since": last_modified})
    assert since.status_code == 304
    monkeypatch.undo()
    bad = client.get("/calendar.ics", headers={"If-Modified-Since": "yesterday-ish"})
    assert bad.status_code == 200
    other = client.get("/calendar.ics", headers={"If-None-Match": '"other"'})
    assert other.status_code == 200 and other.headers["ETag"] == etag
    with app.app_context():
        db.session.get(Event, event_id).title = "Otro título"
        db.session.commit()
    changed = client.get("/calendar.ics", headers={"If-None-Match": etag})
    assert changed.status_code == 200 and changed.headers["ETag"] != etag


def test_feed_query_count_does_not_grow(app, client, count_queries):
    def fill(count):
        with app.app_context():
            for _ in range(count):
                event = EventFactory(published=True, host_organisation=OrganisationFactory())
                speaker = SpeakerFactory()
                item = AgendaItem(
                    title="Charla",
                    kind="talk",
                    starts_at=event.starts_at,
                    ends_at=event.starts_at + timedelta(minutes=30),
                )
                item.speakers.append(AgendaItemSpeaker(speaker=speaker, role="speaker"))
                event.agenda_items.append(item)
            db.session.commit()

    def queries(path):
        with count_queries(app) as statements:
            assert client.get(path).status_code == 200
        return len(statements)

    fill(3)
    small = [queries("/calendar.ics"), queries("/calendar.ics?detailed=1")]
    fill(30)
    assert [queries("/calendar.ics"), queries("/calendar.ics?detailed=1")] == small


def test_organisation_feed_rotation(app, organiser_client, client):
    with app.app_context():
        quilicura = OrganisationFactory(name="Municipalidad de Quilicura")
        invited = EventFactory(title="Mesa invitada", published=True)
        draft = EventFactory(title="Mesa en borrador")
        EventFactory(title="Mesa ajena", published=True)
        for event in (invited, draft):
            db.session.add(EventOrganisation(event=event, organisation=quilicura, role="invited"))
        db.session.commit()
        org_id = quilicura.id
    page = organiser_client.get(f"/organisations/{org_id}").get_data(as_text=True)
    assert "/feeds/" not in page  # showing the page creates nothing
    organiser_client.post(f"/organisations/{org_id}/feed")
    page = organiser_client.get(f"/organisations/{org_id}").get_data(as_text=True)
    url = page.split('value="http://eventhub.test')[1].split('"')[0]
    assert "webcal://eventhub.test" + url in page
    titles = [str(e["SUMMARY"]) for e in vevents(client.get(url))]
    assert titles == ["Mesa invitada"]
    organiser_client.post(f"/organisations/{org_id}/feed")
    assert client.get(url).status_code == 404
    page = organiser_client.get(f"/organisations/{org_id}").get_data(as_text=True)
    new_url = page.split('value="http://eventhub.test')[1].split('"')[0]
    assert new_url != url and client.get(new_url).status_code == 200


@pytest.mark.parametrize("token", ["nope", "x" * 43, "x" * 500, "%00"])
def test_unknown_feed_tokens_are_404(client, token):
    assert client.get(f"/feeds/{token}.ics").status_code in (400, 404)


def test_organiser_feed(app, client, organiser):
    with app.app_context():
        mine = EventFactory(title="Mi borrador", created_by_id=organiser)
        EventFactory(title="De otra persona", created_by=UserFactory())
        db.session.commit()
        assert mine.id
    login(client, "organiser@example.org")
    assert "/feeds/" not in client.get("/account/calendar").get_data(as_text=True)
    client.post("/account/calendar")
    page = client.get("/account/calendar").get_data(as_text=True)
    url = page.split('value="http://eventhub.test')[1].split('"')[0]
    anonymous = app.test_client()
    assert [str(e["SUMMARY"]) for e in vevents(anonymous.get(url))] == ["Mi borrador"]
    with app.app_context():
        from eventhub.auth.models import User

        db.session.get(User, organiser).active = False
        db.session.commit()
    assert anonymous.get(url).status_code == 404


def test_month_view(app, organiser_client):
    client = app.test_client()  # a visitor; organiser_client is signed in
    with app.app_context():
        EventFactory(
            title="Mesa de marzo",
            published=True,
            starts_at=datetime(2027, 3, 30, 12, 30, tzinfo=UTC),
        )
        EventFactory(
            title="Visita larga",
            published=True,
            kind="visit",
            starts_at=datetime(2027, 3, 1, 15, tzinfo=UTC),
            ends_at=datetime(2027, 3, 3, 22, tzinfo=UTC),
        )
        EventFactory(title="Borrador de marzo", starts_at=datetime(2027, 3, 10, 13, tzinfo=UTC))
        db.session.commit()
    page = client.get("/calendar?month=2027-03").get_data(as_text=True)
    assert "marzo de 2027" in page
    assert page.count("Visita larga") == 3
    assert "09:30 Mesa de marzo" in page
    assert "Borrador de marzo" not in page
    assert "webcal://eventhub.test/calendar.ics" in page
    visits = client.get("/calendar?month=2027-03&kind=visit").get_data(as_text=True)
    assert "Mesa de marzo" not in visits and "calendar.ics?kind=visit" in visits
    assert "Borrador de marzo" in organiser_client.get("/calendar?month=2027-03").get_data(
        as_text=True
    )
    for month in ("junk", "2027-13", "0000-01", "99999-01"):
        assert client.get(f"/calendar?month={month}").status_code in (200, 404)


def test_event_page_add_to_calendar_links(app, client, create_event):
    event_id = create_event(
        title="Mesa de Lo Prado", starts_at=WINTER, ends_at=WINTER + timedelta(hours=3)
    )
    page = client.get(f"/events/{event_id}").get_data(as_text=True)
    assert f'href="/events/{event_id}.ics"' in page
    assert "dates=20260715T140000Z%2F20260715T170000Z" in page
    assert "ctz=America%2FSantiago" in page
    assert "startdt=2026-07-15T14%3A00%3A00Z" in page


def test_registrant_personal_feed(app, client):
    from eventhub.registrations import services as registrations

    with app.app_context():
        first = EventFactory(title="Mesa de Lo Prado", published=True, registration_mode="open")
        second = EventFactory(title="Desayuno ASEXMA", published=True, registration_mode="open")
        EventFactory(title="Otra", published=True, registration_mode="open")
        db.session.commit()
        tokens = []
        with app.test_request_context():
            for event in (first, second):
                data = registrations.RegistrantData(name="Ana", email="ana@example.org")
                registration = registrations.register(event, data)
                tokens.append(registrations.registration_token(registration))
        db.session.commit()
    page = client.get(f"/r/{tokens[0]}").get_data(as_text=True)
    assert "/feeds/" not in page  # a GET creates nothing
    client.post(f"/r/{tokens[0]}/feed")
    page = client.get(f"/r/{tokens[0]}").get_data(as_text=True)
    url = page.split('value="http://eventhub.test')[1].split('"')[0]
    assert sorted(str(e["SUMMARY"]) for e in vevents(client.get(url))) == [
        "Desayuno ASEXMA",
        "Mesa de Lo Prado",
    ]
    client.post(f"/r/{tokens[1]}/cancel")
    assert [str(e["SUMMARY"]) for e in vevents(client.get(url))] == ["Mesa de Lo Prado"]
    client.post(f"/r/{tokens[1]}/feed")  # a new address from any of the registrations
    assert client.get(url).status_code == 404


def test_every_private_feed_kind_has_its_query(app):
    """Registrations register the registrant feed's query (calendar cannot import them)."""
    from eventhub.calendar.feeds import FeedKind, feed_query

    with app.app_context():
        for kind, owner in zip(FeedKind, (1, 1, "ana@example.org"), strict=True):
            assert "event" in str(feed_query(kind, owner))


def test_external_urls_need_no_request(make_app):
    """Workers and the CLI build links too (emails, feeds): no request, no SERVER_NAME."""
    from eventhub.urls import external_url

    app = make_app(EVENTHUB_BASE_URL="https://eventhub.example.org/app")
    with app.app_context():
        assert external_url("events.show_event", event_id=3, _anchor="item-2") == (
            "https://eventhub.example.org/app/events/3#item-2"
        )
        assert external_url("calendar.public_feed", kind="visit") == (
            "https://eventhub.example.org/app/calendar.ics?kind=visit"
        )


def test_speaker_and_organisation_renames_change_the_feeds(app, client, create_event):
    """Feeds show speakers' and organisations' names: renaming them is a new version."""
    soon = datetime.now(UTC).replace(microsecond=0) + timedelta(days=30)
    event_id = create_event(starts_at=soon, ends_at=soon + timedelta(hours=2))
    with app.app_context():
        org = OrganisationFactory(name="Municipalidad de Lo Prado")
        speaker = SpeakerFactory(name="Fernando Cejudo", organisation=org)
        item = AgendaItem(
            event_id=event_id,
            title="Bienvenida",
            kind="opening",
            starts_at=soon,
            ends_at=soon + timedelta(minutes=15),
        )
        item.speakers.append(AgendaItemSpeaker(speaker=speaker, role="host"))
        db.session.add(item)
        db.session.commit()
        speaker_id, org_id = speaker.id, org.id

    def poll(etag, expected):
        response = client.get("/calendar.ics", headers={"If-None-Match": etag})
        assert response.status_code == 200, "the rename did not change the ETag"
        assert expected in str(vevents(response)[0]["DESCRIPTION"])
        return response.headers["ETag"]

    etag = client.get("/calendar.ics").headers["ETag"]
    assert client.get("/calendar.ics", headers={"If-None-Match": etag}).status_code == 304
    with app.app_context():
        from eventhub.people.models import Speaker

        db.session.get(Speaker, speaker_id).name = "Fernando Cejudo Pérez"
        db.session.commit()
    etag = poll(etag, "Fernando Cejudo Pérez")
    with app.app_context():
        from eventhub.organisations.models import Organisation

        db.session.get(Organisation, org_id).name = "Municipalidad de Lo Prado (OMIL)"
        db.session.commit()
    poll(etag, "Municipalidad de Lo Prado (OMIL)")


def test_polls_are_answered_from_memory_until_something_is_committed(
    app, client, monkeypatch, count_queries, create_event
):
    """A repeated poll costs no SQL and a repeated download builds nothing; a commit in this
    process shows at once."""
    event_id = create_event(title="Mesa de Quilicura")
    first = client.get("/calendar.ics")
    etag = first.headers["ETag"]

    def refuse(*args, **kwargs):
        raise AssertionError("the calendar was built again")

    monkeypatch.setattr("eventhub.calendar.ics.calendar_bytes", refuse)
    with count_queries(app) as statements:
        assert client.get("/calendar.ics", headers={"If-None-Match": etag}).status_code == 304
        again = client.get("/calendar.ics")
        assert again.data == first.data and again.headers["ETag"] == etag
    assert statements == []
    monkeypatch.undo()
    with app.app_context():
        db.session.get(Event, event_id).title = "Mesa de Quilicura, segunda sesión"
        db.session.commit()
    changed = client.get("/calendar.ics", headers={"If-None-Match": etag})
    assert changed.status_code == 200 and b"segunda sesi" in changed.data


def test_without_the_poll_cache_every_poll_asks_the_database(make_app, count_queries, create_event):
    app = make_app(CACHE_TTL=0)
    client = app.test_client()
    create_event(app=app)
    etag = client.get("/calendar.ics").headers["ETag"]
    with count_queries(app) as statements:
        assert client.get("/calendar.ics", headers={"If-None-Match": etag}).status_code == 304
    assert len(statements) == 1


def test_changes_made_by_other_processes_show_within_the_ttl(
    app, client, monkeypatch, create_event
):
    from eventhub import cache

    event_id = create_event()
    etag = client.get("/calendar.ics").headers["ETag"]
    assert client.get("/calendar.ics", headers={"If-None-Match": etag}).status_code == 304
    seen = cache.generation()
    with app.app_context():
        db.session.get(Event, event_id).title = "Cambiado por otro proceso"
        db.session.commit()
    monkeypatch.setattr(cache, "_generation", seen)  # as if another worker had committed
    assert client.get("/calendar.ics", headers={"If-None-Match": etag}).status_code == 304
    later = cache.time.monotonic() + app.config["CACHE_TTL"] + 1
    monkeypatch.setattr(cache.time, "monotonic", lambda: later)
    changed = client.get("/calendar.ics", headers={"If-None-Match": etag})
    assert changed.status_code == 200 and b"Cambiado por otro proceso" in changed.data
