"""Faults around real outbox worker processes: killed mid-batch, two at once, a stalling server.

The in-process fault tests (refused connection, 4xx, 5xx, 421, dropped connection, hung
greeting) live in tests/test_outbox.py; these start ``flask --app wsgi outbox send --loop``
as separate processes and count what arrives on a real SMTP server (aiosmtpd).
"""

import asyncio
import os
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from datetime import timedelta

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import func, select, update
from sqlalchemy.engine import make_url

from eventhub import ROOT
from eventhub.extensions import db
from eventhub.mail.models import OutboxMessage
from eventhub.mail.worker import INTERRUPTED, deliver_due
from eventhub.orm import utcnow
from tests.smtp import SinkHandler, SmtpSink, running_sink, start_sink
from tests.tcp_proxy import TcpProxy
from tests.test_outbox import enqueue

FLASK = [sys.executable, "-m", "flask", "--app", "wsgi"]


class HoldingHandler(SinkHandler):
    """A slow server that, at the ``hold_at``-th message, has received all of DATA and then
    takes ``hold_for`` seconds before answering: the moment a worker is killed below."""

    def __init__(self, delay: float = 0.0, hold_at: int | None = None, hold_for: float = 0.0):
        super().__init__()
        self.delay = delay
        self.hold_at = hold_at
        self.hold_for = hold_for
        self.data_seen = 0
        self.holding = threading.Event()

    async def handle_DATA(self, server, session, envelope):
        with self._lock:
            self.data_seen += 1
            number = self.data_seen
        if number == self.hold_at:
            self.holding.set()
            await asyncio.sleep(self.hold_for)
        elif self.delay:
            await asyncio.sleep(self.delay)
        # Like a real MTA, a message whose DATA arrived complete is kept even if the client
        # is gone before the reply: the worst case for duplicates.
        return await super().handle_DATA(server, session, envelope)


class StallingHandler(SinkHandler):
    """Takes the whole message, then never answers (a hung filter or disk)."""

    async def handle_DATA(self, server, session, envelope):
        await asyncio.sleep(3600)


def start_custom_sink(handler: SinkHandler) -> SmtpSink:
    sink = start_sink()  # a free port that works; then swap in our handler
    sink.controller.stop()
    controller = Controller(handler, hostname="127.0.0.1", port=sink.port)
    controller.start()
    return SmtpSink(handler, controller, sink.port)


def worker_env(app, sink: SmtpSink, **extra) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("EVENTHUB_", "MAIL_"))}
    env.update(
        DATABASE_URL=app.config["SQLALCHEMY_DATABASE_URI"],
        SECRET_KEY="test",
        MAIL_SERVER=sink.host,
        MAIL_PORT=str(sink.port),
        MAIL_DEFAULT_SENDER="EventHub <eventhub@example.org>",
        EVENTHUB_MAIL_BACKEND="smtp",
        EVENTHUB_MAIL_SEND_TIMEOUT="10",
        **extra,
    )
    return env


def start_worker(env: dict, *args: str) -> subprocess.Popen:
    return subprocess.Popen(
        [*FLASK, "outbox", "send", "--loop", "--interval", "0.2", *args],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def stop_worker(process: subprocess.Popen) -> tuple[str, str]:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
    try:
        return process.communicate(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        return process.communicate()


def status_counts(app) -> Counter:
    with app.app_context():
        rows = db.session.execute(
            select(OutboxMessage.status, func.count()).group_by(OutboxMessage.status)
        ).all()
        db.session.remove()
    return Counter(dict(rows))


def rows_by_status(app) -> dict[str, list[OutboxMessage]]:
    with app.app_context():
        rows = db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)).all()
        found: dict[str, list[OutboxMessage]] = {}
        for row in rows:
            db.session.expunge(row)
            found.setdefault(row.status, []).append(row)
        db.session.remove()
    return found


