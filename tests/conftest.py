import atexit
import os
import shutil
import socket
import tempfile
import uuid
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path

import pytest
from flask import current_app, has_app_context
from sqlalchemy import Engine, create_engine, text
from sqlalchemy import event as sa_event
from sqlalchemy.exc import IntegrityError

from eventhub import create_app
from eventhub.extensions import db
from tests import compiled_once
from tests.factories import TEST_PASSWORD, EventFactory

compiled_once.install()

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
    """This worker's PostgreSQL schema. Its tables are made by the first test that needs them
    and kept: each test that used it leaves them empty (``database_url``), which costs a
    fraction of creating and dropping every table per test."""
    with fresh_pg_schema() as schema:
        yield schema
        engine = _EMPTYING_ENGINES.pop(schema, None)
        if engine is not None:
            engine.dispose()


def pg_url_for_schema(schema: str) -> str:
    separator = "&" if "?" in PG_URL else "?"
    return f"{PG_URL}{separator}options=-csearch_path%3D{schema}"


# Passwords hashed with scrypt at its lowest useful cost: the production default (scrypt with
# werkzeug's parameters, config.py) takes about a quarter of a second per hash here, and every
# signed-in test client pays it twice. tests/test_auth.py checks the default stays.
TEST_PASSWORD_HASH_METHOD = "scrypt:1024:1:1"


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
        "PASSWORD_HASH_METHOD": TEST_PASSWORD_HASH_METHOD,
    }


_SQLITE_TEMPLATE: list[Path] = []


def sqlite_template() -> Path:
    """A database file with every table, made once per process: each test's SQLite database
    starts as a copy of it (creating the tables took longer than many tests)."""
    if not _SQLITE_TEMPLATE:
        folder = Path(tempfile.mkdtemp(prefix="eventhub-template-"))
        atexit.register(shutil.rmtree, folder, ignore_errors=True)
        path = folder / "template.sqlite"
        builder = create_app(base_config(f"sqlite:///{path}", folder))
        with builder.app_context():
            db.create_all()
            db.session.remove()
            db.engine.dispose()  # the last connection merges the WAL into the file
        _SQLITE_TEMPLATE.append(path)
    return _SQLITE_TEMPLATE[0]


def sqlite_with_tables(path: Path) -> str:
    """The URL of a new SQLite database at ``path`` with every table and no rows."""
    shutil.copyfile(sqlite_template(), path)
    return f"sqlite:///{path}"


_EMPTYING_ENGINES: dict[str, Engine] = {}


def empty_pg_schema(schema: str) -> None:
    """Every row of the schema's tables deleted and their id sequences restarted: the same
    start as tables just created, kept for the next test. DELETE, not TRUNCATE: TRUNCATE
    makes new files for every table, slower than dropping and creating them."""
    engine = _EMPTYING_ENGINES.get(schema)
    if engine is None:
        engine = _EMPTYING_ENGINES[schema] = create_engine(pg_url_for_schema(schema))
    with engine.connect() as conn:
        present = set(
            conn.scalars(
                text("SELECT tablename FROM pg_tables WHERE schemaname = :s"),
                {"s": schema},
            )
        )
    tables = [t for t in reversed(db.metadata.sorted_tables) if t.name in present]
    if not tables:
        return
    # One round trip: the empty tables cost a statement each, not a wait each.
    # The models' table names, not input.
    deletes = "".join(f'DELETE FROM "{t.name}";' for t in tables)  # noqa: S608
    restart = (  # the engine's search_path is the schema
        "SELECT setval(quote_ident(schemaname) || '.' || quote_ident(sequencename), 1, false)"
        " FROM pg_sequences WHERE schemaname = current_schema() AND last_value IS NOT NULL"
    )
    try:
        with engine.begin() as conn:
            conn.exec_driver_sql(
                "SET LOCAL synchronous_commit = off; SET LOCAL lock_timeout = '60s';"
                f"{deletes}{restart}"
            )
    except IntegrityError:
        # Rows that reference each other both ways: TRUNCATE takes them all at once.
        names = ", ".join(f'"{t.name}"' for t in tables)
        with engine.begin() as conn:
            conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))


@pytest.fixture(params=DATABASES)
def database_url(request, tmp_path):
    """An empty database with every table: on SQLite a file of the test's own, on PostgreSQL
    the worker's schema, emptied again after the test (the next one finds it as this one did).
    """
    if request.param == "sqlite":
        yield sqlite_with_tables(tmp_path / "test.sqlite")
        return
    schema = request.getfixturevalue("pg_schema")
    yield pg_url_for_schema(schema)
    empty_pg_schema(schema)


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
            db.create_all()  # present already on the test's database: only checked
        made.append(app)
        return app

    yield make
    for app in reversed(made):
        with app.app_context():
            db.session.remove()
            if app.config["SQLALCHEMY_DATABASE_URI"] != app_config["SQLALCHEMY_DATABASE_URI"]:
                db.drop_all()  # another database: as the test found it
            db.engine.dispose()


@pytest.fixture
def app(make_app):
    return make_app()


@pytest.fixture
def nothing_kept(app):
    """No page kept for its reader (cache.py): the statements counted are the page's own work,
    not those of the kept copy."""
    app.config["CACHE_TTL"] = 0


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
