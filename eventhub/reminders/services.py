"""An event's reminder schedule: reading it, changing it, and what it sent.

Events without a written schedule follow the default one; the first change writes the
defaults down first, so the organiser edits what they saw. Removing a reminder keeps its row
(``removed_at``): what it sent stays on the pages.
"""

from dataclasses import dataclass
from datetime import datetime, time

from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy import delete, func, select, update

from eventhub.errors import ConflictError, DomainError, NotFoundError
from eventhub.events.models import Event
from eventhub.extensions import db
from eventhub.mail.models import OutboxMessage, OutboxStatus
from eventhub.orm import utcnow
from eventhub.reminders.models import (
    DEFAULT_SCHEDULE,
    MAX_REMINDERS,
    DeliveryStatus,
    Reminder,
    ReminderDelivery,
    ReminderSchedule,
    due_at,
)


@dataclass(frozen=True)
class Timing:
    """When a reminder goes out: days before the event, at a local time (None: the time the
    event starts)."""

    days_before: int
    local_time: time | None


@dataclass(frozen=True)
class ScheduleLine:
    timing: Timing
    due_at: datetime
    before_start: bool  # a reminder at or after the start is never sent


def describe(days_before: int, local_time: time | None) -> str:
    """'2 days before, at the time the event starts', in the reader's language."""
    if local_time is None:
        if days_before == 0:
            return _("On the day, at the time the event starts")
        return ngettext(
            "%(num)d day before, at the time the event starts",
            "%(num)d days before, at the time the event starts",
            days_before,
        )
    at = local_time.strftime("%H:%M")
    if days_before == 0:
        return _("On the day of the event, at %(time)s", time=at)
    return ngettext(
        "%(num)d day before, at %(time)s", "%(num)d days before, at %(time)s", days_before, time=at
    )


def record(timing: Timing) -> str:
    """The audit log's plain English record of a timing."""
    at = timing.local_time.strftime("%H:%M") if timing.local_time else "the start time"
    return f"{timing.days_before} days before, at {at}"


def _active(event_id: int):
    return Reminder.event_id == event_id, Reminder.removed_at.is_(None)


def has_schedule(event_id: int) -> bool:
    return db.session.get(ReminderSchedule, event_id) is not None


def timings(event: Event) -> list[Timing]:
    if not has_schedule(event.id):
        return [Timing(days, at) for days, at in DEFAULT_SCHEDULE]
    rows = db.session.execute(
        select(Reminder.days_before, Reminder.local_time).where(*_active(event.id))
    )
    return [Timing(days, at) for days, at in rows]


def schedule(event: Event) -> list[ScheduleLine]:
    """The schedule in the order it goes out."""
    lines = []
    for timing in timings(event):
        instant = due_at(event, timing.days_before, timing.local_time)
        lines.append(ScheduleLine(timing, instant, instant < event.starts_at))
    return sorted(lines, key=lambda line: line.due_at)


def write_default_schedule(event_id: int) -> None:
    """The default reminders as rows, with the mark that the event has a schedule. A second
    writer at the same time fails on the mark's primary key."""
    db.session.add(ReminderSchedule(event_id=event_id))
    db.session.flush()
    db.session.add_all(
        Reminder(event_id=event_id, days_before=days, local_time=at)
        for days, at in DEFAULT_SCHEDULE
    )
    db.session.flush()


def _written(event: Event) -> list[Reminder]:
    if not has_schedule(event.id):
        write_default_schedule(event.id)
    return list(db.session.scalars(select(Reminder).where(*_active(event.id))))


def add_reminder(event: Event, timing: Timing) -> Reminder:
    reminders = _written(event)
    if any(r.same_timing(timing.days_before, timing.local_time) for r in reminders):
        raise ConflictError(_("This reminder is already in the schedule."), field="days_before")
    if len(reminders) >= MAX_REMINDERS:
        raise DomainError(
            _("An event has at most %(num)d reminders.", num=MAX_REMINDERS), field="days_before"
        )
    instant = due_at(event, timing.days_before, timing.local_time)
    if instant >= event.starts_at:
        raise DomainError(
            _("This reminder would go out after the event starts."), field="local_time"
        )
    if instant <= utcnow():
        raise DomainError(_("The time of this reminder has already passed."), field="days_before")
    reminder = Reminder(
        event_id=event.id, days_before=timing.days_before, local_time=timing.local_time
    )
    db.session.add(reminder)
    db.session.flush()
    return reminder


def remove_reminder(event: Event, timing: Timing) -> Reminder:
    for reminder in _written(event):
        if reminder.same_timing(timing.days_before, timing.local_time):
            reminder.removed_at = utcnow()
            db.session.flush()
            return reminder
    raise NotFoundError(_("This reminder is not in the schedule."))


