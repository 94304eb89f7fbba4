"""Delivery of the outbox: claim what is due, hand it to SMTP over one connection per batch,
or split the batch among MAIL_CONCURRENCY senders, each with its own SMTP connection and
database session (threads: the time goes in waiting for the SMTP server and the database).

The state machine is documented on ``OutboxStatus``. The rules that keep it honest:

* a row is handed to SMTP only after it was committed as SENDING by this worker, and a row
  found in SENDING after the lease is never sent again (it may have arrived): nothing is
  ever sent twice by the worker; each sender has at most one row in SENDING, so a killed
  worker leaves at most as many rows in doubt as it had senders;
* rows claimed but not attempted go back to QUEUED/RETRY, at the end of a run whatever
  happened, or after the lease if the worker died;
* temporary failures (4xx, refused or broken connections, timeouts) are retried with
  exponential backoff until MAIL_MAX_ATTEMPTS; permanent ones (5xx, bad headers) fail at once.
"""

from __future__ import annotations

import base64
import copy
import io
import logging
import os
import smtplib
import socket
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email.generator import BytesGenerator
from email.policy import EmailPolicy, compat32

from flask import current_app
from flask_mail import BadHeaderError, Connection, Message
from sqlalchemy import case, or_, select, update

from eventhub.extensions import db, mail
from eventhub.mail import headers
from eventhub.mail.models import OutboxMessage, OutboxStatus
from eventhub.orm import utcnow

log = logging.getLogger(__name__)

INTERRUPTED = (
    "Delivery was interrupted; the message may or may not have arrived. Resend it if needed."
)
MAX_BACKOFF_SECONDS = 6 * 3600
DUE_STATUSES = (OutboxStatus.QUEUED.value, OutboxStatus.RETRY.value)
_NO_SYNC = {"synchronize_session": False}


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


@dataclass
class _Job:
    """What the worker needs from a claimed row, read once (commits expire ORM objects)."""

    id: int
    attempts: int
    to_address: str
    to_name: str | None
    subject: str
    text_body: str
    html_body: str | None
    reply_to: str | None
    message_id: str
    headers: dict = field(default_factory=dict)
    attachments: list = field(default_factory=list)

    @classmethod
    def from_row(cls, row: OutboxMessage) -> _Job:
        return cls(
            id=row.id,
            attempts=row.attempts or 0,
            to_address=row.to_address,
            to_name=row.to_name,
            subject=row.subject,
            text_body=row.text_body,
            html_body=row.html_body,
            reply_to=row.reply_to,
            message_id=row.message_id,
            headers=dict(row.headers or {}),
            attachments=list(row.attachments or []),
        )


class _ConnectionBroken(Exception):
    """The SMTP connection cannot be used for the rest of the batch."""

    unattempted: list[_Job]  # set where it is raised: the jobs not handed to SMTP (CLAIMED)


def default_worker_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"[:100]


MAX_SENDERS = 10


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
    # Each sender holds a database connection: more than the pool's spare ones would wait.
    concurrency = min(max(1, int(concurrency or config["MAIL_CONCURRENCY"])), MAX_SENDERS)
    if config.get("MAIL_MAX_EMAILS"):  # the server's limit of messages per connection
        batch_size = min(batch_size, int(config["MAIL_MAX_EMAILS"]) * concurrency)
    report = DeliveryReport(worker_id=worker_id)

    _recover_stale(report)
    jobs = _claim(worker_id, batch_size)
    report.claimed = len(jobs)
    if not jobs:
        return report
    try:
        if config.get("MAIL_BACKEND") == "sink":
            _deliver_to_sink(jobs, worker_id, report)
        elif concurrency > 1 and len(jobs) > 1:
            _deliver_in_parallel(jobs, worker_id, report, concurrency)
        else:
            _deliver_over_smtp(jobs, worker_id, report)
    finally:
        _release_unattempted([job.id for job in jobs], worker_id, report)
    return report


# --- claiming ---------------------------------------------------------------------------


