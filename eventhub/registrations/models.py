from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from eventhub.enums import LabelledEnum
from eventhub.events.models import Event
from eventhub.organisations.models import Organisation
from eventhub.orm import Base, TimestampMixin
from eventhub.questions.models import Answer


class RegistrationStatus(LabelledEnum):
    # Events that confirm addresses: until the link in the mail is followed. HELD keeps a
    # place until hold_expires_at; UNCONFIRMED came when the event was full (or moderated)
    # and holds none. Either becomes EXPIRED when the time passes unconfirmed.
    HELD = "held", _l("Place held, address not confirmed")
    UNCONFIRMED = "unconfirmed", _l("Address not confirmed")
    # Waiting for an organiser's approval (moderated events).
    PENDING = "pending", _l("Awaiting approval")
    CONFIRMED = "confirmed", _l("Confirmed")
    # On the waiting list, in order of waitlisted_at.
    WAITING = "waiting", _l("Waiting list")
    REJECTED = "rejected", _l("Not accepted")
    CANCELLED = "cancelled", _l("Cancelled")
    EXPIRED = "expired", _l("Not confirmed in time")


# How participants' lists and exports tell a walk-in from a confirmed registration.
WALK_IN_LABEL = _l("Walk-in (confirmed at the door)")


class Registration(TimestampMixin, Base):
    """A person attending an event; one row per event and email address.

    A walk-in, added at the door by an organiser, may have no address (NULLs never clash in
    the unique constraint) and holds no place: it is counted among those who came, never
    against the capacity the waiting list waits for.
    """

    __tablename__ = "registration"
    __table_args__ = (
        UniqueConstraint("event_id", "email"),
        Index("ix_registration_event_status", "event_id", "status"),
        # Personal feeds and links find a person's registrations by address.
        Index("ix_registration_email", "email"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("event.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(120))
    email: Mapped[str | None] = mapped_column(String(254))
    language: Mapped[str] = mapped_column(String(2), default="es")
    organisation_id: Mapped[int | None] = mapped_column(
        ForeignKey("organisation.id", ondelete="SET NULL"), index=True
    )
    organisation_name: Mapped[str | None] = mapped_column(String(200))
    job_title: Mapped[str | None] = mapped_column(String(160))
    needs: Mapped[str | None] = mapped_column(Text)  # accessibility or dietary needs
    listed: Mapped[bool] = mapped_column(default=False)  # consents to the participant list
    status: Mapped[str] = mapped_column(String(20), default=RegistrationStatus.CONFIRMED.value)
    confirmed_at: Mapped[datetime | None]
    waitlisted_at: Mapped[datetime | None]
    cancelled_at: Mapped[datetime | None]
    hold_expires_at: Mapped[datetime | None]  # HELD and UNCONFIRMED only
    rejection_reason: Mapped[str | None] = mapped_column(Text)
    token_salt: Mapped[str | None] = mapped_column(String(64))
    token_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    # The QR code at the door carries a second token, for organisers only.
    checkin_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    checked_in_at: Mapped[datetime | None]
    # When the person agreed to answer the event's sensitive questions (None: they did not).
    sensitive_consent_at: Mapped[datetime | None]
    walk_in: Mapped[bool] = mapped_column(default=False, server_default=false())

    event: Mapped[Event] = relationship()
    organisation: Mapped[Organisation | None] = relationship()
    answers: Mapped[list[Answer]] = relationship(
        cascade="all, delete-orphan", passive_deletes=True, viewonly=False
    )

    @property
    def status_label(self):
        if self.walk_in and self.status == RegistrationStatus.CONFIRMED:
            return WALK_IN_LABEL
        return RegistrationStatus(self.status).label

    @property
    def display_organisation(self) -> str | None:
        return self.organisation.name if self.organisation else self.organisation_name
