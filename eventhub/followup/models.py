"""After the table: minutes, materials and the commitments each organisation took on."""

from datetime import date, datetime
from enum import StrEnum

from flask_babel import lazy_gettext as _l
from sqlalchemy import ForeignKey, Index, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from eventhub.agenda.models import AgendaItem
from eventhub.auth.models import User
from eventhub.enums import LabelledEnum
from eventhub.events.models import Event
from eventhub.organisations.models import Contact, Organisation
from eventhub.orm import Base, TimestampMixin, utcnow


class Visibility(LabelledEnum):
    PRIVATE = "private", _l("Organisers only")
    # Also registrants and invitees, through their personal link.
    PARTICIPANTS = "participants", _l("Participants (through their personal link)")
    # Also on the event page, for anyone who can see the event.
    PUBLIC = "public", _l("Public (on the event page)")

    def allows(self, audience: "Visibility") -> bool:
        """Whether someone with ``audience`` access may read a thing of this visibility."""
        return VISIBILITY_RANK[audience] >= VISIBILITY_RANK[self]


VISIBILITY_RANK = {Visibility.PUBLIC: 0, Visibility.PARTICIPANTS: 1, Visibility.PRIVATE: 2}


class Minutes(TimestampMixin, Base):
    """The record of what was said and agreed; Markdown, one per event."""

    __tablename__ = "minutes"

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("event.id", ondelete="CASCADE"), unique=True)
    body: Mapped[str] = mapped_column(Text, default="")
    visibility: Mapped[str] = mapped_column(String(20), default=Visibility.PRIVATE.value)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))

    event: Mapped[Event] = relationship()
    updated_by: Mapped[User | None] = relationship()

    @property
    def visibility_label(self):
        return Visibility(self.visibility).label


class Material(TimestampMixin, Base):
    """A file handed out at or after the event: slides, an agreement, photos."""

    __tablename__ = "material"

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("event.id", ondelete="CASCADE"), index=True)
    agenda_item_id: Mapped[int | None] = mapped_column(
        ForeignKey("agenda_item.id", ondelete="SET NULL"), index=True
    )
    title: Mapped[str] = mapped_column(String(200))
    filename: Mapped[str] = mapped_column(String(160))
    content_type: Mapped[str] = mapped_column(String(120))
    size: Mapped[int]
    # Where the storage keeps the bytes: random, never derived from the uploaded name.
    storage_key: Mapped[str] = mapped_column(String(64), unique=True)
    # Which storage holds them ("local" folder or "database" chunks): read from the one that
    # wrote them, so changing EVENTHUB_FILE_STORAGE never strands the files already stored.
    storage: Mapped[str] = mapped_column(String(20), default="local", server_default="local")
    visibility: Mapped[str] = mapped_column(String(20), default=Visibility.PARTICIPANTS.value)
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))

    event: Mapped[Event] = relationship()
    agenda_item: Mapped[AgendaItem | None] = relationship()
    uploaded_by: Mapped[User | None] = relationship()

    @property
    def visibility_label(self):
        return Visibility(self.visibility).label


class MaterialChunk(Base):
    """A piece of a material's bytes, when files are kept in the database.

    Pieces of a few hundred kilobytes are written and read one at a time, so a large file is
    never held whole in memory; the rows go away with their material (and its event).
    """

    __tablename__ = "material_chunk"

    material_id: Mapped[int] = mapped_column(
        ForeignKey("material.id", ondelete="CASCADE"), primary_key=True
    )
    seq: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    data: Mapped[bytes] = mapped_column(LargeBinary)


class CommitmentStatus(LabelledEnum):
    OPEN = "open", _l("Open")
    IN_PROGRESS = "in_progress", _l("In progress")
    DONE = "done", _l("Completed")
    DROPPED = "dropped", _l("Dropped")


ACTIVE_COMMITMENT = (CommitmentStatus.OPEN.value, CommitmentStatus.IN_PROGRESS.value)


