from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import JSON, ForeignKey, Index, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from eventhub.enums import LabelledEnum
from eventhub.orm import Base, TimestampMixin, utcnow


class OutboxStatus(LabelledEnum):
    QUEUED = "queued", _l("Queued")  # waiting for its first attempt
    # Taken by a worker, not yet handed to SMTP: safe to give back.
    CLAIMED = "claimed", _l("Being sent")
    # Being handed to SMTP: if the worker dies now, we cannot know.
    SENDING = "sending", _l("Being sent")
    RETRY = "retry", _l("Will retry")  # a temporary failure; tried again at next_attempt_at
    SENT = "sent", _l("Sent")
    # The sink backend (no MAIL_SERVER): kept in the outbox for organisers to read, never sent.
    KEPT = "kept", _l("Kept, not sent")
    FAILED = "failed", _l("Failed")


class OutboxMessage(TimestampMixin, Base):
    """One email, written in the same transaction as the business change that causes it
    and delivered later by ``flask outbox send``."""

    __tablename__ = "outbox_message"
    __table_args__ = (Index("ix_outbox_message_due", "status", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    to_address: Mapped[str] = mapped_column(String(254))
    to_name: Mapped[str | None] = mapped_column(String(200))
    subject: Mapped[str] = mapped_column(String(300))
    text_body: Mapped[str] = mapped_column(Text)
    html_body: Mapped[str | None] = mapped_column(Text)
    # [{"filename", "content_type", "data" (text)}]: our attachments are calendars, text.
    attachments: Mapped[list] = mapped_column(JSON, default=list)
    headers: Mapped[dict] = mapped_column(JSON, default=dict)
    reply_to: Mapped[str | None] = mapped_column(String(254))
    message_id: Mapped[str] = mapped_column(String(200), unique=True)
    status: Mapped[str] = mapped_column(String(20), default=OutboxStatus.QUEUED.value)
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow)
    claimed_by: Mapped[str | None] = mapped_column(String(100))
    claimed_at: Mapped[datetime | None]
    sent_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)
    # What the message is about, for the pages that show delivery (e.g. "invitation").
    topic: Mapped[str | None] = mapped_column(String(40), index=True)
    # The event the message is about: its body holds personal links, so only the event's
    # managers (and admins) may read it. None: admins only. A plain id, not a relationship,
    # so the mail layer stays unaware of events.
    event_id: Mapped[int | None] = mapped_column(
        ForeignKey("event.id", ondelete="SET NULL"), index=True
    )

    @property
    def status_label(self):
        return OutboxStatus(self.status).label

    @property
    def is_pending(self) -> bool:
        return self.status in {
            OutboxStatus.QUEUED,
            OutboxStatus.CLAIMED,
            OutboxStatus.SENDING,
            OutboxStatus.RETRY,
        }

    def __repr__(self) -> str:
        return f"<OutboxMessage {self.id} {self.status}>"


class OutboxBlob(Base):
    """Bytes that many messages carry (an event's image, in every invitation of a sending):
    stored once, named by their SHA-256, which the messages' attachments name instead of
    holding a copy each (services.shared_bytes; the worker reads them back, claims.py)."""

    __tablename__ = "outbox_blob"

    digest: Mapped[str] = mapped_column(String(64), primary_key=True)
    data: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
