"""The outbox row's states while a worker holds it: claims, leases, release and expiry.

The state machine is documented on ``OutboxStatus``. The rules that keep it honest:

* a row is handed to SMTP only after it was committed as SENDING by this worker, and a row
  found in SENDING after the lease is never sent again (it may have arrived): nothing is
  ever sent twice by the worker;
* rows claimed but not attempted go back to QUEUED/RETRY, at the end of a run whatever
  happened, or after the lease if the worker died.

Every function here commits: a claim is only worth something once other workers see it.
Nothing here talks to SMTP or knows what a retry policy is (``eventhub.mail.worker``).
"""

from __future__ import annotations

import base64
import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import cast

from sqlalchemy import CursorResult, Table, case, or_, select, update

from eventhub.extensions import db
from eventhub.mail.models import OutboxBlob, OutboxMessage, OutboxStatus
from eventhub.orm import utcnow

log = logging.getLogger(__name__)

INTERRUPTED = (
    "Delivery was interrupted; the message may or may not have arrived. Resend it if needed."
)
DUE_STATUSES = (OutboxStatus.QUEUED.value, OutboxStatus.RETRY.value)
MAX_ERROR_LENGTH = 2000
_NO_SYNC = {"synchronize_session": False}


@dataclass
class ClaimedMessage:
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
    def from_row(cls, row: OutboxMessage) -> ClaimedMessage:
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


def _status_for_release():
    """Back to where it came from: RETRY if it was tried before, else QUEUED."""
    return case(
        (OutboxMessage.attempts > 0, OutboxStatus.RETRY.value),
        else_=OutboxStatus.QUEUED.value,
    )


def recover_expired(lease: timedelta) -> tuple[int, int]:
    """Rows whose worker's lease ran out: (claims given back, interrupted sends failed)."""
    cutoff = utcnow() - lease
    expired = or_(OutboxMessage.claimed_at.is_(None), OutboxMessage.claimed_at < cutoff)
    # Claimed, never handed to SMTP: safe to give back.
    requeued = db.session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.status == OutboxStatus.CLAIMED.value, expired)
        .values(status=_status_for_release(), claimed_by=None, claimed_at=None),
        execution_options=_NO_SYNC,
    )
    # Being handed to SMTP when the worker vanished: it may have arrived. Never resent.
    interrupted = db.session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.status == OutboxStatus.SENDING.value, expired)
        .values(status=OutboxStatus.FAILED.value, last_error=INTERRUPTED),
        execution_options=_NO_SYNC,
    )
    db.session.commit()
    # An UPDATE's result is a CursorResult; Session.execute is typed for any statement.
    return (
        cast(CursorResult, requeued).rowcount or 0,
        cast(CursorResult, interrupted).rowcount or 0,
    )


def _still_claimed(ids: list[int], worker_id: str) -> tuple:
    """Of ``ids``, those this worker still holds: a lease another worker took over is not ours."""
    return (
        OutboxMessage.id.in_(ids),
        OutboxMessage.claimed_by == worker_id,
        OutboxMessage.status == OutboxStatus.CLAIMED.value,
    )


def claim(worker_id: str, batch_size: int) -> list[ClaimedMessage]:
    """Up to ``batch_size`` due rows, oldest first, now CLAIMED by ``worker_id``."""
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
        select(OutboxMessage).where(*_still_claimed(ids, worker_id)).order_by(OutboxMessage.id)
    ).all()
    messages = [ClaimedMessage.from_row(row) for row in rows]
    _fill_blobs(messages)
    db.session.commit()
    return messages


def _fill_blobs(messages: list[ClaimedMessage]) -> None:
    """Attachments that name a shared blob get its bytes (base64, as stored attachments
    carry binary data): one query for the whole batch."""
    wanted = {a["blob"] for m in messages for a in m.attachments if a.get("blob")}
    if not wanted:
        return
    blobs = dict(
        db.session.execute(
            select(OutboxBlob.digest, OutboxBlob.data).where(OutboxBlob.digest.in_(wanted))
        ).all()
    )
    for message in messages:
        message.attachments = [
            {**a, "data": base64.b64encode(blobs[a["blob"]]).decode("ascii"), "encoding": "base64"}
            if a.get("blob") in blobs
            else a
            for a in message.attachments
        ]


