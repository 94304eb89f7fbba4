"""Delivery of the outbox: claim what is due, hand it to SMTP over one connection per batch,
or split the batch among MAIL_CONCURRENCY senders, each with its own SMTP connection and
database session (threads: the time goes in waiting for the SMTP server and the database).

The pieces: ``claims`` (the row's states and leases), ``mime`` (the row → the bytes on the
wire), ``transport`` (smtplib). Here: the batches, the senders, and what a failure means:

* each sender has at most one row in SENDING, so a killed worker leaves at most as many
  rows in doubt as it had senders (``claims`` says why that one is never resent);
* temporary failures (4xx, refused or broken connections, timeouts) are retried with
  exponential backoff until MAIL_MAX_ATTEMPTS; permanent ones (5xx, bad headers) fail at once.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app

from eventhub.extensions import db
from eventhub.mail import claims, mime
from eventhub.mail.claims import INTERRUPTED, ClaimedMessage
from eventhub.mail.transport import DeliveryFailed, SmtpConnection, SmtpSettings, describe
from eventhub.orm import utcnow

__all__ = ["INTERRUPTED", "MAX_SENDERS", "DeliveryReport", "deliver_due", "retry_delay"]

log = logging.getLogger(__name__)

MAX_BACKOFF_SECONDS = 6 * 3600
# Each sender holds a database connection: more than the pool's spare ones would wait.
MAX_SENDERS = 10


@dataclass
class DeliveryReport:
    worker_id: str
    claimed: int = 0
    sent: int = 0
    kept: int = 0  # the sink backend: kept in the outbox, not sent
    retry: int = 0
    failed: int = 0
    released: int = 0  # claimed but not attempted: given back unchanged
    recovered: int = 0  # stale CLAIMED rows (another worker's lease ran out) queued again
    interrupted: int = 0  # stale SENDING rows marked failed
    connections: int = 0
    skipped: int = 0  # taken over by another worker after our lease ran out

    def summary(self) -> str:
        parts = [
            f"claimed {self.claimed}",
            f"sent {self.sent}",
            *([f"kept, not sent {self.kept}"] if self.kept else []),
            f"retry {self.retry}",
            f"failed {self.failed}",
            f"released {self.released}",
            f"connections {self.connections}",
        ]
        if self.recovered:
            parts.append(f"stale claims requeued {self.recovered}")
        if self.interrupted:
            parts.append(f"interrupted sends failed {self.interrupted}")
        if self.skipped:
            parts.append(f"skipped {self.skipped}")
        return ", ".join(parts)

    __str__ = summary

    def add(self, other: DeliveryReport) -> None:
        """Count a sender's share of the batch in this report."""
        self.sent += other.sent
        self.retry += other.retry
        self.failed += other.failed
        self.connections += other.connections
        self.skipped += other.skipped


class _ConnectionBroken(Exception):
    """The SMTP connection cannot be used for the rest of the batch."""

    unattempted: list[ClaimedMessage]  # set where it is raised: not handed to SMTP (CLAIMED)


def default_worker_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"[:100]


def deliver_due(
    worker_id: str | None = None, batch_size: int | None = None, concurrency: int | None = None
) -> DeliveryReport:
    """Deliver one batch of due messages. Call inside an application context.

    With ``concurrency`` (default MAIL_CONCURRENCY) above one, the batch is shared among that
    many senders, each over its own SMTP connection.
    """
    config = current_app.config
    worker_id = worker_id or default_worker_id()
    batch_size = int(batch_size or config["MAIL_BATCH_SIZE"])
    concurrency = min(max(1, int(concurrency or config["MAIL_CONCURRENCY"])), MAX_SENDERS)
    if config.get("MAIL_MAX_EMAILS"):  # the server's limit of messages per connection
        batch_size = min(batch_size, int(config["MAIL_MAX_EMAILS"]) * concurrency)
    report = DeliveryReport(worker_id=worker_id)

    _recover_expired(report)
    jobs = claims.claim(worker_id, batch_size)
    report.claimed = len(jobs)
    if not jobs:
        return report
    try:
        if config.get("MAIL_BACKEND") == "sink":
            report.kept += claims.keep_unsent([job.id for job in jobs], worker_id)
        elif concurrency > 1 and len(jobs) > 1:
            _deliver_in_parallel(jobs, worker_id, report, concurrency)
        else:
            _deliver_over_smtp(jobs, worker_id, report)
    finally:
        report.released += claims.release_unattempted([job.id for job in jobs], worker_id)
    return report


