"""The web app when the database is unreachable: a clear 503 page, and recovery afterwards."""

import pytest
from flask_login.utils import _create_identifier
from sqlalchemy.engine import make_url

from eventhub import create_app
from eventhub.extensions import db
from tests.conftest import PG_URL, base_config, fresh_pg_schema
from tests.factories import TEST_PASSWORD, UserFactory
from tests.smtp import free_port
from tests.tcp_proxy import TcpProxy


def english(client):
    with client.session_transaction() as session:
        session["lang"] = "en"
    return client


def assert_unavailable_page(response):
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "30"
    body = response.get_data(as_text=True)
    assert "Temporarily unavailable" in body
    assert "The database cannot be reached right now" in body
    assert "Traceback" not in body and "OperationalError" not in body
    assert "psycopg" not in body and "127.0.0.1" not in body  # nothing about the setup leaks


@pytest.fixture
def closed_port_app(tmp_path):
    """PostgreSQL configured on a port where nothing listens."""
    url = f"postgresql+psycopg://postgres@127.0.0.1:{free_port()}/test?connect_timeout=3"
    return create_app(base_config(url, tmp_path))


def test_unreachable_database_gives_a_503_page(closed_port_app):
    client = english(closed_port_app.test_client())
    assert_unavailable_page(client.get("/events/"))
    assert_unavailable_page(client.post("/login", data={"email": "a@b.cl", "password": "x" * 12}))
    plain = client.get("/events/", headers={"Accept": "text/plain"})
    assert plain.status_code == 503 and plain.mimetype == "text/plain"


def test_unavailable_page_is_translated(closed_port_app):
    response = closed_port_app.test_client().get("/events/")  # Spanish by default
    assert response.status_code == 503
    assert "Temporarily unavailable" not in response.get_data(as_text=True)


def test_health_check_and_signed_in_sessions_do_not_need_the_database(closed_port_app):
    client = closed_port_app.test_client()
    with closed_port_app.test_request_context(environ_base=client.environ_base):
        identifier = _create_identifier()  # what session protection checks
    with client.session_transaction() as session:
        # A signed-in browser: loading its user needs the database (a well-formed session
        # token; a malformed one is refused without asking the database).
        session.update({"_user_id": "1." + "a" * 43, "_fresh": True, "_id": identifier})
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "private, no-store"
    assert_unavailable_page(english(client).get("/events/"))


@pytest.fixture
def proxied_pg_app(tmp_path):
    """An app whose PostgreSQL connections all go through a proxy the test can cut."""
    if not PG_URL:
        pytest.skip("PostgreSQL is not reachable")
    real = make_url(PG_URL)
    with fresh_pg_schema() as schema:
        proxy = TcpProxy((real.host or "127.0.0.1", real.port or 5432)).start()
        url = real.set(
            port=proxy.port,
            query={**real.query, "options": f"-csearch_path={schema}", "connect_timeout": "3"},
        )
        app = create_app(base_config(url.render_as_string(hide_password=False), tmp_path))
        with app.app_context():
            db.create_all()
            UserFactory(email="ana@example.org", name="Ana")
            db.session.commit()
        try:
            yield app, proxy
        finally:
            proxy.stop()
            proxy.start()  # back, so that the tables can be dropped
            with app.app_context():
                db.session.remove()
                db.drop_all()
                db.engine.dispose()
            proxy.stop()


def sign_in(client):
    response = client.post("/login", data={"email": "ana@example.org", "password": TEST_PASSWORD})
    assert response.status_code == 302


def test_database_going_away_and_coming_back(proxied_pg_app):
    app, proxy = proxied_pg_app
    client = english(app.test_client())
    sign_in(client)
    assert client.get("/events/").status_code == 200

    proxy.stop()  # the server goes away, with the pooled connections
    for _ in range(3):
        assert_unavailable_page(client.get("/events/"))
        assert_unavailable_page(client.get("/events/new"))
    assert client.get("/healthz").status_code == 200

    proxy.start()  # back on the same address: the very next request works, still signed in
    response = client.get("/events/new")
    assert response.status_code == 200
    assert "Ana" in response.get_data(as_text=True)


def test_a_database_restart_between_requests_costs_no_request(proxied_pg_app):
    """The pooled connections die with the restart; pool_pre_ping replaces them before use
    (without it, the first request after the restart fails)."""
    app, proxy = proxied_pg_app
    client = english(app.test_client())
    sign_in(client)
    assert client.get("/events/").status_code == 200
    proxy.stop()
    proxy.start()
    assert client.get("/events/").status_code == 200
    assert client.get("/events/new").status_code == 200
