from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import JSON, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from eventhub.auth.models import User
from eventhub.enums import LabelledEnum
from eventhub.events.models import Event
from eventhub.mail.models import OutboxMessage
from eventhub.orm import Base, utcnow


class Audience(LabelledEnum):
    """Whom an organiser's message can reach; a message picks any combination."""

    CONFIRMED = "confirmed", _l("Confirmed registrants")
    WAITING = "waiting", _l("On the waiting list")
    AWAITING_APPROVAL = "awaiting_approval", _l("Awaiting approval")
    CHECKED_IN = "checked_in", _l("Checked in at the door")
    ABSENT = "absent", _l("Registered but absent (after the event)")
    NOT_ANSWERED = "not_answered", _l("Invitees who have not answered")
    DECLINED = "declined", _l("Invitees who declined")
    CONTACTS = "contacts", _l("Contacts of the participating organisations")


class OrganiserMessage(Base):
    """One message an organiser wrote to the people of an event: what, to whom, by whom."""

    __tablename__ = "organiser_message"

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("event.id", ondelete="CASCADE"), index=True)
    subject: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    # Audience values, the participation roles of the contacts and the organisations the
    # audience was narrowed to (empty: all), as chosen on the form.
    audiences: Mapped[list] = mapped_column(JSON, default=list)
    contact_roles: Mapped[list] = mapped_column(JSON, default=list)
    organisation_ids: Mapped[list] = mapped_column(JSON, default=list)
    recipient_count: Mapped[int] = mapped_column(default=0)
    sent_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    event: Mapped[Event] = relationship()
    sent_by: Mapped[User | None] = relationship()

    @property
    def audience_labels(self) -> list[str]:
        return [str(a.label) for a in Audience if a.value in self.audiences]


class MessageRecipient(Base):
    """One person a message went to, and the outbox row that carries it to them (the latest,
    after a resend): delivery is counted through it."""

    __tablename__ = "message_recipient"

    id: Mapped[int] = mapped_column(primary_key=True)
    message_id: Mapped[int] = mapped_column(
        ForeignKey("organiser_message.id", ondelete="CASCADE"), index=True
    )
    email: Mapped[str] = mapped_column(String(254))
    audience: Mapped[str] = mapped_column(String(20))
    outbox_message_id: Mapped[int | None] = mapped_column(
        ForeignKey("outbox_message.id", ondelete="SET NULL"), index=True
    )

    outbox_message: Mapped[OutboxMessage | None] = relationship()