def _recover_expired(report: DeliveryReport) -> None:
    lease = timedelta(seconds=int(current_app.config["MAIL_CLAIM_LEASE_SECONDS"]))
    requeued, interrupted = claims.recover_expired(lease)
    report.recovered += requeued
    report.interrupted += interrupted
    if report.recovered or report.interrupted:
        log.warning(
            "outbox: %d stale claims requeued, %d interrupted sends failed",
            report.recovered,
            report.interrupted,
        )


# --- outcomes ---------------------------------------------------------------------------


def retry_delay(attempts: int) -> timedelta:
    """Backoff after the ``attempts``-th attempt: base, 2×base, 4×base… at most 6 hours."""
    base = int(current_app.config["MAIL_RETRY_BASE_SECONDS"])
    exponent = min(max(attempts - 1, 0), 30)
    return timedelta(seconds=min(base * 2**exponent, MAX_BACKOFF_SECONDS))


def _start_sending(
    job: ClaimedMessage, worker_id: str, accepted: list[ClaimedMessage], report: DeliveryReport
) -> bool:
    """What the server accepted becomes SENT and ``job`` SENDING, in one commit (see
    ``claims.start_sending``). False when ``job`` is no longer ours."""
    started = claims.start_sending(job, worker_id, [done.id for done in accepted])
    report.sent += len(accepted)
    accepted.clear()
    return started


def _mark_sent(jobs: list[ClaimedMessage], report: DeliveryReport) -> None:
    if jobs:
        claims.mark_sent([job.id for job in jobs])
        report.sent += len(jobs)
        jobs.clear()


def _mark_failed(job: ClaimedMessage, error: str, report: DeliveryReport) -> None:
    claims.mark_failed(job, error)
    report.failed += 1
    log.warning("outbox: message %s failed: %s", job.id, error)


def _mark_temporary_failure(job: ClaimedMessage, error: str, report: DeliveryReport) -> None:
    """RETRY later, or FAILED once MAIL_MAX_ATTEMPTS attempts were made."""
    max_attempts = int(current_app.config["MAIL_MAX_ATTEMPTS"])
    if job.attempts >= max_attempts:
        _mark_failed(job, f"{error} (gave up after {job.attempts} attempts)", report)
        return
    next_at: datetime = utcnow() + retry_delay(job.attempts)
    claims.schedule_retry(job, error, next_at)
    report.retry += 1
    log.info("outbox: message %s will be retried at %s: %s", job.id, next_at, error)


# --- batches over SMTP ------------------------------------------------------------------


def _connect(settings: SmtpSettings) -> SmtpConnection:
    return SmtpConnection.open(settings)


