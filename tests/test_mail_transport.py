"""The SMTP transport: MAIL_SEND_TIMEOUT is the timeout of each connection's own socket, never
the process's default, so a hung server costs one send that timeout and nothing else waits."""

import socket
import threading
import time
from datetime import timedelta

from eventhub.db import utcnow
from eventhub.mail import worker
from eventhub.mail.transport import SmtpConnection, SmtpSettings
from tests.smtp import silent_server
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
