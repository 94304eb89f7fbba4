from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import CheckConstraint, ForeignKey, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from eventhub.auth.models import User
from eventhub.enums import LabelledEnum
from eventhub.organisations.models import Organisation
from eventhub.orm import Base, TimestampMixin, new_uid, utcnow


class EventKind(LabelledEnum):
    ROUND_TABLE = "round_table", _l("Round table")
    BREAKFAST = "breakfast", _l("Breakfast")
    CONFERENCE = "conference", _l("Conference")
    VISIT = "visit", _l("Visit")
    SIGNING = "signing", _l("Signing")
    WORKSHOP = "workshop", _l("Workshop")
    OTHER = "other", _l("Other")


class EventStatus(LabelledEnum):
    DRAFT = "draft", _l("Draft")
    PUBLISHED = "published", _l("Published")
    CANCELLED = "cancelled", _l("Cancelled")


class RegistrationMode(LabelledEnum):
    INVITE_ONLY = "invite_only", _l("Invitation only")
    OPEN = "open", _l("Open registration")


class ParticipationRole(LabelledEnum):
    HOST = "host", _l("Host")
    CO_ORGANISER = "co_organiser", _l("Co-organiser")
    INVITED = "invited", _l("Invited")
    PARTICIPANT = "participant", _l("Participant")


class Programme(TimestampMixin, Base):
    """A series of events, such as the Migrants and Cities Programme."""

    __tablename__ = "programme"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    description: Mapped[str | None] = mapped_column(Text)

    def __repr__(self) -> str:
        return f"<Programme {self.id} {self.name!r}>"


CANCELLATION_REASON_MAX = 1000  # characters: a few sentences, not a letter


class Event(TimestampMixin, Base):
    __tablename__ = "event"
    __table_args__ = (
        CheckConstraint("ends_at > starts_at", name="ends_after_start"),
        CheckConstraint("capacity IS NULL OR capacity > 0", name="capacity_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200), index=True)
    kind: Mapped[str] = mapped_column(String(20), index=True)
    summary: Mapped[str | None] = mapped_column(String(500))
    description: Mapped[str | None] = mapped_column(Text)
    starts_at: Mapped[datetime] = mapped_column(index=True)
    ends_at: Mapped[datetime]
    timezone: Mapped[str] = mapped_column(String(64), default="America/Santiago")
    venue_name: Mapped[str | None] = mapped_column(String(200))
    venue_address: Mapped[str | None] = mapped_column(String(300))
    host_organisation_id: Mapped[int | None] = mapped_column(
        ForeignKey("organisation.id", ondelete="SET NULL"), index=True
    )
    programme_id: Mapped[int | None] = mapped_column(
        ForeignKey("programme.id", ondelete="SET NULL"), index=True
    )
    capacity: Mapped[int | None]
    registration_mode: Mapped[str] = mapped_column(
        String(20), default=RegistrationMode.INVITE_ONLY.value
    )
    registration_deadline: Mapped[datetime | None]
    # The organiser closed registration by hand (it also closes at the deadline and start).
    registration_closed: Mapped[bool] = mapped_column(default=False)
    # Public registrations wait for an organiser's approval.
    requires_approval: Mapped[bool] = mapped_column(default=False)
    # Public registrations only hold a place until the address is confirmed through the
    # link mailed to it (registrations/services.py): made-up addresses cannot fill the event.
    confirm_email: Mapped[bool] = mapped_column(default=False)
    status: Mapped[str] = mapped_column(String(20), default=EventStatus.DRAFT.value, index=True)
    # Listed in the public events list and calendar feed once published.
    is_public: Mapped[bool] = mapped_column(default=True)
    published_at: Mapped[datetime | None]
    cancelled_at: Mapped[datetime | None]
    cancellation_reason: Mapped[str | None] = mapped_column(Text)  # told to everyone concerned
    created_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("user.id", ondelete="SET NULL"), index=True
    )
    # Calendar identity: the UID never changes; SEQUENCE counts changes attendees care about;
    # content_changed_at is the last change to anything a calendar shows (DTSTAMP).
    uid: Mapped[str] = mapped_column(String(80), unique=True, default=new_uid)
    sequence: Mapped[int] = mapped_column(default=0)
    content_changed_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)

    host_organisation: Mapped[Organisation | None] = relationship()
    programme: Mapped[Programme | None] = relationship()
    created_by: Mapped[User | None] = relationship()
    participations: Mapped[list["EventOrganisation"]] = relationship(
        back_populates="event", cascade="all, delete-orphan"
    )
    managers: Mapped[list["EventManager"]] = relationship(
        back_populates="event", cascade="all, delete-orphan"
    )
    # The agenda sits a layer above: SQLAlchemy resolves the name, nothing here imports it.
    agenda_items: Mapped[list["AgendaItem"]] = relationship(  # type: ignore[name-defined]  # noqa: F821
        back_populates="event",
        cascade="all, delete-orphan",
        order_by="(AgendaItem.starts_at, AgendaItem.ends_at, AgendaItem.id)",
    )
    # Its one image (events/images.py); lists load it in their own query (its bytes deferred).
    image: Mapped["EventImage | None"] = relationship(
        back_populates="event", cascade="all, delete-orphan", passive_deletes=True
    )

    @property
    def kind_label(self):
        return EventKind(self.kind).label

    @property
    def status_label(self):
        return EventStatus(self.status).label

    @property
    def registration_mode_label(self):
        return RegistrationMode(self.registration_mode).label

    @property
    def is_cancelled(self) -> bool:
        return self.status == EventStatus.CANCELLED

    @property
    def is_visible_to_public(self) -> bool:
        """Anyone may read the page once it was published, including after a cancellation."""
        return self.published_at is not None and self.status != EventStatus.DRAFT

    def __repr__(self) -> str:
        return f"<Event {self.id} {self.title!r}>"


