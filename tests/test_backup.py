"""``flask backup PATH``: a consistent SQLite copy while writes go on; pg_dump for PostgreSQL."""

import sqlite3
import threading

import pytest

from eventhub import create_app
from eventhub.extensions import db
from eventhub.mail import services
from eventhub.mail.services import OutgoingMail
from tests.conftest import PG_URL, base_config

BODY = "Estimada coordinadora: " + "x" * 2000


def enqueue_pair(n: int, commit: bool = True) -> None:
    """Two messages per transaction: a consistent copy holds an even number."""
    for part in ("a", "b"):
        services.enqueue(
            OutgoingMail(to_address=f"c{n}{part}@example.org", subject=f"{n}", text_body=BODY)
        )
    if commit:
        db.session.commit()


@pytest.fixture
def sqlite_app(tmp_path):
    app = create_app(base_config(f"sqlite:///{tmp_path / 'live.sqlite'}", tmp_path))
    with app.app_context():
        db.create_all()
        for n in range(500):  # ~2 MB, so that a backup takes a while
            enqueue_pair(n, commit=False)
        db.session.commit()
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def count_rows(path, *, copy: bool = True) -> tuple[str, int]:
    with sqlite3.connect(path) as conn:
        integrity = conn.execute("PRAGMA integrity_check").fetchone()[0]
        rows = conn.execute("SELECT count(*) FROM outbox_message").fetchone()[0]
        mode = conn.execute("PRAGMA journal_mode").fetchone()[0]
    conn.close()
    if copy:
        assert mode == "delete"  # one self-contained file
    return integrity, rows


def test_backup_while_another_thread_writes(sqlite_app, tmp_path):
    stop = threading.Event()
    written = [1000]
    errors = []

    def writer():
        try:
            with sqlite_app.app_context():
                n = 500
                while not stop.is_set():
                    enqueue_pair(n)
                    written[0] += 2
                    n += 1
                db.session.remove()
        except Exception as error:  # surfaced below
            errors.append(error)

    thread = threading.Thread(target=writer)
    thread.start()
    runner = sqlite_app.test_cli_runner()
    copies = []
    try:
        for n in range(4):
            before = written[0]
            target = tmp_path / f"copy{n}.sqlite"
            result = runner.invoke(args=["backup", str(target)])
            assert result.exit_code == 0, result.output
            assert "integrity check ok" in result.output
            copies.append((target, before, written[0]))
    finally:
        stop.set()
        thread.join(timeout=30)
    assert errors == []
    assert written[0] > copies[0][1]  # the writer really ran during the backups
    for target, before, after in copies:
        integrity, rows = count_rows(target)
        assert integrity == "ok"
        assert before <= rows <= after + 2  # everything committed before it started
        assert rows % 2 == 0  # never half a transaction
    assert not list(tmp_path.glob(".copy*"))  # no partial files left behind


def test_backup_into_a_folder_gets_a_dated_name(sqlite_app, tmp_path):
    folder = tmp_path / "backups"
    folder.mkdir()
    result = sqlite_app.test_cli_runner().invoke(args=["backup", str(folder)])
    assert result.exit_code == 0, result.output
    [copy] = folder.glob("eventhub-*.sqlite")
    assert count_rows(copy) == ("ok", 1000)


def test_backup_refuses_to_overwrite_the_database(sqlite_app, tmp_path):
    result = sqlite_app.test_cli_runner().invoke(args=["backup", str(tmp_path / "live.sqlite")])
    assert result.exit_code == 1
    assert "cannot overwrite the database itself" in result.output
    assert count_rows(tmp_path / "live.sqlite", copy=False) == ("ok", 1000)


def test_backup_into_a_missing_folder_fails_clearly(sqlite_app, tmp_path):
    result = sqlite_app.test_cli_runner().invoke(args=["backup", str(tmp_path / "no/x.sqlite")])
    assert result.exit_code == 1
    assert "does not exist" in result.output


def test_postgresql_points_at_pg_dump(tmp_path):
    if not PG_URL:
        pytest.skip("PostgreSQL is not reachable")
    url = PG_URL.replace("postgres@", "postgres:s3cret@", 1)
    app = create_app(base_config(url, tmp_path))
    result = app.test_cli_runner().invoke(args=["backup", str(tmp_path / "x.dump")])
    assert result.exit_code == 1
    assert "pg_dump --format=custom" in result.output
    assert "postgresql://postgres@127.0.0.1" in result.output
    assert "s3cret" not in result.output and "+psycopg" not in result.output
    assert not (tmp_path / "x.dump").exists()