def _deliver_over_smtp(jobs: list[ClaimedMessage], worker_id: str, report: DeliveryReport) -> None:
    settings = SmtpSettings.from_config()
    pending = list(jobs)
    connection: SmtpConnection | None = None
    reconnects_left = 1
    try:
        try:
            connection = _connect(settings)
            report.connections += 1
        except OSError as error:  # smtplib.SMTPException is one
            # Nothing was attempted, but the server is unreachable: every claimed message
            # gets the temporary-failure treatment (attempt counted, backoff).
            _, text = describe(error, settings.timeout)
            log.warning("outbox: cannot connect to the mail server: %s", text)
            for job in pending:
                job.attempts += 1
                _mark_temporary_failure(job, f"Could not connect: {text}", report)
            return
        while pending:
            if connection is None:
                if reconnects_left == 0:
                    return  # the rest is released, unchanged, by deliver_due
                reconnects_left -= 1
                try:
                    connection = _connect(settings)
                    report.connections += 1
                except OSError as error:
                    log.warning("outbox: reconnect failed: %s", error)
                    return
            try:
                _deliver(connection, pending, worker_id, report)
                pending = []
            except _ConnectionBroken as broken:
                pending = broken.unattempted
                connection.close()
                connection = None
    finally:
        if connection is not None:
            connection.close()


def _deliver_in_parallel(
    jobs: list[ClaimedMessage], worker_id: str, report: DeliveryReport, concurrency: int
) -> None:
    """Share the batch among senders, each a thread with its own application context (so its
    own database session and connection) and its own SMTP connection. Each sender follows
    the rules of a single one: SENDING is committed before its message goes out, so each
    has at most one message in doubt. The rows are claimed already, by this worker only."""
    # The real app, not the proxy, for the threads: current_app is typed as the Flask it stands for.
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    senders = min(concurrency, len(jobs))
    # Interleaved, so that the batch still goes out roughly oldest first.
    shares = [jobs[n::senders] for n in range(senders)]
    reports = [DeliveryReport(worker_id=worker_id) for _ in shares]
    errors: list[BaseException] = []

    def send_share(share: list[ClaimedMessage], share_report: DeliveryReport) -> None:
        with app.app_context():
            try:
                _deliver_over_smtp(share, worker_id, share_report)
            except BaseException as error:  # re-raised in the calling thread
                db.session.rollback()
                errors.append(error)
            finally:
                db.session.remove()

    threads = [
        threading.Thread(target=send_share, args=args, name=f"outbox-sender-{n}")
        for n, args in enumerate(zip(shares, reports, strict=True))
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for share_report in reports:
        report.add(share_report)
    if errors:
        raise errors[0]


def _deliver(
    connection: SmtpConnection,
    jobs: list[ClaimedMessage],
    worker_id: str,
    report: DeliveryReport,
) -> None:
    """Send each job in turn; a broken connection carries the jobs not yet attempted."""
    accepted: list[ClaimedMessage] = []
    try:
        for n, job in enumerate(jobs):
            message = _build(job, report)
            if message is None:
                continue
            if not _start_sending(job, worker_id, accepted, report):
                report.skipped += 1
                continue
            try:
                if _send(connection, job, message, report):
                    accepted.append(job)
            except _ConnectionBroken as broken:
                broken.unattempted = jobs[n + 1 :]
                raise
    finally:
        _mark_sent(accepted, report)


def _build(job: ClaimedMessage, report: DeliveryReport) -> mime.WireMessage | None:
    try:
        return mime.build(job)
    except Exception as error:
        job.attempts += 1
        _mark_failed(
            job, f"The message could not be built: {type(error).__name__}: {error}", report
        )
        return None


def _send(
    connection: SmtpConnection,
    job: ClaimedMessage,
    message: mime.WireMessage,
    report: DeliveryReport,
) -> bool:
    """True when the server accepted it; failures are recorded here."""
    try:
        connection.send(message)
    except DeliveryFailed as failure:
        if failure.permanent:
            _mark_failed(job, failure.text, report)
        else:
            _mark_temporary_failure(job, failure.text, report)
        if failure.connection_lost:  # e.g. 421: smtplib closed the connection
            raise _ConnectionBroken from failure
    except Exception as error:
        # Unknown: we cannot tell whether it arrived, so it is never retried automatically.
        _mark_failed(job, f"{type(error).__name__}: {error}. {INTERRUPTED}", report)
        raise _ConnectionBroken from error
    else:
        return True
    return False
