"""The SMTP transport: MAIL_SEND_TIMEOUT is the timeout of each connection's own socket, never
the process's default, so a hung server costs one send that timeout and nothing else waits."""

import shutil
import socket
import ssl
import subprocess
import threading
import time
from datetime import timedelta
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult

from eventhub.mail import worker
from eventhub.mail.transport import SmtpConnection, SmtpSettings
from eventhub.orm import utcnow
from tests.smtp import SinkHandler, SmtpSink, free_port, silent_server
from tests.test_outbox import enqueue, load, make_due, run


def test_a_silent_server_costs_one_send_the_timeout_and_it_is_retried_later(make_app, smtp_sink):
    """A server that accepts TCP and never answers: the send gives up after
    MAIL_SEND_TIMEOUT, and meanwhile a socket opened elsewhere in the process has no
    timeout (the default timeout is nobody's to change); later, with a server that
    answers, the message goes out once."""
    with silent_server() as port:
        app = make_app(
            MAIL_BACKEND="smtp",
            MAIL_SERVER="127.0.0.1",
            MAIL_PORT=port,
            MAIL_SUPPRESS_SEND=False,
            MAIL_SEND_TIMEOUT=1,
            MAIL_RETRY_BASE_SECONDS=60,
        )
        [message_id] = enqueue(app)
        seen_elsewhere: list[float | None] = []
        done = threading.Event()

        def watch() -> None:
            while not done.is_set():
                seen_elsewhere.append(socket.getdefaulttimeout())
                with socket.socket() as other:
                    seen_elsewhere.append(other.gettimeout())
                time.sleep(0.05)

        watcher = threading.Thread(target=watch)
        watcher.start()
        started = time.monotonic()
        try:
            report = run(app)
        finally:
            elapsed = time.monotonic() - started
            done.set()
            watcher.join()

    assert 1 <= elapsed < 3
    assert len(seen_elsewhere) > 10 and set(seen_elsewhere) == {None}
    assert (report.retry, report.connections) == (1, 0)
    message = load(app, message_id)
    assert (message.status, message.attempts, message.claimed_by) == ("retry", 1, None)
    assert "did not answer within 1 seconds" in message.last_error
    assert message.next_attempt_at > utcnow() + timedelta(seconds=55)
    assert run(app).claimed == 0  # later, not now

    app.config.update(MAIL_PORT=smtp_sink.port)  # the server is back
    make_due(app, [message_id])
    assert run(app).sent == 1
    assert load(app, message_id).status == "sent"
    assert list(smtp_sink.message_ids().values()) == [1]


def test_the_configured_timeout_reaches_the_socket(make_app, smtp_sink, monkeypatch):
    app = make_app(**smtp_sink.app_config(MAIL_SEND_TIMEOUT=7))
    enqueue(app, 2)
    timeouts = []

    def connect(settings: SmtpSettings) -> SmtpConnection:
        connection = SmtpConnection.open(settings)
        timeouts.append(connection.socket_timeout)
        return connection

    monkeypatch.setattr(worker, "_connect", connect)
    assert run(app).sent == 2
    assert timeouts == [7.0]
    assert socket.getdefaulttimeout() is None


def test_suppressed_sending_opens_nothing(make_app, smtp_sink):
    """MAIL_SUPPRESS_SEND (Flask-Mail's setting, on under TESTING): mail counts as sent and
    no connection is opened."""
    app = make_app(**smtp_sink.app_config(MAIL_SUPPRESS_SEND=True))
    ids = enqueue(app, 2)
    report = run(app)
    assert (report.sent, report.connections) == (2, 1)
    assert [load(app, i).status for i in ids] == ["sent", "sent"]
    assert smtp_sink.connections == 0


def self_signed_context(directory: Path) -> ssl.SSLContext:
    key, cert = directory / "key.pem", directory / "cert.pem"
    subprocess.run(
        [
            *("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1"),
            *("-subj", "/CN=127.0.0.1", "-keyout", str(key), "-out", str(cert)),
        ],
        check=True,
        capture_output=True,
    )
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    return context


@pytest.mark.skipif(not shutil.which("openssl"), reason="needs openssl for a certificate")
def test_starttls_and_login_then_the_batch_over_one_connection(make_app, tmp_path, monkeypatch):
    """MAIL_USE_TLS and MAIL_USERNAME/MAIL_PASSWORD against a server that requires both:
    the batch goes over one encrypted, authenticated session, and the timeout is that of the
    TLS socket too."""
    logins = []

    def authenticate(server, session, envelope, mechanism, auth_data):
        logins.append((session.ssl is not None, auth_data.login, auth_data.password))
        return AuthResult(success=auth_data.password == b"secreta", handled=False)

    handler = SinkHandler()
    controller = Controller(
        handler,
        hostname="127.0.0.1",
        port=free_port(),
        tls_context=self_signed_context(tmp_path),
        require_starttls=True,
        auth_require_tls=True,
        authenticator=authenticate,
    )
    controller.start()
    try:
        sink = SmtpSink(handler, controller, controller.port)
        app = make_app(
            **sink.app_config(
                MAIL_USE_TLS=True,
                MAIL_USERNAME="eventhub",
                MAIL_PASSWORD="secreta",
                MAIL_SEND_TIMEOUT=9,
            )
        )
        ids = enqueue(app, 2)
        timeouts = []

        def connect(settings: SmtpSettings) -> SmtpConnection:
            connection = SmtpConnection.open(settings)
            timeouts.append(connection.socket_timeout)
            return connection

        monkeypatch.setattr(worker, "_connect", connect)
        report = run(app)
    finally:
        controller.stop()
    assert (report.sent, report.connections) == (2, 1)
    assert [load(app, i).status for i in ids] == ["sent", "sent"]
    assert logins == [(True, b"eventhub", b"secreta")]
    assert timeouts == [9.0]
    assert len(sink.envelopes) == 2


def test_a_refused_login_is_a_temporary_failure_of_the_batch(make_app):
    handler = SinkHandler()
    controller = Controller(
        handler,
        hostname="127.0.0.1",
        port=free_port(),
        auth_require_tls=False,
        authenticator=lambda *args: AuthResult(success=False, handled=False),
    )
    controller.start()
    try:
        sink = SmtpSink(handler, controller, controller.port)
        app = make_app(
            **sink.app_config(MAIL_USERNAME="eventhub", MAIL_PASSWORD="mala", MAIL_SEND_TIMEOUT=5)
        )
        ids = enqueue(app, 2)
        report = run(app)
    finally:
        controller.stop()
    assert (report.retry, report.connections) == (2, 0)
    rows = [load(app, i) for i in ids]
    assert all(row.status == "retry" and row.attempts == 1 for row in rows)
    assert rows[0].last_error.startswith("Could not connect: 535")
    assert handler.envelopes == []
