"""The outbox: mail is written here inside the business transaction, never sent in a request."""

import hashlib
from dataclasses import dataclass, field
from email.utils import make_msgid

from flask import current_app
from sqlalchemy import ColumnElement, insert, select
from sqlalchemy.dialects import postgresql, sqlite

from eventhub.errors import NotFoundError
from eventhub.extensions import db
from eventhub.mail.models import OutboxBlob, OutboxMessage, OutboxStatus
from eventhub.orm import utcnow
from eventhub.text import clean


@dataclass
class Attachment:
    filename: str
    content_type: str
    data: str  # text, or base64 when ``encoding`` says so (images)
    encoding: str | None = None
    # Shown inside the HTML body as <img src="cid:…"> (mime.py puts it in multipart/related)
    # rather than offered as a file.
    content_id: str | None = None
    # The bytes are the OutboxBlob of this digest (``data`` stays empty): see shared_bytes.
    blob: str | None = None


@dataclass
class OutgoingMail:
    to_address: str
    subject: str
    text_body: str
    html_body: str | None = None
    to_name: str | None = None
    reply_to: str | None = None
    attachments: list[Attachment] = field(default_factory=list)
    headers: dict[str, str] = field(default_factory=dict)
    topic: str | None = None
    # The event it is about: who may read the stored body (see access.py).
    event_id: int | None = None


def shared_bytes(data: bytes) -> str:
    """Keep ``data`` once for every message that carries it; the digest an ``Attachment``
    names as its ``blob``. In the caller's transaction; concurrent sendings of the same
    bytes do not collide (the row is the same whoever writes it first)."""
    digest = hashlib.sha256(data).hexdigest()
    dialect = db.session.get_bind().dialect.name
    insert_blob = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(OutboxBlob)
    db.session.execute(
        insert_blob.values(digest=digest, data=data, created_at=utcnow()).on_conflict_do_nothing(
            index_elements=["digest"]
        )
    )
    return digest


def _one_line(text: str | None) -> str | None:
    """Header values on one line: CR/LF cannot inject headers."""
    return clean(text)


def _row(mail: OutgoingMail, domain: str) -> dict:
    """The outbox row's values for one email."""
    return {
        "to_address": _one_line(mail.to_address) or "",
        "to_name": _one_line(mail.to_name),
        "subject": (_one_line(mail.subject) or "")[:300],
        "text_body": mail.text_body,
        "html_body": mail.html_body,
        "reply_to": _one_line(mail.reply_to),
        "attachments": [vars(a) for a in mail.attachments],
        "headers": {_one_line(k): _one_line(v) for k, v in mail.headers.items()},
        "message_id": make_msgid(domain=domain),
        "status": OutboxStatus.QUEUED.value,
        "next_attempt_at": utcnow(),
        "topic": mail.topic,
        "event_id": mail.event_id,
    }


def _message_id_domain() -> str:
    return current_app.config["MAIL_MESSAGE_ID_DOMAIN"]  # see config.mail_identity


def enqueue(mail: OutgoingMail) -> OutboxMessage:
    message = OutboxMessage(**_row(mail, _message_id_domain()))
    # No flush: several messages queued in one transaction are flushed together.
    db.session.add(message)
    return message


def enqueue_many(mails: list[OutgoingMail]) -> list[int]:
    """Queue many emails with one multi-row INSERT; their ids, in the same order.

    For a sending to hundreds of addresses: the rows go straight to the database instead of
    through the session's unit of work (no objects to track, no per-row flush bookkeeping)."""
    if not mails:
        return []
    domain = _message_id_domain()
    rows = [_row(mail, domain) for mail in mails]
    # Matched by Message-ID (unique): an INSERT returning rows in parameter order is done
    # row by row on SQLite, where the database gives no such order.
    ids = dict(
        db.session.execute(
            insert(OutboxMessage).returning(OutboxMessage.message_id, OutboxMessage.id), rows
        ).all()
    )
    return [ids[row["message_id"]] for row in rows]


def resend(message: OutboxMessage) -> OutboxMessage:
    """A failed message queued again as a new message (a new Message-ID: it is a new send)."""
    return enqueue(
        OutgoingMail(
            to_address=message.to_address,
            to_name=message.to_name,
            subject=message.subject,
            text_body=message.text_body,
            html_body=message.html_body,
            reply_to=message.reply_to,
            attachments=[Attachment(**a) for a in message.attachments],
            headers=dict(message.headers),
            topic=message.topic,
            event_id=message.event_id,
        )
    )


def get_message(message_id: int) -> OutboxMessage:
    message = db.session.get(OutboxMessage, message_id)
    if message is None:
        raise NotFoundError("No such message.")
    return message


def latest_messages(limit: int = 200) -> list[OutboxMessage]:
    return list(
        db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id.desc()).limit(limit))
    )


# --- Outbox pages ---------------------------------------------------------------------------


def outbox_query(status: str | None = None):
    """The newest messages first, optionally only those in one status."""
    stmt = select(OutboxMessage).order_by(OutboxMessage.id.desc())
    if status:
        stmt = stmt.where(OutboxMessage.status == status)
    return stmt


def status_counts() -> dict[str, int]:
    from sqlalchemy import func

    rows = db.session.execute(
        select(OutboxMessage.status, func.count()).group_by(OutboxMessage.status)
    )
    return dict(rows.all())


def _same_message_later(message_alias):
    """A later message with the same recipient, subject and text: a resend of it."""
    from sqlalchemy.orm import aliased

    later = aliased(OutboxMessage)
    return later, (
        (later.id > message_alias.id)
        & (later.to_address == message_alias.to_address)
        & (later.subject == message_alias.subject)
        & (later.text_body == message_alias.text_body)
    )


def failed_not_resent() -> ColumnElement[bool]:
    """SQL condition: a failed message not queued again yet (what an organiser still has to
    look at)."""
    from sqlalchemy import exists

    _, same = _same_message_later(OutboxMessage)
    return (OutboxMessage.status == OutboxStatus.FAILED.value) & ~exists().where(same)


def resent_as(message: OutboxMessage) -> OutboxMessage | None:
    """The message queued again in place of this one, if there is one."""
    return db.session.scalars(
        select(OutboxMessage)
        .where(
            OutboxMessage.id > message.id,
            OutboxMessage.to_address == message.to_address,
            OutboxMessage.subject == message.subject,
            OutboxMessage.text_body == message.text_body,
        )
        .order_by(OutboxMessage.id)
        .limit(1)
    ).first()


def resend_failed_message(message_id: int) -> OutboxMessage:
    """Queue a failed message again, once: a second click does not send it twice."""
    from flask_babel import gettext as _

    from eventhub.errors import ConflictError

    message = db.session.get(OutboxMessage, message_id, with_for_update=True)
    if message is None:
        raise NotFoundError(_("No such message."))
    if message.status != OutboxStatus.FAILED.value:
        raise ConflictError(_("Only failed messages can be sent again."))
    if resent_as(message) is not None:
        raise ConflictError(_("This message has already been sent again."))
    return resend(message)


def resend_all_failed(allowed=None) -> list[OutboxMessage]:
    """Queue again every failed message that was not already queued again; with
    ``allowed`` (a SQL condition), only the messages it admits."""
    from sqlalchemy import true

    failed = db.session.scalars(
        select(OutboxMessage)
        .where(failed_not_resent())
        .where(true() if allowed is None else allowed)
        .order_by(OutboxMessage.id)
        .with_for_update(of=OutboxMessage)
    ).all()
    return [resend(message) for message in failed]
