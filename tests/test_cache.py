"""Pages remembered for anonymous visitors (eventhub/cache.py): fast, yet never wrong for
anyone: each visitor's own CSRF token, organisers' pages never shared, changes shown."""

import re

import pytest

from eventhub.events.models import Event
from eventhub.extensions import db
from tests.conftest import login
from tests.factories import TEST_PASSWORD, EventFactory, UserFactory


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


def test_organisers_pages_are_never_remembered_or_shared(app, client, count_queries, create_event):
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
    first = []
    computed = statements_during(
        count_queries, app, lambda: first.append(ana.get("/events/").get_data(as_text=True))
    )
    second = []
    kept = statements_during(
        count_queries, app, lambda: second.append(beto.get("/events/").get_data(as_text=True))
    )
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
