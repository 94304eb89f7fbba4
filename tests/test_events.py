from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from eventhub.events.models import Event, EventOrganisation
from eventhub.extensions import db
from tests.factories import EventFactory, OrganisationFactory, ProgrammeFactory


def event_form(**overrides):
    data = {
        "title": "Mesa intermunicipal de Lo Prado",
        "kind": "round_table",
        "summary": "Migración y derechos humanos",
        "description": "",
        "timezone": "America/Santiago",
        "starts_at": "2026-12-15T10:00",
        "ends_at": "2026-12-15T13:00",
        "venue_name": "Municipalidad de Lo Prado",
        "venue_address": "Av. San Pablo 5959",
        "host_organisation_id": "",
        "programme_id": "",
        "capacity": "",
        "registration_mode": "invite_only",
        "registration_deadline": "",
        "is_public": "y",
    }
    data.update(overrides)
    return data


def count_events(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count(Event.id)))


def only_event(app) -> Event:
    with app.app_context():
        return db.session.scalars(select(Event)).one()


@pytest.mark.parametrize(
    ("local", "utc"),
    [
        ("2026-12-15T10:00", datetime(2026, 12, 15, 13, 0, tzinfo=UTC)),
        ("2026-07-15T10:00", datetime(2026, 7, 15, 14, 0, tzinfo=UTC)),
    ],
)
def test_create_event_stores_utc_from_santiago_time(app, organiser_client, local, utc):
    ends = (datetime.fromisoformat(local) + timedelta(hours=3)).strftime("%Y-%m-%dT%H:%M")
    response = organiser_client.post("/events/new", data=event_form(starts_at=local, ends_at=ends))
    assert response.status_code == 302
    event = only_event(app)
    assert event.starts_at == utc
    assert event.status == "draft"
    page = organiser_client.get(response.headers["Location"]).get_data(as_text=True)
    assert "10:00–13:00" in page


def test_event_in_utc_zone_stays_utc(app, organiser_client):
    organiser_client.post("/events/new", data=event_form(timezone="UTC"))
    assert only_event(app).starts_at == datetime(2026, 12, 15, 10, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"title": ""}, "title"),
        ({"ends_at": "2026-12-15T09:00"}, "ends_at"),
        ({"timezone": "Mars/Olympus"}, "timezone"),
        ({"timezone": "America/Santiago\r\nX-INJECT: 1"}, "timezone"),
        ({"starts_at": "not a date"}, "starts_at"),
        ({"capacity": "0"}, "capacity"),
        ({"capacity": "-3"}, "capacity"),
        ({"capacity": "2.5"}, "capacity"),
        ({"kind": "party"}, "kind"),
        ({"registration_deadline": "2026-12-16T00:00"}, "registration_deadline"),
        ({"title": "x" * 201}, "title"),
        ({"host_organisation_id": "999"}, "host_organisation_id"),
        ({"starts_at": "2026-09-06T00:30", "ends_at": "2026-09-06T03:00"}, "starts_at"),
    ],
)
def test_bad_event_input_is_refused_next_to_the_field(app, organiser_client, overrides, message):
    response = organiser_client.post("/events/new", data=event_form(**overrides))
    assert response.status_code == 200
    assert f'id="{message}-errors"' in response.get_data(as_text=True)
    assert count_events(app) == 0


def test_skipped_local_time_explains_itself(app, organiser_client):
    response = organiser_client.post(
        "/events/new",
        data=event_form(
            starts_at="2026-09-06T00:30", ends_at="2026-09-06T03:00", timezone="America/Santiago"
        ),
    )
    assert "America/Santiago" in response.get_data(as_text=True)


def test_edit_shows_local_times_and_saves(app, organiser_client):
    organiser_client.post("/events/new", data=event_form())
    event_id = only_event(app).id
    form = organiser_client.get(f"/events/{event_id}/edit").get_data(as_text=True)
    assert 'value="2026-12-15T10:00"' in form
    response = organiser_client.post(
        f"/events/{event_id}/edit",
        data=event_form(
            title="Mesa movida", starts_at="2026-12-16T09:00", ends_at="2026-12-16T11:00"
        ),
    )
    assert response.status_code == 302
    event = only_event(app)
    assert event.title == "Mesa movida"
    assert event.starts_at == datetime(2026, 12, 16, 12, 0, tzinfo=UTC)


