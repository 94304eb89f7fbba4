"""Pages remembered (eventhub/cache.py): fast, yet never wrong for anyone: each visitor's own
CSRF token, an organiser's pages kept for that organiser alone, every change shown at once,
whichever process made it."""

import re
import sqlite3

import psycopg
import pytest

from eventhub import cache
from eventhub.events.models import Event
from eventhub.extensions import db
from tests.conftest import login
from tests.factories import TEST_PASSWORD, EventFactory, RegistrationFactory, UserFactory


@pytest.fixture
def csrf_app(make_app):
    return make_app(WTF_CSRF_ENABLED=True)


@pytest.fixture
def event_defaults() -> dict:
    """Public, open events: the pages a cache may share (tests/conftest.py's create_event)."""
    return {"published": True, "registration_mode": "open"}


def statements_during(count_queries, app, action) -> int:
    with count_queries(app) as statements:
        action()
    return len(statements)


def tokens(page: str) -> set[str]:
    return set(re.findall(r'name="csrf_token"[^>]*value="([^"]+)"', page)) | set(
        re.findall(r'value="([^"]+)"[^>]*name="csrf_token"', page)
    )


def test_visitors_share_the_page_but_each_gets_their_own_working_token(
    csrf_app, count_queries, create_event
):
    app = csrf_app
    event_id = create_event(app=app, title="Mesa de Quilicura")
    first, second = app.test_client(), app.test_client()
    page_one = first.get(f"/events/{event_id}").get_data(as_text=True)
    pages = []
    assert (
        statements_during(
            count_queries,
            app,
            lambda: pages.append(second.get(f"/events/{event_id}").get_data(as_text=True)),
        )
        == 0
    ), "the second visitor's page was computed again"
    page_two = pages[0]
    assert "Mesa de Quilicura" in page_two and 'id="registration-form"' in page_two
    [token_one], [token_two] = tokens(page_one), tokens(page_two)
    assert token_one != token_two and "csrf-slot" not in page_two
    strip = lambda page, token: page.replace(token, "TOKEN")  # noqa: E731
    assert strip(page_one, token_one) == strip(page_two, token_two)
    # The second visitor's token is theirs: their registration goes through.
    response = second.post(
        f"/events/{event_id}/register",
        data={"csrf_token": token_two, "name": "Ana Pérez", "email": "ana@example.org"},
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    # ...and the first visitor's token is not.
    refused = second.post(
        f"/events/{event_id}/register",
        data={"csrf_token": token_one, "name": "Eva", "email": "eva@example.org"},
    )
    assert refused.status_code == 400


def test_a_commit_shows_at_once(app, client, create_event):
    event_id = create_event(title="Desayuno ASEXMA")
    assert "Desayuno ASEXMA" in client.get("/events/").get_data(as_text=True)
    with app.app_context():
        db.session.get(Event, event_id).title = "Desayuno empresarial ASEXMA"
        db.session.commit()
    assert "Desayuno empresarial ASEXMA" in client.get(f"/events/{event_id}").get_data(as_text=True)
    assert "Desayuno empresarial ASEXMA" in client.get("/events/").get_data(as_text=True)


def test_organisers_pages_are_never_shared_with_visitors(app, client, count_queries, create_event):
    create_event(title="Mesa pública")
    with app.app_context():
        EventFactory(title="Mesa en borrador")
        UserFactory(email="org@example.org")
        db.session.commit()
    organiser = app.test_client()
    login(organiser, "org@example.org")
    assert "Mesa en borrador" in organiser.get("/events/").get_data(as_text=True)
    visitor = client.get("/events/").get_data(as_text=True)
    assert "Mesa pública" in visitor and "Mesa en borrador" not in visitor
    assert statements_during(count_queries, app, lambda: organiser.get("/events/")) > 0


def test_pages_with_a_message_are_not_remembered(app, client, create_event):
    event_id = create_event()
    client.get(f"/events/{event_id}")
    with client.session_transaction() as session:
        session["_flashes"] = [("info", "Mensaje solo para esta visita")]
    page = client.get(f"/events/{event_id}").get_data(as_text=True)
    assert "Mensaje solo para esta visita" in page
    assert "Mensaje solo para esta visita" not in client.get(f"/events/{event_id}").get_data(
        as_text=True
    )


def test_languages_are_remembered_apart(app, client, create_event):
    event_id = create_event()
    spanish = client.get(f"/events/{event_id}").get_data(as_text=True)
    client.post("/language", data={"lang": "en", "next": f"/events/{event_id}"})
    english = client.get(f"/events/{event_id}").get_data(as_text=True)
    assert 'lang="es"' in spanish and 'lang="en"' in english


def test_the_events_list_is_kept_for_organisers_yet_each_gets_their_own_page(
    csrf_app, count_queries, create_event
):
    """The list under the heading is the same for every organiser, so it is kept; the page
    around it (name, token) is each organiser's own, and a commit shows at once."""
    app = csrf_app
    create_event(app=app, title="Mesa pública")
    with app.app_context():
        EventFactory(title="Mesa en borrador")
        UserFactory(email="ana@example.org", name="Ana Ahumada")
        UserFactory(email="beto@example.org", name="Beto Bustos")
        db.session.commit()
    ana, beto, visitor = app.test_client(), app.test_client(), app.test_client()
    for client, email in ((ana, "ana@example.org"), (beto, "beto@example.org")):
        login_page = client.get("/login").get_data(as_text=True)
        [token] = tokens(login_page)
        response = client.post(
            "/login", data={"email": email, "password": TEST_PASSWORD, "csrf_token": token}
        )
        assert response.status_code == 302
    # On PostgreSQL a commit by anyone on the server (another test worker) between the two
    # reads drops the kept list, so the pair is tried a few times, each after a commit here
    # that makes Ana's read compute the list afresh.
    tries = 1 if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite") else 10
    first: list[str] = []
    second: list[str] = []
    for _ in range(tries):
        with app.app_context():
            db.session.execute(db.text("UPDATE event SET title = title"))
            db.session.commit()
        first.clear()
        second.clear()
        computed = statements_during(
            count_queries, app, lambda: first.append(ana.get("/events/").get_data(as_text=True))
        )
        kept = statements_during(
            count_queries, app, lambda: second.append(beto.get("/events/").get_data(as_text=True))
        )
        if kept < computed:
            break
    assert kept < computed, "the list was computed again for the second organiser"
    page_ana, page_beto = first[0], second[0]
    assert "Mesa en borrador" in page_ana and "Mesa en borrador" in page_beto
    assert "Ana Ahumada" in page_ana and "Ana Ahumada" not in page_beto
    assert "Beto Bustos" in page_beto and "Beto Bustos" not in page_ana
    assert not tokens(page_ana) & tokens(page_beto)
    assert "Mesa en borrador" not in visitor.get("/events/").get_data(as_text=True)
    with app.app_context():
        EventFactory(title="Desayuno recién creado")
        db.session.commit()
    assert "Desayuno recién creado" in beto.get("/events/").get_data(as_text=True)


# --- an organiser's own pages, kept for them alone (cache.for_each_reader) ------------------


def signed_in(app, email: str):
    """A client signed in through the form, as a browser does (the CSRF token included)."""
    client = app.test_client()
    [token] = tokens(client.get("/login").get_data(as_text=True))
    response = client.post(
        "/login", data={"email": email, "password": TEST_PASSWORD, "csrf_token": token}
    )
    assert response.status_code == 302
    client.get("/")  # shows the sign-in's message, which a kept page never holds
    return client


def read_kept(count_queries, app, request):
    """``request()``'s response once it came from the kept copy: two statements, the
    session's row and the database's mark, nothing of the page. On PostgreSQL a commit by
    anyone on the server (another test worker) drops every copy, so a few tries may be
    needed; a copy that is never used fails."""
    tries = 1 if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite") else 10
    for _ in range(tries):
        with count_queries(app) as statements:
            response = request()
            response.get_data()
        if len(statements) == 2:
            return response
    raise AssertionError(f"not the kept copy: {len(statements)} statements")


@pytest.fixture
def busy_event(csrf_app):
    """An event managed by Ana with two registrants; Beto organises other events."""
    with csrf_app.app_context():
        ana = UserFactory(email="ana@example.org", name="Ana Ahumada")
        UserFactory(email="beto@example.org", name="Beto Bustos")
        event = EventFactory(
            title="Mesa de Quilicura", published=True, registration_mode="open", created_by=ana
        )
        first = RegistrationFactory(event=event, name="Carla Cortés")
        RegistrationFactory(event=event, name="Diego Díaz")
        db.session.commit()
        return event.id, first.id


def test_an_organisers_page_is_kept_for_them_alone(csrf_app, count_queries, busy_event):
    app = csrf_app
    event_id, carla = busy_event
    ana, ana_elsewhere = signed_in(app, "ana@example.org"), signed_in(app, "ana@example.org")
    beto = signed_in(app, "beto@example.org")
    door = f"/events/{event_id}/checkin"
    first = ana.get(door).get_data(as_text=True)
    page = read_kept(count_queries, app, lambda: ana_elsewhere.get(door)).get_data(as_text=True)
    assert "Carla Cortés" in page and "csrf-slot" not in page
    assert tokens(first) and not tokens(first) & tokens(page), "each session has its own token"
    [token] = tokens(page)
    assert ana_elsewhere.post(f"{door}/{carla}", data={"csrf_token": token}).status_code == 302
    # Beto does not manage the event: not Ana's door page, nor her manager's view.
    assert beto.get(door).status_code == 403
    beto_page = beto.get(f"/events/{event_id}").get_data(as_text=True)
    ana_page = ana.get(f"/events/{event_id}").get_data(as_text=True)
    assert 'id="tab-agenda"' in ana_page and 'id="tab-agenda"' not in beto_page
    assert 'title="Beto Bustos">Beto Bustos</a>' in beto_page
    assert 'title="Ana Ahumada">Ana Ahumada</a>' in ana_page


def _commit_beside_the_app(app, sql: str, params: tuple) -> None:
    """A change committed on a connection of the database driver's own, as another gunicorn
    worker or a CLI command would: nothing this process's SQLAlchemy sees."""
    with app.app_context():
        url = db.engine.url
    if url.get_backend_name() == "sqlite":
        connection = sqlite3.connect(url.database)
    else:
        dsn = url.set(drivername="postgresql").render_as_string(hide_password=False)
        connection = psycopg.connect(dsn)
        sql = sql.replace("?", "%s")
    try:
        connection.execute(sql, params)
        connection.commit()
    finally:
        connection.close()


def test_a_change_committed_by_another_process_shows_at_once(csrf_app, busy_event):
    app = csrf_app
    event_id, carla = busy_event
    ana = signed_in(app, "ana@example.org")
    participants = f"/events/{event_id}/participants"
    assert "Carla Cortés" in ana.get(participants).get_data(as_text=True)
    assert "Carla Cortés" in ana.get(participants).get_data(as_text=True)  # the kept copy
    seen = cache.generation()
    _commit_beside_the_app(
        app, "UPDATE registration SET name = ? WHERE id = ?", ("Carla Soto", carla)
    )
    assert cache.generation() == seen, "the change must come from outside this process"
    page = ana.get(participants).get_data(as_text=True)
    assert "Carla Soto" in page and "Carla Cortés" not in page


def test_kept_pages_last_no_longer_than_the_ttl(csrf_app, count_queries, busy_event, monkeypatch):
    app = csrf_app
    event_id, _carla = busy_event
    ana = signed_in(app, "ana@example.org")
    followup = f"/events/{event_id}/followup"
    computed = statements_during(count_queries, app, lambda: ana.get(followup))
    read_kept(count_queries, app, lambda: ana.get(followup))
    later = cache.time.monotonic() + app.config["CACHE_TTL"] + 1
    monkeypatch.setattr(cache.time, "monotonic", lambda: later)
    assert statements_during(count_queries, app, lambda: ana.get(followup)) == computed


def test_a_message_is_shown_once_and_never_kept(csrf_app, busy_event):
    app = csrf_app
    event_id, carla = busy_event
    ana = signed_in(app, "ana@example.org")
    door = f"/events/{event_id}/checkin"
    [token] = tokens(ana.get(door).get_data(as_text=True))
    ana.post(f"{door}/{carla}", data={"csrf_token": token})
    assert "Carla Cortés llegó." in ana.get(door).get_data(as_text=True)
    page = ana.get(door).get_data(as_text=True)
    assert "Carla Cortés llegó." not in page and "Carla Cortés" in page


def test_downloads_are_kept_whole_and_big_ones_only_streamed(
    csrf_app, count_queries, busy_event, monkeypatch
):
    app = csrf_app
    event_id, _carla = busy_event
    ana = signed_in(app, "ana@example.org")
    export = f"/events/{event_id}/participants.csv"
    first = ana.get(export)
    whole = first.get_data()  # kept once it was sent whole
    kept = read_kept(count_queries, app, lambda: ana.get(export))
    assert kept.get_data() == whole and b"Carla" in whole
    assert kept.headers["Content-Disposition"] == first.headers["Content-Disposition"]
    assert kept.headers["Content-Type"] == first.headers["Content-Type"]
    # Bigger than a kept download may be: streamed whole every time, never held.
    monkeypatch.setattr(cache, "MAX_DOWNLOAD_BYTES", 64)
    with app.app_context():
        db.session.execute(db.text("UPDATE registration SET name = name"))
        db.session.commit()
    assert [ana.get(export).get_data() for _ in range(2)] == [whole, whole]
    assert statements_during(count_queries, app, lambda: ana.get(export).get_data()) > 2


def test_a_ttl_of_zero_keeps_nothing_for_organisers(make_app, count_queries):
    app = make_app(WTF_CSRF_ENABLED=True, CACHE_TTL=0)
    with app.app_context():
        UserFactory(email="ana@example.org")
        db.session.commit()
    ana = signed_in(app, "ana@example.org")
    computed = statements_during(count_queries, app, lambda: ana.get("/calendar"))
    assert computed > 2
    assert statements_during(count_queries, app, lambda: ana.get("/calendar")) == computed