def _recover_stale(report: DeliveryReport) -> None:
    lease = timedelta(seconds=int(current_app.config["MAIL_CLAIM_LEASE_SECONDS"]))
    cutoff = utcnow() - lease
    stale = or_(OutboxMessage.claimed_at.is_(None), OutboxMessage.claimed_at < cutoff)
    # Claimed, never handed to SMTP: safe to give back.
    requeued = db.session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.status == OutboxStatus.CLAIMED.value, stale)
        .values(status=_status_for_release(), claimed_by=None, claimed_at=None),
        execution_options=_NO_SYNC,
    )
    # Being handed to SMTP when the worker vanished: it may have arrived. Never resent.
    interrupted = db.session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.status == OutboxStatus.SENDING.value, stale)
        .values(status=OutboxStatus.FAILED.value, last_error=INTERRUPTED),
        execution_options=_NO_SYNC,
    )
    db.session.commit()
    report.recovered += requeued.rowcount or 0
    report.interrupted += interrupted.rowcount or 0
    if report.recovered or report.interrupted:
        log.warning(
            "outbox: %d stale claims requeued, %d interrupted sends failed",
            report.recovered,
            report.interrupted,
        )


def _status_for_release():
    """Back to where it came from: RETRY if it was tried before, else QUEUED."""
    return case(
        (OutboxMessage.attempts > 0, OutboxStatus.RETRY.value),
        else_=OutboxStatus.QUEUED.value,
    )


def _claim(worker_id: str, batch_size: int) -> list[_Job]:
    now = utcnow()
    due = (
        select(OutboxMessage.id)
        .where(OutboxMessage.status.in_(DUE_STATUSES), OutboxMessage.next_attempt_at <= now)
        .order_by(OutboxMessage.id)
        .limit(batch_size)
    )
    if db.session.get_bind().dialect.name == "postgresql":
        # Several workers at once: each skips the rows another is claiming.
        due = due.with_for_update(skip_locked=True)
    ids = list(db.session.scalars(due))
    if not ids:
        db.session.rollback()
        return []
    # The status condition makes the claim atomic where SKIP LOCKED does not exist (SQLite
    # serialises writers: a second worker's UPDATE finds the rows already claimed).
    db.session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id.in_(ids), OutboxMessage.status.in_(DUE_STATUSES))
        .values(status=OutboxStatus.CLAIMED.value, claimed_by=worker_id, claimed_at=now),
        execution_options=_NO_SYNC,
    )
    db.session.commit()
    rows = db.session.scalars(
        select(OutboxMessage)
        .where(
            OutboxMessage.id.in_(ids),
            OutboxMessage.claimed_by == worker_id,
            OutboxMessage.status == OutboxStatus.CLAIMED.value,
        )
        .order_by(OutboxMessage.id)
    ).all()
    jobs = [_Job.from_row(row) for row in rows]
    db.session.commit()
    return jobs


def _release_unattempted(ids: list[int], worker_id: str, report: DeliveryReport) -> None:
    try:
        db.session.rollback()
        result = db.session.execute(
            update(OutboxMessage)
            .where(
                OutboxMessage.id.in_(ids),
                OutboxMessage.claimed_by == worker_id,
                OutboxMessage.status == OutboxStatus.CLAIMED.value,
            )
            .values(status=_status_for_release(), claimed_by=None, claimed_at=None),
            execution_options=_NO_SYNC,
        )
        db.session.commit()
        report.released += result.rowcount or 0
    except Exception:
        # The lease recovery of the next run gives them back; do not hide the original error.
        db.session.rollback()
        log.exception("outbox: could not release claimed messages %s", ids)


# --- state changes ----------------------------------------------------------------------


# The statements run for every message use the table, not the mapped class: an ORM-enabled
# UPDATE goes through the ORM's bulk-update machinery, about a third more CPU per message,
# for rows the worker never holds as objects.
_outbox = OutboxMessage.__table__.c


def _set(job_id: int, **values) -> None:
    db.session.execute(update(OutboxMessage.__table__).where(_outbox.id == job_id).values(**values))
    db.session.commit()


def _record_sent(jobs: list[_Job]) -> None:
    """Part of the next commit: the messages the server accepted become SENT."""
    if jobs:
        ids = [job.id for job in jobs]
        db.session.execute(
            update(OutboxMessage.__table__)
            .where(_outbox.id == ids[0] if len(ids) == 1 else _outbox.id.in_(ids))
            .values(status=OutboxStatus.SENT.value, sent_at=utcnow(), last_error=None)
        )