class Commitment(TimestampMixin, Base):
    """An action agreed at the table: who does what, by when."""

    __tablename__ = "commitment"
    __table_args__ = (Index("ix_commitment_status_due", "status", "due_on"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("event.id", ondelete="CASCADE"), index=True)
    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("organisation.id", ondelete="CASCADE"), index=True
    )
    contact_id: Mapped[int | None] = mapped_column(
        ForeignKey("contact.id", ondelete="SET NULL"), index=True
    )
    description: Mapped[str] = mapped_column(Text)
    due_on: Mapped[date | None]
    status: Mapped[str] = mapped_column(String(20), default=CommitmentStatus.OPEN.value)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))

    event: Mapped[Event] = relationship()
    organisation: Mapped[Organisation] = relationship()
    contact: Mapped[Contact | None] = relationship()
    updates: Mapped[list["CommitmentUpdate"]] = relationship(
        back_populates="commitment",
        order_by="CommitmentUpdate.id",
        cascade="all, delete-orphan",
        passive_deletes=True,
    )

    @property
    def status_label(self):
        return CommitmentStatus(self.status).label

    @property
    def is_active(self) -> bool:
        return self.status in ACTIVE_COMMITMENT

    def is_overdue(self, today: date) -> bool:
        return self.is_active and self.due_on is not None and self.due_on < today


class CommitmentUpdate(Base):
    """A dated status change with its note, by an organiser or by the owner's contact."""

    __tablename__ = "commitment_update"

    id: Mapped[int] = mapped_column(primary_key=True)
    commitment_id: Mapped[int] = mapped_column(
        ForeignKey("commitment.id", ondelete="CASCADE"), index=True
    )
    status: Mapped[str] = mapped_column(String(20))
    note: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    by_user_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    by_contact_id: Mapped[int | None] = mapped_column(ForeignKey("contact.id", ondelete="SET NULL"))

    commitment: Mapped[Commitment] = relationship(back_populates="updates")
    by_user: Mapped[User | None] = relationship()
    by_contact: Mapped[Contact | None] = relationship()

    @property
    def status_label(self):
        return CommitmentStatus(self.status).label

    @property
    def author(self) -> str | None:
        if self.by_user is not None:
            return self.by_user.name
        return self.by_contact.name if self.by_contact is not None else None


class ReminderKind(StrEnum):
    DUE_SOON = "due_soon"
    OVERDUE = "overdue"


class CommitmentReminder(Base):
    """One row per reminder sent; the unique key is what makes `reminders send` idempotent."""

    __tablename__ = "commitment_reminder"
    __table_args__ = (UniqueConstraint("commitment_id", "due_on", "kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    commitment_id: Mapped[int] = mapped_column(
        ForeignKey("commitment.id", ondelete="CASCADE"), index=True
    )
    # A new due date earns a new reminder; the same date never a second one.
    due_on: Mapped[date]
    kind: Mapped[str] = mapped_column(String(20))
    to_address: Mapped[str] = mapped_column(String(254))
    sent_at: Mapped[datetime] = mapped_column(default=utcnow)
    outbox_message_id: Mapped[int | None] = mapped_column(
        ForeignKey("outbox_message.id", ondelete="SET NULL")
    )


class CommitmentLink(TimestampMixin, Base):
    """A contact's personal link to their organisation's commitments (no account needed)."""

    __tablename__ = "commitment_link"

    id: Mapped[int] = mapped_column(primary_key=True)
    contact_id: Mapped[int] = mapped_column(
        ForeignKey("contact.id", ondelete="CASCADE"), unique=True
    )
    token_salt: Mapped[str] = mapped_column(String(64))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    revoked_at: Mapped[datetime | None]

    contact: Mapped[Contact] = relationship()


class FollowupMailing(Base):
    """A follow-up sent after the event: when, by whom, to how many."""

    __tablename__ = "followup_mailing"

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("event.id", ondelete="CASCADE"), index=True)
    summary: Mapped[str | None] = mapped_column(Text)
    include_absent: Mapped[bool] = mapped_column(default=False)
    recipients: Mapped[int] = mapped_column(default=0)
    sent_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    sent_by: Mapped[User | None] = relationship()
