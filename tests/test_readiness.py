"""/readyz tells a load balancer whether this instance can serve (the database answers in
time); /healthz stays free of database work (the stable contract)."""

import socket
import sqlite3
import time

import pytest

from eventhub import create_app
from eventhub.extensions import db
from tests.conftest import base_config


def test_ready_when_the_database_answers(client):
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.get_data(as_text=True) == "ok\n"
    assert response.headers["Cache-Control"] == "no-store"


def test_healthz_does_no_database_work_readyz_does(app, client, count_queries):
    with count_queries(app) as statements:
        assert client.get("/healthz").status_code == 200
        assert statements == []
        assert client.get("/readyz").status_code == 200
        assert statements


def _app_on(url, tmp_path, **overrides):
    return create_app({**base_config(url, tmp_path), "READINESS_TIMEOUT": 0.5, **overrides})


def test_not_ready_when_postgresql_is_unreachable(tmp_path):
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    app = _app_on(f"postgresql+psycopg://postgres@127.0.0.1:{port}/test", tmp_path)
    client = app.test_client()
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.get_data(as_text=True).startswith("not ready: database unavailable")
    assert client.get("/healthz").status_code == 200  # alive, just not ready


@pytest.mark.xdist_group("timed")
def test_not_ready_when_the_server_never_answers(tmp_path):
    # A socket that listens but never speaks: connecting succeeds, the handshake hangs.
    # Neither a statement timeout nor the driver bounds this; the probe's own wait does.
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(8)
    port = silent.getsockname()[1]
    try:
        app = _app_on(f"postgresql+psycopg://postgres@127.0.0.1:{port}/test", tmp_path)
        client = app.test_client()
        started = time.monotonic()
        response = client.get("/readyz")
        assert response.status_code == 503
        assert "did not answer within 0.5 s" in response.get_data(as_text=True)
        assert time.monotonic() - started < 3
        # While that probe still hangs, the next answers at once instead of piling up.
        started = time.monotonic()
        assert client.get("/readyz").status_code == 503
        assert time.monotonic() - started < 0.5
    finally:
        silent.close()


@pytest.mark.xdist_group("timed")
def test_not_ready_while_sqlite_is_locked(tmp_path):
    path = tmp_path / "locked.sqlite"
    app = _app_on(f"sqlite:///{path}", tmp_path)
    with app.app_context():
        db.create_all()
    client = app.test_client()
    assert client.get("/readyz").status_code == 200
    with app.app_context():
        db.engine.dispose()  # exclusive mode on a WAL database needs the file to itself
    holder = sqlite3.connect(path, isolation_level=None)
    try:
        # An exclusive lock held by another process (a long migration, a stuck backup).
        holder.execute("PRAGMA locking_mode=EXCLUSIVE")
        holder.execute("BEGIN EXCLUSIVE")
        holder.execute("CREATE TABLE hold (x)")
        started = time.monotonic()
        response = client.get("/readyz")
        assert response.status_code == 503, response.get_data(as_text=True)
        assert time.monotonic() - started < 3
    finally:
        holder.close()
    # Ready again once the lock is gone (the probe stuck behind it first gives up).
    deadline = time.monotonic() + 15
    while client.get("/readyz").status_code != 200:
        assert time.monotonic() < deadline
        time.sleep(0.2)
    with app.app_context():
        # The probe's shorter busy timeout was for itself: the pool's connections keep 5 s.
        with db.engine.connect() as connection:
            assert connection.exec_driver_sql("PRAGMA busy_timeout").scalar() == 5000
        db.engine.dispose()


@pytest.mark.parametrize("value", ["1", "3"])
def test_the_timeout_is_a_setting(value):
    from eventhub.config import settings_from_environment

    found = settings_from_environment({"EVENTHUB_READINESS_TIMEOUT": value})
    assert found == {"READINESS_TIMEOUT": int(value)}
