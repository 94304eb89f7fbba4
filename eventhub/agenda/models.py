from datetime import datetime
from enum import StrEnum

from flask_babel import lazy_gettext as _l
from sqlalchemy import CheckConstraint, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from eventhub.db import Base, TimestampMixin, new_uid
from eventhub.events.models import Event
from eventhub.people.models import Speaker


class AgendaItemKind(StrEnum):
    OPENING = "opening"
    TALK = "talk"
    PANEL = "panel"
    DISCUSSION = "discussion"
    BREAK = "break"
    SIGNING = "signing"
    CLOSING = "closing"
    OTHER = "other"


AGENDA_ITEM_KIND_LABELS = {
    AgendaItemKind.OPENING: _l("Opening"),
    AgendaItemKind.TALK: _l("Talk"),
    AgendaItemKind.PANEL: _l("Panel"),
    AgendaItemKind.DISCUSSION: _l("Round-table discussion"),
    AgendaItemKind.BREAK: _l("Break"),
    AgendaItemKind.SIGNING: _l("Signing"),
    AgendaItemKind.CLOSING: _l("Closing"),
    AgendaItemKind.OTHER: _l("Other"),
}


class SpeakerRole(StrEnum):
    SPEAKER = "speaker"
    MODERATOR = "moderator"
    PANELLIST = "panellist"
    HOST = "host"


SPEAKER_ROLE_LABELS = {
    SpeakerRole.SPEAKER: _l("Speaker"),
    SpeakerRole.MODERATOR: _l("Moderator"),
    SpeakerRole.PANELLIST: _l("Panellist"),
    SpeakerRole.HOST: _l("Host"),
}


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
        return AGENDA_ITEM_KIND_LABELS.get(AgendaItemKind(self.kind), self.kind)

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
        return SPEAKER_ROLE_LABELS.get(SpeakerRole(self.role), self.role)
