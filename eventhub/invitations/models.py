from datetime import datetime
from enum import StrEnum

from flask_babel import lazy_gettext as _l
from sqlalchemy import JSON, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from eventhub.auth.models import User
from eventhub.enums import LabelledEnum
from eventhub.events.models import Event
from eventhub.mail.models import OutboxMessage, OutboxStatus
from eventhub.organisations.models import Contact, Organisation
from eventhub.orm import Base, TimestampMixin
from eventhub.registrations.models import Registration


class InvitationResponse(StrEnum):
    PENDING = "pending"
    ACCEPTED = "accepted"
    DECLINED = "declined"
    # Accepted, then the registration it made was cancelled (by the invitee or an organiser):
    # no longer coming, free to accept again.
    CANCELLED = "cancelled"


class InvitationState(LabelledEnum):
    """What the organiser's table shows for an invitation (``Invitation.state``): its answer,
    or else how the delivery of its mail went."""

    QUEUED = "queued", _l("Queued")
    SENT = "sent", _l("Sent")
    FAILED = "failed", _l("Failed")
    ACCEPTED = "accepted", _l("Accepted")
    DECLINED = "declined", _l("Declined")
    CANCELLED = "cancelled", _l("Registration cancelled")
    NO_ANSWER = "no_answer", _l("No answer")
    REVOKED = "revoked", _l("Revoked")


NOTE_MAX = 5000  # characters: a few paragraphs above the standard text


class InvitationBatch(TimestampMixin, Base):
    """One "Send" by an organiser: the invitations it queued, for the progress view, and what
    their emails say beyond the standard text (a resend or a reminder says it again)."""

    __tablename__ = "invitation_batch"

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("event.id", ondelete="CASCADE"), index=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    # The organiser's note (Markdown, the minutes' sanitiser), shown above the standard text.
    note: Mapped[str | None] = mapped_column(Text)
    # Who invites, as named in the opening line: organisation names (or the organiser's name),
    # kept as written at sending time. None: sent before the invitation named anyone.
    inviters: Mapped[list[str] | None] = mapped_column(JSON)

    created_by: Mapped[User | None] = relationship()


class Invitation(TimestampMixin, Base):
    """One person invited to one event, with a personal link (token) to answer."""

    __tablename__ = "invitation"
    __table_args__ = (UniqueConstraint("event_id", "email"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("event.id", ondelete="CASCADE"), index=True)
    batch_id: Mapped[int | None] = mapped_column(
        ForeignKey("invitation_batch.id", ondelete="SET NULL"), index=True
    )
    contact_id: Mapped[int | None] = mapped_column(
        ForeignKey("contact.id", ondelete="SET NULL"), index=True
    )
    organisation_id: Mapped[int | None] = mapped_column(
        ForeignKey("organisation.id", ondelete="SET NULL"), index=True
    )
    email: Mapped[str] = mapped_column(String(254))
    name: Mapped[str | None] = mapped_column(String(120))
    language: Mapped[str] = mapped_column(String(2), default="es")
    token_salt: Mapped[str] = mapped_column(String(64))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    response: Mapped[str] = mapped_column(String(20), default=InvitationResponse.PENDING.value)
    responded_at: Mapped[datetime | None]
    decline_reason: Mapped[str | None] = mapped_column(Text)
    reminders_sent: Mapped[int] = mapped_column(default=0)
    last_reminded_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]
    # The latest email about this invitation (the invitation, a resend or a reminder).
    outbox_message_id: Mapped[int | None] = mapped_column(
        ForeignKey("outbox_message.id", ondelete="SET NULL"), index=True
    )
    registration_id: Mapped[int | None] = mapped_column(
        ForeignKey("registration.id", ondelete="SET NULL")
    )

    event: Mapped[Event] = relationship()
    batch: Mapped[InvitationBatch | None] = relationship()
    contact: Mapped[Contact | None] = relationship()
    organisation: Mapped[Organisation | None] = relationship()
    outbox_message: Mapped[OutboxMessage | None] = relationship()
    registration: Mapped[Registration | None] = relationship()

    @property
    def is_revoked(self) -> bool:
        return self.revoked_at is not None

    @property
    def state(self) -> str:
        """What the organiser's table shows: the answer if any, else how delivery went."""
        if self.is_revoked:
            return "revoked"
        if self.response != InvitationResponse.PENDING:
            return self.response
        message = self.outbox_message
        if message is None or message.is_pending:
            return "queued"
        if message.status == OutboxStatus.FAILED:
            return "failed"
        return "no_answer"

    @property
    def state_label(self):
        return InvitationState(self.state).label


class MailOptOut(TimestampMixin, Base):
    """An address that asked for no more invitations (List-Unsubscribe)."""

    __tablename__ = "mail_opt_out"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
