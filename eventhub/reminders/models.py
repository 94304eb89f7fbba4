"""An event's reminder schedule and what each reminder did for each registrant.

A reminder is "N days before, at a time of day" in the event's zone: either the time the
event starts (None) or a fixed local time. Its instant is worked out from the wall-clock time
in the event's zone, so "two days before a 10:00 start" is 10:00 two days before on the
clock, whatever the change of offset in between (DST).

``ReminderSchedule`` marks an event whose schedule was written down: without one, the default
schedule applies; with one, exactly its reminders do (an organiser may remove them all).
``ReminderDelivery`` is the once-per-person guarantee: its unique key (reminder, registration)
is claimed before the message is queued, so two runs at once send one.
"""

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from flask_babel import lazy_gettext as _l
from sqlalchemy import ForeignKey, String, Time, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from eventhub.enums import LabelledEnum
from eventhub.events.models import Event
from eventhub.orm import Base, TimestampMixin, utcnow

# The default schedule (Indico's default too): two days before, at the hour the event starts,
# so the reminder arrives when people are in the same routine as on the day; and the morning
# of the event, before people leave home.
MORNING = time(8, 0)
DEFAULT_SCHEDULE: tuple[tuple[int, time | None], ...] = ((2, None), (0, MORNING))
MAX_DAYS_BEFORE = 60
MAX_REMINDERS = 10


class ReminderSchedule(Base):
    __tablename__ = "reminder_schedule"

    event_id: Mapped[int] = mapped_column(
        ForeignKey("event.id", ondelete="CASCADE"), primary_key=True
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


def wall_clock_instant(day: date, at: time, zone_name: str) -> datetime:
    """The UTC instant the clocks of ``zone_name`` show ``at`` on ``day``. A time they show
    twice (autumn) is the first of the two; a time they skip (the spring gap) is read with the
    offset before the change, so it lands as far past the gap as it was into it (fold=0)."""
    return datetime.combine(day, at, tzinfo=ZoneInfo(zone_name)).astimezone(UTC)


class Reminder(TimestampMixin, Base):
    __tablename__ = "reminder"

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("event.id", ondelete="CASCADE"), index=True)
    days_before: Mapped[int]
    # None: the time of day the event starts.
    local_time: Mapped[time | None] = mapped_column(Time)
    # Removed from the schedule (or replaced after the event moved): kept for what it sent.
    removed_at: Mapped[datetime | None]

    event: Mapped[Event] = relationship()

    def due_at(self, event: Event) -> datetime:
        return due_at(event, self.days_before, self.local_time)

    def same_timing(self, days_before: int, local_time: time | None) -> bool:
        return self.days_before == days_before and self.local_time == local_time


def due_at(event: Event, days_before: int, local_time: time | None) -> datetime:
    start = event.starts_at.astimezone(ZoneInfo(event.timezone))
    day = start.date() - timedelta(days=days_before)
    at = local_time if local_time is not None else start.time().replace(tzinfo=None)
    return wall_clock_instant(day, at, event.timezone)


class DeliveryStatus(LabelledEnum):
    QUEUED = "queued", _l("Queued")
    # More than the grace period late: recorded, never sent.
    SKIPPED_LATE = "skipped_late", _l("Skipped: too late")
    # Queued, then the event moved or was cancelled before the outbox sent it.
    WITHDRAWN = "withdrawn", _l("Withdrawn")


class ReminderDelivery(Base):
    __tablename__ = "reminder_delivery"
    __table_args__ = (UniqueConstraint("reminder_id", "registration_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    # The unique key's first column indexes it.
    reminder_id: Mapped[int] = mapped_column(ForeignKey("reminder.id", ondelete="CASCADE"))
    registration_id: Mapped[int] = mapped_column(
        ForeignKey("registration.id", ondelete="CASCADE"), index=True
    )
    status: Mapped[str] = mapped_column(String(20))
    outbox_message_id: Mapped[int | None] = mapped_column(
        ForeignKey("outbox_message.id", ondelete="SET NULL"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