class EventOrganisation(Base):
    """An organisation taking part in an event, and in which role."""

    __tablename__ = "event_organisation"
    __table_args__ = (UniqueConstraint("event_id", "organisation_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("event.id", ondelete="CASCADE"), index=True)
    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("organisation.id", ondelete="CASCADE"), index=True
    )
    role: Mapped[str] = mapped_column(String(20))

    event: Mapped[Event] = relationship(back_populates="participations")
    organisation: Mapped[Organisation] = relationship()

    @property
    def role_label(self):
        return ParticipationRole(self.role).label


class EventManager(Base):
    """An organiser account added as co-organiser: it manages the event like its creator."""

    __tablename__ = "event_manager"
    __table_args__ = (UniqueConstraint("event_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("event.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    added_at: Mapped[datetime] = mapped_column(default=utcnow)

    event: Mapped[Event] = relationship(back_populates="managers")
    user: Mapped[User] = relationship()


class EventImage(Base):
    """The event's one image: a header on its page, a thumbnail in the list, a header in the
    invitation email. The bytes live in the row, so every machine serves them and the outbox
    worker can read them; ``data`` is deferred, so loading the row for a page reads only the
    few columns the page needs."""

    __tablename__ = "event_image"

    event_id: Mapped[int] = mapped_column(
        ForeignKey("event.id", ondelete="CASCADE"), primary_key=True
    )
    content_type: Mapped[str] = mapped_column(String(50))
    size: Mapped[int]
    # SHA-256 of the bytes, in hex: the image's address changes with its content, so it can
    # be cached for ever.
    digest: Mapped[str] = mapped_column(String(64))
    alt_text: Mapped[str | None] = mapped_column(String(300))
    data: Mapped[bytes] = mapped_column(LargeBinary, deferred=True)
    uploaded_at: Mapped[datetime] = mapped_column(default=utcnow)
    uploaded_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("user.id", ondelete="SET NULL"), index=True
    )

    event: Mapped[Event] = relationship(back_populates="image")
    uploaded_by: Mapped[User | None] = relationship()

    @property
    def alt(self) -> str:
        """What a screen reader says: the organiser's description, else the event's title."""
        return self.alt_text or self.event.title

    def __repr__(self) -> str:
        return f"<EventImage {self.event_id} {self.content_type} {self.size}>"