def test_failed_edit_changes_nothing(app, organiser_client):
    organiser_client.post("/events/new", data=event_form())
    event_id = only_event(app).id
    organiser_client.post(
        f"/events/{event_id}/edit", data=event_form(title="Nuevo", ends_at="2026-12-14T10:00")
    )
    assert only_event(app).title == "Mesa intermunicipal de Lo Prado"


def test_unknown_event_is_404(client, organiser_client):
    assert organiser_client.get("/events/12345").status_code == 404
    assert organiser_client.get("/events/12345/edit").status_code == 404
    assert organiser_client.post("/events/12345/publish").status_code == 404


def test_life_cycle_and_public_visibility(app, client, organiser):
    from tests.conftest import login

    with app.app_context():
        event = EventFactory(title="Desayuno ASEXMA")
        db.session.commit()
        event_id = event.id
    anonymous = app.test_client()
    assert anonymous.get(f"/events/{event_id}").status_code == 404
    assert "Desayuno ASEXMA" not in anonymous.get("/events/").get_data(as_text=True)

    login(client, "organiser@example.org")
    assert client.post(f"/events/{event_id}/publish").status_code == 302
    assert anonymous.get(f"/events/{event_id}").status_code == 200
    assert "Desayuno ASEXMA" in anonymous.get("/events/").get_data(as_text=True)

    client.post(f"/events/{event_id}/unpublish")
    assert anonymous.get(f"/events/{event_id}").status_code == 404

    client.post(f"/events/{event_id}/publish")
    assert client.get(f"/events/{event_id}/cancel").status_code == 200
    client.post(f"/events/{event_id}/cancel")
    page = anonymous.get(f"/events/{event_id}").get_data(as_text=True)
    assert 'class="banner-cancelled"' in page
    client.post(f"/events/{event_id}/publish")  # refused: cancelled
    with app.app_context():
        assert db.session.get(Event, event_id).status == "cancelled"


def test_a_cancelled_event_offers_no_calendar_and_no_registration(app, client):
    with app.app_context():
        event = EventFactory(published=True, registration_mode="open", capacity=40)
        db.session.commit()
        event_id = event.id
    page = client.get(f"/events/{event_id}").get_data(as_text=True)
    assert "Agregar al calendario" in page and "Inscripción abierta · 40 cupos" in page
    with app.app_context():
        from eventhub.events import services

        services.cancel_event(db.session.get(Event, event_id), notify_registrants=False)
        db.session.commit()
    page = client.get(f"/events/{event_id}").get_data(as_text=True)
    assert "Este evento fue cancelado" in page
    for offer in ("Agregar al calendario", "Inscripción abierta", "40 cupos", 'id="register"'):
        assert offer not in page
    # A calendar that already holds the event can still fetch the file that cancels it.
    assert 'id="cancelled-ics"' in page
    assert "STATUS:CANCELLED" in client.get(f"/events/{event_id}.ics").get_data(as_text=True)


def test_unlisted_event_page_readable_but_not_listed(app, client):
    with app.app_context():
        event = EventFactory(title="Firma reservada", published=True, is_public=False)
        db.session.commit()
        event_id = event.id
    assert client.get(f"/events/{event_id}").status_code == 200
    assert "Firma reservada" not in client.get("/events/").get_data(as_text=True)


def test_list_upcoming_first_then_past(app, organiser_client):
    now = datetime.now(UTC)
    with app.app_context():
        for title, days in [("Past far", -300), ("Soon", 2), ("Past near", -3), ("Later", 40)]:
            EventFactory(title=title, starts_at=now + timedelta(days=days))
        db.session.commit()
    page = organiser_client.get("/events/").get_data(as_text=True)
    positions = [page.index(t) for t in ("Soon", "Later", "Past near", "Past far")]
    assert positions == sorted(positions)


