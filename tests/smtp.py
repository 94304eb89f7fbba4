"""A real SMTP server for tests (aiosmtpd), shared by every test that delivers mail.

Registered as a pytest plugin from ``tests/conftest.py``; use the ``smtp_sink`` fixture::

    def test_delivery(smtp_sink, make_app):
        app = make_app(**smtp_sink.app_config())
        ...
        assert smtp_sink.messages[0]["Subject"] == "..."

The sink can also refuse chosen recipients (``smtp_sink.reject(...)``) and drop the
connection in the middle of a session (``smtp_sink.drop_after(n)``). ``silent_server()``
gives a port that accepts TCP connections and never answers (a hung server).
"""

import asyncio
import email
import socket
import threading
import time
from collections import Counter
from contextlib import contextmanager
from email import policy
from email.message import EmailMessage

import pytest
from aiosmtpd.controller import Controller


def free_port() -> int:
    """A TCP port nothing listens on right now (``Controller(port=0)`` does not work)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class SinkHandler:
    """aiosmtpd handler that keeps every accepted message and can misbehave on request."""

    def __init__(self, accept_delay: float = 0.0):
        self._lock = threading.Lock()
        # Seconds before answering each message, like a remote server (benchmarks).
        self.accept_delay = accept_delay
        self.envelopes: list = []
        self._parsed: list[EmailMessage] = []
        self.connections = 0
        # recipient address (lower case) → (reply, stage) with stage "rcpt" or "data"
        self._rejections: dict[str, tuple[str, str]] = {}
        self._drop_countdown: int | None = None
        self.dropped = 0

    async def handle_EHLO(self, server, session, envelope, hostname, responses):
        with self._lock:
            self.connections += 1
        session.host_name = hostname
        return responses

    async def handle_HELO(self, server, session, envelope, hostname):
        with self._lock:
            self.connections += 1
        session.host_name = hostname
        return f"250 {server.hostname}"

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        rejection = self._rejections.get(address.lower())
        if rejection and rejection[1] == "rcpt":
            return rejection[0]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if self.accept_delay:
            await asyncio.sleep(self.accept_delay)
        for address in envelope.rcpt_tos:
            rejection = self._rejections.get(address.lower())
            if rejection and rejection[1] == "data":
                return rejection[0]
        with self._lock:
            if self._drop_countdown is not None:
                if self._drop_countdown == 0:
                    # Close without accepting and without a reply: the client sees the
                    # connection vanish in the middle of the transaction.
                    self._drop_countdown = None
                    self.dropped += 1
                    server.transport.close()
                    return "421 4.3.0 Closing connection"
                self._drop_countdown -= 1
            self.envelopes.append(envelope)
        return "250 Message accepted for delivery"

    @property
    def messages(self) -> list[EmailMessage]:
        """The accepted messages, parsed (lazily: parsing in the server thread is slow)."""
        with self._lock:
            envelopes = list(self.envelopes)
        while len(self._parsed) < len(envelopes):
            content = envelopes[len(self._parsed)].original_content
            self._parsed.append(email.message_from_bytes(content, policy=policy.default))
        return list(self._parsed)


class SmtpSink:
    """What the ``smtp_sink`` fixture returns: a running server and what it received."""

    def __init__(self, handler: SinkHandler, controller: Controller, port: int):
        self.handler = handler
        self.controller = controller
        self.port = port
        self.host = "127.0.0.1"

    @property
    def messages(self) -> list[EmailMessage]:
        return list(self.handler.messages)

    @property
    def envelopes(self) -> list:
        return list(self.handler.envelopes)

    @property
    def connections(self) -> int:
        """SMTP sessions opened (counted at EHLO/HELO)."""
        return self.handler.connections

    def message_ids(self) -> Counter:
        """How many times each Message-ID arrived (anything above 1 is a duplicate)."""
        return Counter(str(message["Message-ID"]) for message in self.messages)

    def reject(self, address: str, reply: str, stage: str = "rcpt") -> None:
        """Answer ``reply`` (e.g. ``"451 4.7.1 Try later"`` or ``"550 5.1.1 No such user"``)
        for this recipient, at RCPT TO or after DATA."""
        if stage not in {"rcpt", "data"}:
            raise ValueError("stage is 'rcpt' or 'data'")
        self.handler._rejections[address.lower()] = (reply, stage)

    def accept(self, address: str) -> None:
        """Stop refusing this recipient."""
        self.handler._rejections.pop(address.lower(), None)

    def drop_after(self, count: int) -> None:
        """Accept ``count`` more messages, then close the connection at the next one
        (without accepting it). One-shot: later connections behave."""
        with self.handler._lock:
            self.handler._drop_countdown = count

    def clear(self) -> None:
        with self.handler._lock:
            self.handler.envelopes.clear()
            self.handler._parsed.clear()
            self.handler.connections = 0

    def wait_for(self, count: int, timeout: float = 5.0) -> list[EmailMessage]:
        """Wait until at least ``count`` messages arrived (delivery from another process)."""
        deadline = time.monotonic() + timeout
        while len(self.handler.envelopes) < count and time.monotonic() < deadline:
            time.sleep(0.02)
        return self.messages

    def app_config(self, **overrides) -> dict:
        """Settings that make an EventHub app deliver to this sink over SMTP."""
        return {
            "MAIL_BACKEND": "smtp",
            "MAIL_SERVER": self.host,
            "MAIL_PORT": self.port,
            "MAIL_USE_TLS": False,
            "MAIL_USERNAME": None,
            "MAIL_PASSWORD": None,
            # Flask-Mail suppresses sending when TESTING is on; we want the real thing.
            "MAIL_SUPPRESS_SEND": False,
            "MAIL_DEFAULT_SENDER": "EventHub <eventhub@example.org>",
            **overrides,
        }


def start_sink(attempts: int = 5, accept_delay: float = 0.0) -> SmtpSink:
    """Start a sink on a free port (retrying if another process grabbed the port)."""
    error: Exception | None = None
    for _ in range(attempts):
        handler = SinkHandler(accept_delay)
        port = free_port()
        controller = Controller(handler, hostname="127.0.0.1", port=port)
        try:
            controller.start()
        except (OSError, RuntimeError, TimeoutError) as exc:  # port taken meanwhile
            error = exc
            controller.stop(no_assert=True)
            continue
        return SmtpSink(handler, controller, port)
    raise RuntimeError(f"could not start the SMTP sink: {error}")


@contextmanager
def running_sink(accept_delay: float = 0.0):
    sink = start_sink(accept_delay=accept_delay)
    try:
        yield sink
    finally:
        sink.controller.stop()


@pytest.fixture
def smtp_sink():
    with running_sink() as sink:
        yield sink


@contextmanager
def silent_server():
    """A port whose server accepts connections and never says a word. Yields the port."""
    listener = socket.socket()
    accepted: list[socket.socket] = []
    stop = threading.Event()
    try:
        listener.bind(("127.0.0.1", 0))
        listener.listen(16)
        listener.settimeout(0.05)

        def accept_forever():
            while not stop.is_set():
                try:
                    conn, _ = listener.accept()
                except (TimeoutError, OSError):
                    continue
                accepted.append(conn)

        thread = threading.Thread(target=accept_forever, daemon=True)
        thread.start()
        try:
            yield listener.getsockname()[1]
        finally:
            stop.set()
            thread.join(timeout=2)
    finally:
        for conn in accepted:
            conn.close()
        listener.close()
