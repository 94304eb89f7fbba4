from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import CheckConstraint, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from eventhub.enums import LabelledEnum
from eventhub.events.models import Event
from eventhub.orm import Base, TimestampMixin, new_uid
from eventhub.people.models import Speaker


class AgendaItemKind(LabelledEnum):
    OPENING = "opening", _l("Opening")
    TALK = "talk", _l("Talk")
    PANEL = "panel", _l("Panel")
    DISCUSSION = "discussion", _l("Round-table discussion")
    BREAK = "break", _l("Break")
    SIGNING = "signing", _l("Signing")
    CLOSING = "closing", _l("Closing")
    OTHER = "other", _l("Other")


class SpeakerRole(LabelledEnum):
    SPEAKER = "speaker", _l("Speaker")
    MODERATOR = "moderator", _l("Moderator")
    PANELLIST = "panellist", _l("Panellist")
    HOST = "host", _l("Host")


class AgendaItem(TimestampMixin, Base):
    """One slot of an event's timetable."""

    __tablename__ = "agenda_item"
    __table_args__ = (CheckConstraint("ends_at > starts_at", name="ends_after_start"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("event.id", ondelete="CASCADE"), index=True)
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime]
    title: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(20), default=AgendaItemKind.TALK.value)
    description: Mapped[str | None] = mapped_column(Text)
    location: Mapped[str | None] = mapped_column(String(200))
    uid: Mapped[str] = mapped_column(String(80), unique=True, default=new_uid)
    sequence: Mapped[int] = mapped_column(default=0)

    event: Mapped[Event] = relationship(back_populates="agenda_items")
    speakers: Mapped[list["AgendaItemSpeaker"]] = relationship(
        back_populates="item",
        cascade="all, delete-orphan",
        order_by="AgendaItemSpeaker.position",
    )

    @property
    def kind_label(self):
        return AgendaItemKind(self.kind).label

    def overlaps(self, starts_at: datetime, ends_at: datetime) -> bool:
        return self.starts_at < ends_at and starts_at < self.ends_at

    def __repr__(self) -> str:
        return f"<AgendaItem {self.id} {self.title!r}>"


class AgendaItemSpeaker(Base):
    """A speaker on an agenda item, in a role; a speaker appears once per item."""

    __tablename__ = "agenda_item_speaker"
    __table_args__ = (UniqueConstraint("item_id", "speaker_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(
        ForeignKey("agenda_item.id", ondelete="CASCADE"), index=True
    )
    # RESTRICT: deleting a speaker who is on an agenda is a decision, taken in the service.
    speaker_id: Mapped[int] = mapped_column(
        ForeignKey("speaker.id", ondelete="RESTRICT"), index=True
    )
    role: Mapped[str] = mapped_column(String(20), default=SpeakerRole.SPEAKER.value)
    position: Mapped[int] = mapped_column(default=0)

    item: Mapped[AgendaItem] = relationship(back_populates="speakers")
    speaker: Mapped[Speaker] = relationship()

    @property
    def role_label(self):
        return SpeakerRole(self.role).label