def release_unattempted(ids: list[int], worker_id: str) -> int:
    """Give back, unchanged, what this worker claimed and never handed to SMTP."""
    try:
        db.session.rollback()
        result = db.session.execute(
            update(OutboxMessage)
            .where(*_still_claimed(ids, worker_id))
            .values(status=_status_for_release(), claimed_by=None, claimed_at=None),
            execution_options=_NO_SYNC,
        )
        db.session.commit()
        return cast(CursorResult, result).rowcount or 0
    except Exception:
        # The lease recovery of the next run gives them back; do not hide the original error.
        db.session.rollback()
        log.exception("outbox: could not release claimed messages %s", ids)
        return 0


def keep_unsent(ids: list[int], worker_id: str) -> int:
    """The sink backend: KEPT (readable on the Outbox page, never sent, no sent time)."""
    result = db.session.execute(
        update(OutboxMessage)
        .where(*_still_claimed(ids, worker_id))
        .values(
            status=OutboxStatus.KEPT.value,
            attempts=OutboxMessage.attempts + 1,
            last_error=None,
        ),
        execution_options=_NO_SYNC,
    )
    db.session.commit()
    return cast(CursorResult, result).rowcount or 0


# The statements run for every message use the table, not the mapped class: an ORM-enabled
# UPDATE goes through the ORM's bulk-update machinery, about a third more CPU per message,
# for rows the worker never holds as objects.
# A declarative class's __table__ is typed as any FromClause; this one is a Table.
_outbox_table = cast(Table, OutboxMessage.__table__)
_outbox = _outbox_table.c


def _set(message_id: int, **values) -> None:
    db.session.execute(update(_outbox_table).where(_outbox.id == message_id).values(**values))
    db.session.commit()


def _record_sent(ids: list[int]) -> None:
    """Part of the next commit: the messages the server accepted become SENT."""
    if ids:
        db.session.execute(
            update(_outbox_table)
            .where(_outbox.id == ids[0] if len(ids) == 1 else _outbox.id.in_(ids))
            .values(status=OutboxStatus.SENT.value, sent_at=utcnow(), last_error=None)
        )


def start_sending(message: ClaimedMessage, worker_id: str, accepted_ids: list[int]) -> bool:
    """One commit: ``accepted_ids`` become SENT, and ``message`` SENDING if still ours.

    SENDING is committed before any network I/O, so at any moment at most one row per
    sender is in doubt. Folding the previous SENT into this commit halves a batch's commits.
    False when another worker took the row over after our lease ran out.
    """
    _record_sent(accepted_ids)
    result = db.session.execute(
        update(_outbox_table)
        .where(
            _outbox.id == message.id,
            _outbox.claimed_by == worker_id,
            _outbox.status == OutboxStatus.CLAIMED.value,
        )
        .values(
            status=OutboxStatus.SENDING.value,
            attempts=message.attempts + 1,
            # The lease of a send starts now: a slow batch must not look interrupted.
            claimed_at=utcnow(),
        )
    )
    db.session.commit()
    if cast(CursorResult, result).rowcount != 1:
        return False
    message.attempts += 1
    return True


def mark_sent(ids: list[int]) -> None:
    if ids:
        _record_sent(ids)
        db.session.commit()


def mark_failed(message: ClaimedMessage, error: str) -> None:
    _set(
        message.id,
        status=OutboxStatus.FAILED.value,
        attempts=message.attempts,
        last_error=error[:MAX_ERROR_LENGTH],
    )


def schedule_retry(message: ClaimedMessage, error: str, next_attempt_at: datetime) -> None:
    """RETRY at ``next_attempt_at``, no longer claimed by anyone."""
    _set(
        message.id,
        status=OutboxStatus.RETRY.value,
        attempts=message.attempts,
        next_attempt_at=next_attempt_at,
        last_error=error[:MAX_ERROR_LENGTH],
        claimed_by=None,
        claimed_at=None,
    )