def test_search_finds_events_whatever_their_date(app, client):
    with app.app_context():
        EventFactory(
            title="Mesa de Lo Prado",
            published=True,
            starts_at=datetime(2017, 3, 30, 12, 30, tzinfo=UTC),
        )
        EventFactory(title="Seminario ASEXMA", published=True)
        EventFactory(title="100% inclusión", published=True)
        db.session.commit()
    page = client.get("/events/?q=lo+prado").get_data(as_text=True)
    assert "Mesa de Lo Prado" in page and "Seminario ASEXMA" not in page
    assert "100% inclusión" in client.get("/events/?q=0%25").get_data(as_text=True)
    assert "Seminario ASEXMA" not in client.get("/events/?q=%25").get_data(as_text=True)


def test_filters(app, organiser_client):
    with app.app_context():
        programme = ProgrammeFactory(name="Migrantes y Ciudades")
        EventFactory(
            title="Round A",
            kind="round_table",
            programme=programme,
            starts_at=datetime(2027, 1, 10, 13, tzinfo=UTC),
        )
        EventFactory(
            title="Breakfast B",
            kind="breakfast",
            published=True,
            starts_at=datetime(2027, 2, 10, 13, tzinfo=UTC),
        )
        db.session.commit()
        programme_id = programme.id
    get = lambda q: organiser_client.get(f"/events/?{q}").get_data(as_text=True)  # noqa: E731
    assert "Breakfast B" not in get("kind=round_table") and "Round A" in get("kind=round_table")
    assert "Round A" not in get("status=published")
    assert "Breakfast B" not in get(f"programme={programme_id}")
    assert "Round A" not in get("date_from=2027-02-01")
    assert "Breakfast B" not in get("date_to=2027-01-31")


@pytest.mark.parametrize(
    "query",
    [
        "kind=nope",
        "date_from=yesterday",
        "programme=abc",
        "page=-1",
        "page=x",
        "q=" + "x" * 500,
        "date_to=2027-13-45",
    ],
)
def test_bad_filters_never_500(organiser_client, query):
    assert organiser_client.get(f"/events/?{query}").status_code == 200


def test_nul_in_a_query_is_400(client):
    assert client.get("/events/?status=%00").status_code == 400


def test_huge_ids_are_404(organiser_client):
    assert organiser_client.get("/events/99999999999999999999").status_code == 404
    assert organiser_client.get("/events/2147483648/edit").status_code == 404


def test_pagination(app, client):
    app.config["EVENTS_PER_PAGE"] = 5
    with app.app_context():
        for n in range(12):
            EventFactory(title=f"Evento {n:02d}", published=True)
        db.session.commit()
    first = client.get("/events/").get_data(as_text=True)
    third = client.get("/events/?page=3").get_data(as_text=True)
    assert first.count('class="event-card"') == 5
    assert third.count('class="event-card"') == 2
    assert 'rel="next"' in first


def _populate(app, n):
    with app.app_context():
        programme = ProgrammeFactory()
        for _ in range(n):
            host = OrganisationFactory()
            event = EventFactory(published=True, programme=programme, host_organisation=host)
            for _ in range(3):
                db.session.add(
                    EventOrganisation(
                        event=event, organisation=OrganisationFactory(), role="participant"
                    )
                )
        db.session.commit()
        return event.id


@pytest.mark.usefixtures("nothing_kept")
def test_list_and_page_query_counts_do_not_grow(app, organiser_client, count_queries):
    def _count_queries(app, client, path) -> int:
        with count_queries(app) as statements:
            assert client.get(path).status_code == 200
        return len(statements)

    event_id = _populate(app, 3)
    small_list = _count_queries(app, organiser_client, "/events/")
    small_page = _count_queries(app, organiser_client, f"/events/{event_id}")
    event_id = _populate(app, 17)
    assert _count_queries(app, organiser_client, "/events/") == small_list
    assert _count_queries(app, organiser_client, f"/events/{event_id}") == small_page