def _start_sending(job: _Job, worker_id: str, accepted: list[_Job], report) -> bool:
    """One commit: what the server accepted becomes SENT, and ``job`` SENDING (if still ours).

    SENDING is committed before any network I/O, so at any moment at most one row is in
    doubt: a worker killed mid-send leaves exactly one SENDING row, which is never resent.
    Folding the previous SENT into this commit halves the commits of a batch.
    """
    _record_sent(accepted)
    result = db.session.execute(
        update(OutboxMessage.__table__)
        .where(
            _outbox.id == job.id,
            _outbox.claimed_by == worker_id,
            _outbox.status == OutboxStatus.CLAIMED.value,
        )
        .values(
            status=OutboxStatus.SENDING.value,
            attempts=job.attempts + 1,
            # The lease of a send starts now: a slow batch must not look interrupted.
            claimed_at=utcnow(),
        )
    )
    db.session.commit()
    report.sent += len(accepted)
    accepted.clear()
    if result.rowcount != 1:
        return False
    job.attempts += 1
    return True


def _mark_sent(jobs: list[_Job], report: DeliveryReport) -> None:
    if jobs:
        _record_sent(jobs)
        db.session.commit()
        report.sent += len(jobs)
        jobs.clear()


def _mark_failed(job: _Job, error: str, report: DeliveryReport) -> None:
    _set(job.id, status=OutboxStatus.FAILED.value, attempts=job.attempts, last_error=error[:2000])
    report.failed += 1
    log.warning("outbox: message %s failed: %s", job.id, error)


def retry_delay(attempts: int) -> timedelta:
    """Backoff after the ``attempts``-th attempt: base, 2×base, 4×base… at most 6 hours."""
    base = int(current_app.config["MAIL_RETRY_BASE_SECONDS"])
    exponent = min(max(attempts - 1, 0), 30)
    return timedelta(seconds=min(base * 2**exponent, MAX_BACKOFF_SECONDS))


def _mark_temporary_failure(job: _Job, error: str, report: DeliveryReport) -> None:
    """RETRY later, or FAILED once MAIL_MAX_ATTEMPTS attempts were made."""
    max_attempts = int(current_app.config["MAIL_MAX_ATTEMPTS"])
    if job.attempts >= max_attempts:
        _mark_failed(job, f"{error} (gave up after {job.attempts} attempts)", report)
        return
    next_at: datetime = utcnow() + retry_delay(job.attempts)
    _set(
        job.id,
        status=OutboxStatus.RETRY.value,
        attempts=job.attempts,
        next_attempt_at=next_at,
        last_error=error[:2000],
        claimed_by=None,
        claimed_at=None,
    )
    report.retry += 1
    log.info("outbox: message %s will be retried at %s: %s", job.id, next_at, error)


# --- backends ---------------------------------------------------------------------------


def _deliver_to_sink(jobs: list[_Job], worker_id: str, report: DeliveryReport) -> None:
    """No network: the messages stay readable on the Outbox page, marked as kept (not sent:
    nobody received them), with no sent time."""
    result = db.session.execute(
        update(OutboxMessage)
        .where(
            OutboxMessage.id.in_([job.id for job in jobs]),
            OutboxMessage.claimed_by == worker_id,
            OutboxMessage.status == OutboxStatus.CLAIMED.value,
        )
        .values(
            status=OutboxStatus.KEPT.value,
            attempts=OutboxMessage.attempts + 1,
            last_error=None,
        ),
        execution_options=_NO_SYNC,
    )
    db.session.commit()
    report.kept += result.rowcount or 0


_default_timeout_lock = threading.Lock()


@contextmanager
def _default_timeout(seconds: float) -> Iterator[None]:
    """Flask-Mail 0.10 has no timeout: the socket it opens meanwhile gets this one.
    (The default is process-wide: workers in threads take turns, so each restores it.)"""
    with _default_timeout_lock:
        previous = socket.getdefaulttimeout()
        socket.setdefaulttimeout(seconds)
        try:
            yield
        finally:
            socket.setdefaulttimeout(previous)


def _connect(timeout: float) -> Connection:
    connection = mail.connect()
    if connection.mail.max_emails:
        # Flask-Mail would reconnect by itself after MAIL_MAX_EMAILS, without a timeout and
        # after the message was accepted; batches are capped at MAIL_MAX_EMAILS instead.
        connection.mail = copy.copy(connection.mail)
        connection.mail.max_emails = None
    with _default_timeout(timeout):
        connection.__enter__()  # connects, STARTTLS and login as configured
    _apply_timeout(connection, timeout)
    return connection


def _apply_timeout(connection: Connection, timeout: float) -> None:
    host = connection.host
    if host is not None and getattr(host, "sock", None) is not None:
        host.sock.settimeout(timeout)


def _is_open(connection: Connection) -> bool:
    # Flask-Mail with MAIL_SUPPRESS_SEND has no host at all, and that is fine.
    return connection.host is None or getattr(connection.host, "sock", None) is not None