# --- what was sent --------------------------------------------------------------------------


@dataclass(frozen=True)
class SentReminder:
    """One reminder that went out (or was skipped): to how many, and when."""

    days_before: int
    local_time: time | None
    removed: bool
    queued: int
    skipped: int
    first_at: datetime
    last_at: datetime


def sent_reminders(event_id: int) -> list[SentReminder]:
    """Every reminder of the event that sent or skipped anything, oldest first: one query."""
    queued = func.count().filter(ReminderDelivery.status != DeliveryStatus.SKIPPED_LATE.value)
    skipped = func.count().filter(ReminderDelivery.status == DeliveryStatus.SKIPPED_LATE.value)
    rows = db.session.execute(
        select(
            Reminder.days_before,
            Reminder.local_time,
            Reminder.removed_at,
            queued,
            skipped,
            func.min(ReminderDelivery.created_at),
            func.max(ReminderDelivery.created_at),
        )
        .join(ReminderDelivery, ReminderDelivery.reminder_id == Reminder.id)
        .where(Reminder.event_id == event_id)
        .group_by(Reminder.id, Reminder.days_before, Reminder.local_time, Reminder.removed_at)
        .order_by(func.min(ReminderDelivery.created_at))
    )
    return [
        SentReminder(days, at, removed is not None, sent, skip, first, last)
        for days, at, removed, sent, skip, first, last in rows
    ]


# --- the event moved or was cancelled --------------------------------------------------------


def withdraw_unsent(event: Event) -> set[int]:
    """Reminders queued but not yet taken by the outbox worker carry what is no longer true:
    take them back. A message a worker already claimed goes out. The ids of the reminders
    whose messages were taken back."""
    deliveries = (
        select(ReminderDelivery.outbox_message_id)
        .join(Reminder, Reminder.id == ReminderDelivery.reminder_id)
        .where(
            Reminder.event_id == event.id,
            ReminderDelivery.status == DeliveryStatus.QUEUED.value,
            ReminderDelivery.outbox_message_id.is_not(None),
        )
    )
    # Locked, so a worker's claim (SKIP LOCKED) passes them by; one it claimed first is
    # no longer queued once the lock is ours, and goes out.
    withdrawn = list(
        db.session.scalars(
            select(OutboxMessage.id)
            .where(
                OutboxMessage.id.in_(deliveries),
                OutboxMessage.status == OutboxStatus.QUEUED.value,
            )
            .with_for_update()
        )
    )
    if not withdrawn:
        return set()
    reminder_ids = set(
        db.session.scalars(
            select(ReminderDelivery.reminder_id)
            .where(ReminderDelivery.outbox_message_id.in_(withdrawn))
            .distinct()
        )
    )
    db.session.execute(
        update(ReminderDelivery)
        .where(ReminderDelivery.outbox_message_id.in_(withdrawn))
        .values(status=DeliveryStatus.WITHDRAWN.value, outbox_message_id=None),
        execution_options={"synchronize_session": False},
    )
    db.session.execute(
        delete(OutboxMessage).where(OutboxMessage.id.in_(withdrawn)),
        execution_options={"synchronize_session": False},
    )
    return reminder_ids


def rearm_after_move(event: Event) -> None:
    """The event moved: a reminder that already went out and now falls in the future goes
    out again at its new time, and so does one taken back before delivery (at once, if its
    new time has passed). Its row is kept for what it sent and a fresh one takes its place
    (the once-per-person key is the reminder's)."""
    withdrawn = withdraw_unsent(event)
    if not has_schedule(event.id):
        return
    now = utcnow()
    used = select(ReminderDelivery.reminder_id).distinct()
    for reminder in db.session.scalars(
        select(Reminder).where(*_active(event.id), Reminder.id.in_(used))
    ):
        if reminder.id in withdrawn or reminder.due_at(event) > now:
            reminder.removed_at = now
            db.session.add(
                Reminder(
                    event_id=event.id,
                    days_before=reminder.days_before,
                    local_time=reminder.local_time,
                )
            )
    db.session.flush()


def copy_schedule(source: Event, copy: Event) -> int:
    """The written schedule of ``source`` on the new event ``copy`` (nothing when ``source``
    follows the default one, which ``copy`` then follows too); how many reminders."""
    if not has_schedule(source.id):
        return 0
    db.session.add(ReminderSchedule(event_id=copy.id))
    db.session.flush()
    rows = db.session.execute(
        select(Reminder.days_before, Reminder.local_time)
        .where(*_active(source.id))
        .order_by(Reminder.id)
    ).all()
    db.session.add_all(
        Reminder(event_id=copy.id, days_before=days, local_time=at) for days, at in rows
    )
    db.session.flush()
    return len(rows)