def test_participations(app, organiser_client):
    with app.app_context():
        event = EventFactory()
        lo_prado, quilicura = OrganisationFactory(name="Lo Prado"), OrganisationFactory()
        db.session.commit()
        ids = event.id, lo_prado.id, quilicura.id
    event_id, lo_prado_id, quilicura_id = ids
    post = organiser_client.post
    post(f"/events/{event_id}/organisations", data={"organisation_id": lo_prado_id, "role": "host"})
    post(
        f"/events/{event_id}/organisations",
        data={"organisation_id": quilicura_id, "role": "invited"},
    )
    with app.app_context():
        event = db.session.get(Event, event_id)
        assert event.host_organisation_id == lo_prado_id
        roles = {p.organisation_id: p.role for p in event.participations}
        assert roles == {lo_prado_id: "host", quilicura_id: "invited"}
    post(
        f"/events/{event_id}/organisations", data={"organisation_id": quilicura_id, "role": "host"}
    )
    with app.app_context():
        event = db.session.get(Event, event_id)
        roles = {p.organisation_id: p.role for p in event.participations}
        assert roles == {lo_prado_id: "co_organiser", quilicura_id: "host"}
        participation_id = next(p.id for p in event.participations if p.role == "host")
    post(f"/events/{event_id}/organisations/{participation_id}/delete")
    with app.app_context():
        event = db.session.get(Event, event_id)
        assert event.host_organisation_id is None
        assert len(event.participations) == 1
    bad = post(f"/events/{event_id}/organisations", data={"organisation_id": "999", "role": "host"})
    assert bad.status_code == 302
    assert post(f"/events/{event_id}/organisations/999/delete").status_code == 404


def test_host_organisation_on_the_form_becomes_a_participation(app, organiser_client):
    with app.app_context():
        host_id = OrganisationFactory(name="Municipalidad de Lo Prado").id
        db.session.commit()
    organiser_client.post("/events/new", data=event_form(host_organisation_id=str(host_id)))
    with app.app_context():
        event = db.session.scalars(select(Event)).one()
        assert [(p.organisation_id, p.role) for p in event.participations] == [(host_id, "host")]


def test_programmes(app, organiser_client):
    response = organiser_client.post("/programmes/new", data={"name": "Migrantes y Ciudades"})
    assert response.status_code == 302
    duplicate = organiser_client.post("/programmes/new", data={"name": "Migrantes y Ciudades"})
    assert 'id="name-errors"' in duplicate.get_data(as_text=True)
    assert "Migrantes y Ciudades" in organiser_client.get("/programmes/").get_data(as_text=True)
    assert organiser_client.get("/programmes/999").status_code == 404


def test_demo_is_idempotent_and_faithful(app, runner):
    first = runner.invoke(args=["demo"])
    assert first.exit_code == 0, first.output
    with app.app_context():
        counts = [
            db.session.scalar(select(func.count()).select_from(m))
            for m in (Event, EventOrganisation)
        ]
        lo_prado = db.session.scalar(select(Event).where(Event.title.contains("Lo Prado")))
        assert lo_prado.starts_at == datetime(2017, 3, 30, 12, 30, tzinfo=UTC)
        assert lo_prado.programme.name == "Programa Migrantes y Ciudades"
        assert len(lo_prado.participations) == 9
    second = runner.invoke(args=["demo"])
    assert second.exit_code == 0
    assert first.output.splitlines()[-1] == second.output.splitlines()[-1]  # same login
    with app.app_context():
        assert counts == [
            db.session.scalar(select(func.count()).select_from(m))
            for m in (Event, EventOrganisation)
        ]


def test_the_description_is_markdown_rendered_with_the_minutes_sanitiser(app, client):
    with app.app_context():
        event = EventFactory(
            published=True,
            description=(
                "**Objetivo:** coordinar la atención a migrantes.\n\n"
                "- Diagnóstico\n- Acuerdos\n\n"
                "<script>alert(1)</script> [mal](javascript:alert(1))"
            ),
        )
        db.session.commit()
        event_id = event.id
    page = client.get(f"/events/{event_id}").text
    description = page.split('id="event-description">')[1].split("</div>")[0]
    assert "<strong>Objetivo:</strong>" in description and "**" not in description
    assert "<li>Diagnóstico</li>" in description
    assert "<script>" not in description and 'href="javascript' not in description
    assert "&lt;script&gt;" in description  # shown as text, never run