def _close(connection: Connection) -> None:
    host = connection.host
    if host is None:
        return
    try:
        if host.sock is not None:
            host.quit()
    except (smtplib.SMTPException, OSError):
        pass
    finally:
        host.close()
        connection.host = None


class _OutboxMessage(Message):
    """Flask-Mail's message, with the headers people read (Subject, From, To, Reply-To and
    ours) written by ``eventhub.mail.headers`` in place of Flask-Mail's, which the email
    package would fold again (see that module for why)."""

    def _message(self):
        mime = super()._message()
        mime.policy = compat32  # stores the folded values as they are
        if self.subject:
            mime.replace_header("Subject", headers.unstructured("Subject", self.subject))
        mime.replace_header("From", headers.address("From", self.sender))
        [(name, address)] = self.recipients
        mime.replace_header("To", headers.mailbox("To", name, address))
        if self.reply_to:
            mime.replace_header("Reply-To", headers.address("Reply-To", self.reply_to))
        for name, value in (self.extra_headers or {}).items():
            mime.replace_header(name, headers.unstructured(name, value))
        mime.policy = _WIRE_POLICY
        return mime


def build_message(job: _Job) -> Message:
    extra = {str(name): "" if value is None else str(value) for name, value in job.headers.items()}
    extra["Auto-Submitted"] = "auto-generated"
    message = _OutboxMessage(
        subject=job.subject,
        sender=current_app.config["MAIL_DEFAULT_SENDER"],
        recipients=[(job.to_name or "", job.to_address)],
        body=job.text_body,
        html=job.html_body,
        reply_to=job.reply_to or None,
        extra_headers=extra,
    )
    message.msgId = job.message_id
    for attachment in job.attachments:
        data = attachment.get("data") or ""
        content_type = attachment.get("content_type") or "application/octet-stream"
        if attachment.get("encoding") == "base64":
            data = base64.b64decode(data)
        if isinstance(data, str):
            # Bytes, so that non-ASCII text is sent as UTF-8 (a str payload would be mangled).
            data = data.encode("utf-8")
            if content_type.startswith("text/") and "charset" not in content_type.lower():
                content_type = f"{content_type}; charset=utf-8"
        message.attach(attachment.get("filename"), content_type, data)
    return message


class _WirePolicy(EmailPolicy):
    """``policy.SMTP`` (what Flask-Mail sets), except for two things:

    * headers are written as stored (``refold_source="none"``): ours come folded from
      ``eventhub.mail.headers``, and the SMTP policy's refolding is what turned long values
      into encoded words cut inside words;
    * reading a header back returns the stored text instead of parsing it with the header
      registry. The generator reads the Content-Type of the message a dozen times while
      writing it, and those parses were half the worker's time per message."""

    def header_fetch_parse(self, name, value):
        return compat32.header_fetch_parse(name, value)


_WIRE_POLICY = _WirePolicy(linesep="\r\n", refold_source="none")


def as_bytes(message: Message) -> bytes:
    """``message.as_bytes()``, the same bytes, made faster (see ``_WirePolicy``)."""
    mime = message._message()
    mime.policy = _WIRE_POLICY
    buffer = io.BytesIO()
    BytesGenerator(buffer, mangle_from_=False, policy=_WIRE_POLICY).flatten(mime)
    return buffer.getvalue()


def _smtp_error_text(error: BaseException, timeout: float) -> tuple[int | None, str]:
    """(SMTP code or None, text for last_error)."""
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        code, reply = next(iter(error.recipients.values()), (None, b""))
        return code, f"{code} {_decode(reply)}".strip()
    if isinstance(error, smtplib.SMTPResponseException):
        return error.smtp_code, f"{error.smtp_code} {_decode(error.smtp_error)}".strip()
    if isinstance(error, TimeoutError) or isinstance(error.__context__, TimeoutError):
        return None, f"The mail server did not answer within {timeout:g} seconds."
    if isinstance(error, smtplib.SMTPServerDisconnected):
        return None, f"The mail server closed the connection: {error}"
    if isinstance(error, ConnectionRefusedError):
        return None, f"The mail server refused the connection: {error}"
    return None, f"{type(error).__name__}: {error}"


def _decode(value) -> str:
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return str(value)


