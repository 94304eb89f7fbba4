import os
import socket
import uuid
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path

import pytest
from flask import current_app, has_app_context
from sqlalchemy import create_engine, text
from sqlalchemy import event as sa_event

from eventhub import create_app
from eventhub.extensions import db
from tests.factories import TEST_PASSWORD, EventFactory

pytest_plugins = ["tests.smtp"]

POSTGRES_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


def _postgres_url() -> str | None:
    """TEST_DATABASE_URL, or the local server when one answers on 127.0.0.1:5432."""
    url = os.environ.get("TEST_DATABASE_URL")
    if url:
        return url
    try:
        with socket.create_connection(("127.0.0.1", 5432), timeout=0.5):
            return POSTGRES_URL
    except OSError:
        return None


PG_URL = _postgres_url()
if os.environ.get("EVENTHUB_REQUIRE_POSTGRES") and not PG_URL:
    raise RuntimeError("EVENTHUB_REQUIRE_POSTGRES is set but PostgreSQL is not reachable")
DATABASES = ["sqlite", "postgresql"] if PG_URL else ["sqlite"]


@contextmanager
def fresh_pg_schema():
    """A schema of its own, so test runs on the same server never collide."""
    if not PG_URL:
        pytest.skip("PostgreSQL is not reachable")
    schema = f"eventhub_test_{uuid.uuid4().hex[:10]}"
    engine = create_engine(PG_URL)
    with engine.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        yield schema
    finally:
        with engine.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        engine.dispose()


@pytest.fixture(scope="session")
def pg_schema():
    with fresh_pg_schema() as schema:
        yield schema


def pg_url_for_schema(schema: str) -> str:
    separator = "&" if "?" in PG_URL else "?"
    return f"{PG_URL}{separator}options=-csearch_path%3D{schema}"


def base_config(database_url: str, tmp_path) -> dict:
    return {
        "TESTING": True,
        "SECRET_KEY": "test-secret-key",
        "SQLALCHEMY_DATABASE_URI": database_url,
        "WTF_CSRF_ENABLED": False,
        "RATELIMIT_ENABLED": False,
        "EVENTHUB_BASE_URL": "http://eventhub.test",
        "SERVER_NAME": None,
        "DEMO_LOGIN_FILE": str(tmp_path / "demo_login.txt"),
        "UPLOAD_FOLDER": str(tmp_path / "uploads"),
    }


@pytest.fixture(params=DATABASES)
def database_url(request, tmp_path):
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'test.sqlite'}"
    return pg_url_for_schema(request.getfixturevalue("pg_schema"))


@pytest.fixture
def app_config(database_url, tmp_path):
    return base_config(database_url, tmp_path)


@pytest.fixture
def make_app(app_config):
    """Build an app with tables on the test database, with some settings changed."""
    made = []

    def make(**overrides):
        app = create_app({**app_config, **overrides})
        with app.app_context():
            db.create_all()
        made.append(app)
        return app

    yield make
    for app in reversed(made):
        with app.app_context():
            db.session.remove()
            db.drop_all()
            db.engine.dispose()


@pytest.fixture
def app(make_app):
    return make_app()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def app_ctx(app):
    with app.app_context():
        yield


@pytest.fixture
def organiser(app):
    from tests.factories import UserFactory

    with app.app_context():
        user = UserFactory(email="organiser@example.org", name="Ana Organiser")
        db.session.commit()
        return user.id


@pytest.fixture
def admin(app):
    from tests.factories import UserFactory

    with app.app_context():
        user = UserFactory(email="admin@example.org", name="Admin", is_admin=True)
        db.session.commit()
        return user.id


@contextmanager
def recorded_statements(app) -> Iterator[list[str]]:
    """The SQL statements the app's engine runs inside the block, in order."""
    statements: list[str] = []

    def record(conn, cursor, statement, parameters, context, executemany) -> None:
        statements.append(statement)

    if has_app_context() and current_app._get_current_object() is app:
        engine = db.engine  # a context of its own would end the caller's session on exit
    else:
        with app.app_context():
            engine = db.engine
    sa_event.listen(engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        sa_event.remove(engine, "before_cursor_execute", record)


@pytest.fixture
def count_queries() -> Callable[..., AbstractContextManager[list[str]]]:
    """``with count_queries(app) as statements:`` records the SQL run inside the block;
    ``len(statements)`` is the query count."""
    return recorded_statements


@pytest.fixture
def event_defaults() -> dict:
    """The fields every ``create_event`` of a module starts from: a module overrides this
    fixture (calendars want published events)."""
    return {}


@pytest.fixture
def create_event(request, event_defaults) -> Callable[..., int]:
    """``create_event(**fields)``: an event (``EventFactory``) committed on the test app, or on
    ``app=`` another one; its id."""

    def create(app=None, **fields) -> int:
        if app is None:
            app = request.getfixturevalue("app")
        with app.app_context():
            event = EventFactory(**{**event_defaults, **fields})
            db.session.commit()
            return event.id

    return create


def login(client, email: str, password: str = TEST_PASSWORD):
    return client.post("/login", data={"email": email, "password": password})


@pytest.fixture
def organiser_client(client, organiser):
    response = login(client, "organiser@example.org")
    assert response.status_code == 302
    return client


@pytest.fixture
def admin_client(client, admin):
    response = login(client, "admin@example.org")
    assert response.status_code == 302
    return client


FUZZ_FILE = Path(__file__).parent / "test_fuzz_forms.py"


@pytest.hookimpl(optionalhook=True)
def pytest_configure_node(node):
    """pytest-xdist, on the controller: every worker gets the same fuzz cases, discovered once
    here (a worker's own crawl may find other variants of a form, and workers that collect
    different tests stop the run)."""
    args = [arg.split("::")[0] for arg in node.config.args] or ["tests"]
    root = node.config.rootpath
    wanted = any(
        (path := (root / arg).resolve()) == FUZZ_FILE or path in FUZZ_FILE.parents for arg in args
    )
    if wanted:
        from tests.test_fuzz_forms import discovered

        node.workerinput["fuzz_discovery"] = discovered()


_FUZZ_REPORT: list[tuple[str, dict]] = []


def pytest_runtest_logreport(report):
    if report.when == "call":
        _FUZZ_REPORT.extend(
            (report.nodeid.split("::", 1)[1], value)
            for name, value in report.user_properties
            if name == "fuzz_cases"
        )


def pytest_terminal_summary(terminalreporter):
    """Cases run per fuzzed form (tests/test_fuzz_forms.py)."""
    if not _FUZZ_REPORT:
        return
    terminalreporter.section("fuzz cases per form")
    for test_id, stats in sorted(_FUZZ_REPORT):
        counts = ", ".join(f"{key} {value}" for key, value in stats.items())
        terminalreporter.write_line(f"{test_id}: {counts}")
    total = sum(stats["examples"] for _, stats in _FUZZ_REPORT)
    terminalreporter.write_line(f"{len(_FUZZ_REPORT)} form runs (forms × databases), {total} cases")