def wait_until(condition, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting for {what}")
        time.sleep(0.1)


LEASE = 2  # seconds: how long a dead worker's claims block the rows


def kill_while_held(handler: HoldingHandler, env: dict, *args: str) -> None:
    """Start a worker and SIGKILL it while the server holds the reply to a message."""
    worker = start_worker(env, *args)
    try:
        assert handler.holding.wait(timeout=60), f"the worker never reached {handler.hold_at}"
        worker.send_signal(signal.SIGKILL)
        worker.communicate(timeout=10)
    finally:
        if worker.poll() is None:
            worker.kill()
            worker.communicate()
    assert worker.returncode == -signal.SIGKILL


def finish_after_the_lease(app, env: dict, *args: str) -> str:
    """Once the dead worker's lease has run out, a new worker runs until every row is sent
    or failed. Returns what it printed."""
    time.sleep(LEASE + 0.5)
    worker = start_worker(env, *args)
    try:
        wait_until(
            lambda: not status_counts(app).keys() - {"sent", "failed"},
            timeout=60,
            what="the second worker to finish",
        )
    finally:
        out, err = stop_worker(worker)
    assert worker.returncode == 0, err
    return out


def test_worker_killed_mid_batch_loses_nothing_and_sends_nothing_twice(make_app):
    """SIGKILL a real worker while the server holds the reply to message 25 (batches of 10).

    At that moment rows 1–24 are SENT, row 25 is SENDING (its DATA is on the server), rows
    26–30 are CLAIMED by the dead worker and 31–60 QUEUED. The design's answer, asserted here:
    once the lease has run out, the next worker gives the CLAIMED rows back and delivers them,
    and marks the SENDING row FAILED with a note that it may have arrived (it did: the server
    kept it). It is never resent automatically, so it cannot arrive twice; an organiser sees it
    as failed on the Outbox page and can resend it. Every row ends SENT (delivered exactly
    once) or FAILED and visible: nothing is lost silently, nothing is duplicated.
    """
    app = make_app()
    ids = enqueue(app, 60)
    handler = HoldingHandler(delay=0.01, hold_at=25, hold_for=3)
    sink = start_custom_sink(handler)
    try:
        env = worker_env(app, sink, EVENTHUB_MAIL_CLAIM_LEASE_SECONDS=str(LEASE))
        kill_while_held(handler, env, "--batch-size", "10")

        at_kill = rows_by_status(app)
        assert {status: len(rows) for status, rows in at_kill.items()} == {
            "sent": 24,
            "sending": 1,
            "claimed": 5,
            "queued": 30,
        }
        [interrupted] = at_kill["sending"]

        out = finish_after_the_lease(app, env, "--batch-size", "10")
        assert "stale claims requeued 5" in out and "interrupted sends failed 1" in out
        sink.wait_for(60, timeout=5)  # the held message is accepted once its hold ends
        assert status_counts(app) == Counter(sent=59, failed=1)
    finally:
        sink.controller.stop()

    final = rows_by_status(app)
    arrived = sink.message_ids()
    assert max(arrived.values()) == 1  # nothing twice
    [failed] = final["failed"]
    assert failed.id == interrupted.id and failed.last_error == INTERRUPTED
    assert {row.id for row in final["sent"]} == set(ids) - {interrupted.id}
    assert all(arrived[row.message_id] == 1 for row in final["sent"])  # sent = arrived once
    lost_silently = [
        row
        for rows in final.values()
        for row in rows
        if row.status not in {"sent", "failed"}
        or (row.status == "sent" and arrived[row.message_id] != 1)
    ]
    assert sum(map(len, final.values())) == 60 and lost_silently == []


def test_worker_with_concurrent_senders_killed_leaves_at_most_one_in_doubt_per_sender(make_app):
    """The same kill with four senders (four SMTP connections): at most four rows are in
    doubt (SENDING), they are marked FAILED and never resent, everything else arrives once."""
    app = make_app()
    count, senders = 80, 4
    ids = enqueue(app, count)
    handler = HoldingHandler(delay=0.01, hold_at=25, hold_for=3)
    sink = start_custom_sink(handler)
    try:
        env = worker_env(app, sink, EVENTHUB_MAIL_CLAIM_LEASE_SECONDS=str(LEASE))
        args = ("--batch-size", "20", "--concurrency", str(senders))
        kill_while_held(handler, env, *args)

        at_kill = rows_by_status(app)
        in_doubt = {row.id for row in at_kill["sending"]}
        assert 1 <= len(in_doubt) <= senders, {k: len(v) for k, v in at_kill.items()}
        assert set(at_kill) <= {"sent", "sending", "claimed", "queued"}

        out = finish_after_the_lease(app, env, *args)
        assert f"interrupted sends failed {len(in_doubt)}" in out
        time.sleep(3)  # the held message is accepted once its hold ends
    finally:
        sink.controller.stop()

    final = rows_by_status(app)
    arrived = sink.message_ids()
    assert max(arrived.values()) == 1  # nothing twice
    assert {row.id for row in final["failed"]} == in_doubt
    assert all(row.last_error == INTERRUPTED for row in final["failed"])
    assert {row.id for row in final["sent"]} == set(ids) - in_doubt
    assert all(arrived[row.message_id] == 1 for row in final["sent"])  # sent = arrived once
    assert sum(map(len, final.values())) == count


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
@pytest.mark.parametrize("concurrency", [1, 3])
def test_two_worker_processes_on_postgresql_send_each_message_once(make_app, concurrency):
    app = make_app()
    count = 1000
    ids = enqueue(app, count)
    # A little slow per message, so that both workers are busy at the same time.
    sink = start_custom_sink(HoldingHandler(delay=0.004))
    try:
        env = worker_env(app, sink)
        args = ("--batch-size", "25", "--concurrency", str(concurrency))
        workers = [start_worker(env, *args) for _ in range(2)]
        outputs = []
        try:
            wait_until(
                lambda: status_counts(app) == Counter(sent=count),
                timeout=180,
                what="1,000 messages to be sent",
            )
        finally:
            outputs = [stop_worker(worker) for worker in workers]
        assert [worker.returncode for worker in workers] == [0, 0], outputs
        sink.wait_for(count, timeout=5)
    finally:
        sink.controller.stop()

    arrived = sink.message_ids()
    assert sum(arrived.values()) == count  # exactly 1,000 on the server
    assert len(arrived) == count and set(arrived.values()) == {1}  # none twice
    with app.app_context():
        by_worker = Counter(
            db.session.scalars(select(OutboxMessage.claimed_by).where(OutboxMessage.id.in_(ids)))
        )
        message_ids = set(db.session.scalars(select(OutboxMessage.message_id)))
    assert message_ids == set(arrived)
    assert len(by_worker) == 2 and min(by_worker.values()) > 0, by_worker  # both worked


@pytest.mark.xdist_group("timed")
def test_server_stalling_after_data_times_out_and_the_message_is_retried(make_app):
    """The server takes the whole message, then never answers: the worker gives up after
    MAIL_SEND_TIMEOUT, retries once over a new connection, leaves the rest for later, and a
    healthy server gets every message once."""
    stalling = StallingHandler()
    sink = start_custom_sink(stalling)
    try:
        app = make_app(**sink.app_config(MAIL_SEND_TIMEOUT=1, MAIL_RETRY_BASE_SECONDS=60))
        ids = enqueue(app, 4)
        started = time.monotonic()
        with app.app_context():
            report = deliver_due()
        elapsed = time.monotonic() - started
    finally:
        sink.controller.stop()
    assert elapsed < 6  # two sends of one second each, not a hang
    assert (report.retry, report.released, report.connections) == (2, 2, 2)
    rows = rows_by_status(app)
    assert [row.id for row in rows["retry"]] == ids[:2]
    assert all("did not answer within 1 seconds" in row.last_error for row in rows["retry"])
    assert [row.id for row in rows["queued"]] == ids[2:]

    with running_sink() as healthy:
        # The same database, now with a server that answers.
        app = make_app(**healthy.app_config())
        with app.app_context():
            db.session.execute(
                update(OutboxMessage).values(next_attempt_at=utcnow() - timedelta(seconds=1))
            )
            db.session.commit()
            report = deliver_due()
        assert report.sent == 4
        assert len(healthy.message_ids()) == 4 and set(healthy.message_ids().values()) == {1}


def test_worker_process_outlives_a_mail_server_outage(make_app):
    """The worker starts while nothing listens on the SMTP port; messages wait in RETRY;
    once the server is up they arrive, each once, and the worker never stopped."""
    app = make_app()
    handler = HoldingHandler()
    sink = start_custom_sink(handler)
    sink.controller.stop()  # the port is known and closed: "connection refused"
    ids = enqueue(app, 5)
    env = worker_env(app, sink, EVENTHUB_MAIL_RETRY_BASE_SECONDS="1")
    worker = start_worker(env, "--interval", "0.3")
    try:
        wait_until(lambda: status_counts(app) == Counter(retry=5), timeout=30, what="retries")
        with app.app_context():
            [error] = set(db.session.scalars(select(OutboxMessage.last_error)))
            db.session.remove()
        assert error.startswith("Could not connect: The mail server refused the connection")

        sink.controller = Controller(handler, hostname="127.0.0.1", port=sink.port)
        sink.controller.start()
        wait_until(lambda: status_counts(app) == Counter(sent=5), timeout=30, what="delivery")
        assert worker.poll() is None  # still running
    finally:
        _out, err = stop_worker(worker)
        sink.controller.stop()
    assert worker.returncode == 0, err
    assert len(sink.message_ids()) == 5 and set(sink.message_ids().values()) == {1}
    rows = rows_by_status(app)["sent"]
    assert [row.id for row in rows] == ids and all(row.attempts >= 2 for row in rows)


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_worker_process_outlives_a_database_outage(make_app):
    """The worker reaches PostgreSQL through a proxy that the test cuts: its polls fail,
    it keeps running, and once the database is back it delivers what was queued meanwhile."""
    app = make_app()
    direct = make_url(app.config["SQLALCHEMY_DATABASE_URI"])
    proxy = TcpProxy((direct.host, direct.port or 5432)).start()
    through_proxy = direct.set(port=proxy.port).render_as_string(hide_password=False)
    with running_sink() as sink:
        env = {**worker_env(app, sink), "DATABASE_URL": through_proxy}
        worker = start_worker(env, "--interval", "0.3")
        try:
            first = enqueue(app, 2)
            wait_until(lambda: status_counts(app) == Counter(sent=2), 30, "first delivery")
            proxy.stop()
            later = enqueue(app, 3)  # written directly: the app's own path is unaffected
            time.sleep(2)  # several failed polls
            assert worker.poll() is None
            assert status_counts(app) == Counter(sent=2, queued=3)
            proxy.start()
            wait_until(lambda: status_counts(app) == Counter(sent=5), 30, "delivery after")
        finally:
            _out, err = stop_worker(worker)
            proxy.stop()
    assert worker.returncode == 0, err
    assert "outbox: delivery failed: OperationalError" in err
    assert len(sink.message_ids()) == 5 and set(sink.message_ids().values()) == {1}
    assert {row.id for row in rows_by_status(app)["sent"]} == {*first, *later}