def _deliver_over_smtp(jobs: list[_Job], worker_id: str, report: DeliveryReport) -> None:
    timeout = float(current_app.config["MAIL_SEND_TIMEOUT"])
    pending = list(jobs)
    connection: Connection | None = None
    reconnects_left = 1
    try:
        try:
            connection = _connect(timeout)
            report.connections += 1
        except (OSError, smtplib.SMTPException) as error:
            # Nothing was attempted, but the server is unreachable: every claimed message
            # gets the temporary-failure treatment (attempt counted, backoff).
            _, text = _smtp_error_text(error, timeout)
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
                    connection = _connect(timeout)
                    report.connections += 1
                except (OSError, smtplib.SMTPException) as error:
                    log.warning("outbox: reconnect failed: %s", error)
                    return
            try:
                _deliver(connection, pending, worker_id, timeout, report)
                pending = []
            except _ConnectionBroken as broken:
                pending = broken.unattempted
                _close(connection)
                connection = None
    finally:
        if connection is not None:
            _close(connection)


def _deliver_in_parallel(
    jobs: list[_Job], worker_id: str, report: DeliveryReport, concurrency: int
) -> None:
    """Share the batch among senders, each a thread with its own application context (so its
    own database session and connection) and its own SMTP connection. Each sender follows
    the rules of a single one: SENDING is committed before its message goes out, so each
    has at most one message in doubt. The rows are claimed already, by this worker only."""
    app = current_app._get_current_object()
    senders = min(concurrency, len(jobs))
    # Interleaved, so that the batch still goes out roughly oldest first.
    shares = [jobs[n::senders] for n in range(senders)]
    reports = [DeliveryReport(worker_id=worker_id) for _ in shares]
    errors: list[BaseException] = []

    def send_share(share: list[_Job], share_report: DeliveryReport) -> None:
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
        report.sent += share_report.sent
        report.retry += share_report.retry
        report.failed += share_report.failed
        report.connections += share_report.connections
        report.skipped += share_report.skipped
    if errors:
        raise errors[0]


def _deliver(
    connection: Connection, jobs: list[_Job], worker_id: str, timeout: float, report
) -> None:
    """Send each job in turn; a broken connection carries the jobs not yet attempted."""
    accepted: list[_Job] = []
    try:
        for n, job in enumerate(jobs):
            message = _build(job, report)
            if message is None:
                continue
            if not _start_sending(job, worker_id, accepted, report):
                report.skipped += 1
                continue
            try:
                if _send(connection, job, message, timeout, report):
                    accepted.append(job)
            except _ConnectionBroken as broken:
                broken.unattempted = jobs[n + 1 :]
                raise
    finally:
        _mark_sent(accepted, report)


def _build(job: _Job, report: DeliveryReport) -> Message | None:
    try:
        message = build_message(job)
        if message.has_bad_headers():
            raise BadHeaderError("a header contains a line break")
        message.date = time.time()
        raw = as_bytes(message)  # any encoding problem shows here, before anything is sent
        # Built once: Flask-Mail's send() would build the same bytes again.
        message.as_bytes = lambda: raw
    except Exception as error:
        job.attempts += 1
        _mark_failed(
            job, f"The message could not be built: {type(error).__name__}: {error}", report
        )
        return None
    return message


def _send(connection: Connection, job: _Job, message: Message, timeout: float, report) -> bool:
    """True when the server accepted it; failures are recorded here."""
    try:
        # The envelope sender from our reading of MAIL_DEFAULT_SENDER (Flask-Mail's would cut
        # a display name with a comma in it and take its first word for the address).
        connection.send(message, envelope_from=("", headers.split_address(message.sender)[1]))
    except BadHeaderError as error:
        _mark_failed(job, f"Bad header: {error}", report)
    except (smtplib.SMTPRecipientsRefused, smtplib.SMTPResponseException) as error:
        code, text = _smtp_error_text(error, timeout)
        if code is not None and 500 <= code < 600:
            _mark_failed(job, text, report)
        else:
            _mark_temporary_failure(job, text, report)
        if not _is_open(connection):  # e.g. 421: smtplib closed the connection
            raise _ConnectionBroken from error
    except OSError as error:  # timeouts, resets, SMTPServerDisconnected, other SMTPException
        _, text = _smtp_error_text(error, timeout)
        _mark_temporary_failure(job, text, report)
        raise _ConnectionBroken from error
    except Exception as error:
        # Unknown: we cannot tell whether it arrived, so it is never retried automatically.
        _mark_failed(job, f"{type(error).__name__}: {error}. {INTERRUPTED}", report)
        raise _ConnectionBroken from error
    else:
        return True
    return False
