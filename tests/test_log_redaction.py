"""No token or email address reaches the logs: request lines, the outbox worker, tracebacks."""

import logging
import secrets
import threading
import urllib.error
import urllib.request

import pytest
from werkzeug.serving import make_server

from eventhub.log_redaction import REDACTED, redact
from tests.test_outbox import enqueue, run

TOKEN = secrets.token_urlsafe(32)


def test_redact_tokens_and_addresses():
    assert (
        redact(f'"GET /i/{TOKEN}/accept HTTP/1.1" 200')
        == f'"GET /i/{REDACTED}/accept HTTP/1.1" 200'
    )
    assert redact("q=ana.perez%40muni.cl&page=2") == f"q={REDACTED}&page=2"
    assert redact("550 5.1.1 <Ana.Perez+x@muni-santiago.cl>: unknown") == (
        f"550 5.1.1 <{REDACTED}>: unknown"
    )
    # Ids, dates and ordinary paths stay readable.
    kept = '"GET /events/123/invitations?page=2&status=sent HTTP/1.1" 200 2026-12-15'
    assert redact(kept) == kept


@pytest.fixture
def served(app):
    server = make_server("127.0.0.1", 0, app, threaded=True)
    # Checks for shutdown() every 50 ms, not every 0.5 s (a wait at the end of each test).
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
    )
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=5)


def get(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:  # noqa: S310 (http)
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def test_access_log_of_the_server_has_no_tokens_or_addresses(served, caplog):
    caplog.set_level(logging.INFO, logger="werkzeug")
    for path in (
        f"/i/{TOKEN}",
        f"/r/{TOKEN}",
        f"/feeds/{TOKEN}.ics",
        f"/unsubscribe/{TOKEN}",
        "/events/?q=ana.perez%40muni.cl",
    ):
        get(served + path)
    lines = [r.getMessage() for r in caplog.records if r.name == "werkzeug"]
    assert len(lines) == 5, lines
    assert all(REDACTED in line for line in lines), lines
    assert TOKEN not in caplog.text and "ana.perez" not in caplog.text
    assert f"GET /feeds/{REDACTED}.ics" in caplog.text  # still useful: route and status


def test_gunicorn_access_log_is_redacted(app, caplog):
    caplog.set_level(logging.INFO, logger="gunicorn.access")
    # gunicorn logs its access line with a dict of atoms as the arguments.
    logging.getLogger("gunicorn.access").info(
        '%(h)s "%(r)s" %(s)s', {"h": "10.0.0.1", "r": f"GET /r/{TOKEN} HTTP/1.1", "s": "200"}
    )
    assert caplog.messages == [f'10.0.0.1 "GET /r/{REDACTED} HTTP/1.1" 200']


def test_outbox_worker_logs_message_ids_not_addresses(make_app, smtp_sink, caplog):
    caplog.set_level(logging.INFO, logger="eventhub")
    app = make_app(**smtp_sink.app_config())
    address = "alcaldesa.ruiz@muni-penalolen.cl"
    smtp_sink.reject(address, f"550 5.1.1 <{address}>: Recipient address rejected")
    [message_id] = enqueue(app, 1, to_address=address)
    report = run(app)
    assert report.failed == 1
    [line] = [r.getMessage() for r in caplog.records if r.name == "eventhub.mail.worker"]
    assert f"message {message_id} failed" in line
    assert address not in caplog.text and REDACTED in line


def test_tracebacks_are_redacted(app, caplog):
    caplog.set_level(logging.ERROR, logger="eventhub")
    try:
        raise ValueError(f"duplicate key (email)=(ana@muni.cl) for /r/{TOKEN}")
    except ValueError:
        app.logger.exception("could not save")
    assert "ana@muni.cl" not in caplog.text and TOKEN not in caplog.text
    assert "ValueError: duplicate key (email)=([redacted])" in caplog.text
