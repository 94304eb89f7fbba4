"""``flask reminders send`` for events: queue the reminders that are due; safe from cron at any
rate and from several machines at once.

Each reminder claims its registrants with one ``INSERT … SELECT … ON CONFLICT DO NOTHING``
on the (reminder, registration) key: the rows a run inserted are the people it writes to, so
two runs at the same moment never write to the same person twice. Writes start a transaction
of their own (SQLite upgrades no read snapshot to a write).

Who gets a reminder: confirmed registrants of a published event that has not started, who
registered before the reminder's time. More than REMINDER_GRACE_HOURS late (cron was down),
a reminder is recorded as skipped for them instead.
"""

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import literal, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError

from eventhub.events.models import Event, EventStatus
from eventhub.extensions import db
from eventhub.mail import services as outbox
from eventhub.orm import utcnow
from eventhub.registrations.models import Registration, RegistrationStatus
from eventhub.reminders.mail import ReminderContent, build
from eventhub.reminders.models import (
    DEFAULT_SCHEDULE,
    MAX_DAYS_BEFORE,
    DeliveryStatus,
    Reminder,
    ReminderDelivery,
    ReminderSchedule,
    due_at,
)
from eventhub.reminders.services import write_default_schedule

log = logging.getLogger(__name__)


@dataclass
class ReminderRun:
    queued: int = 0
    skipped_late: int = 0


@dataclass(frozen=True)
class _Due:
    reminder_id: int
    event_id: int
    due_at: datetime
    late: bool


def _upcoming(now: datetime):
    return (
        Event.status == EventStatus.PUBLISHED.value,
        Event.starts_at > now,
        Event.starts_at <= now + timedelta(days=MAX_DAYS_BEFORE + 1),
    )


def _write_due_default_schedules(now: datetime) -> None:
    """Events still on the default schedule get its rows once a default reminder is due:
    the key of what was sent is a reminder row."""
    unwritten = db.session.scalars(
        select(Event)
        .where(*_upcoming(now))
        .where(
            ~select(ReminderSchedule.event_id).where(ReminderSchedule.event_id == Event.id).exists()
        )
    ).all()
    due = [
        event.id
        for event in unwritten
        if any(due_at(event, days, at) <= now for days, at in DEFAULT_SCHEDULE)
    ]
    db.session.rollback()
    for event_id in due:
        try:
            write_default_schedule(event_id)
            db.session.commit()
        except IntegrityError:
            db.session.rollback()  # another run wrote it


def due_reminders(now: datetime, grace: timedelta) -> list[_Due]:
    rows = db.session.execute(
        select(Reminder, Event)
        .join(Event, Event.id == Reminder.event_id)
        .where(*_upcoming(now), Reminder.removed_at.is_(None))
        .order_by(Event.starts_at, Reminder.id)
    ).all()
    result = []
    for reminder, event in rows:
        instant = reminder.due_at(event)
        if instant <= now and instant < event.starts_at:
            result.append(_Due(reminder.id, event.id, instant, now - instant > grace))
    return result


def _insert_ignoring_duplicates() -> postgresql.Insert | sqlite.Insert:
    dialect = db.session.get_bind().dialect.name
    return (postgresql if dialect == "postgresql" else sqlite).insert(ReminderDelivery)


def _claim(due: _Due, status: DeliveryStatus, now: datetime) -> list[tuple[int, int]]:
    """Insert the (reminder, registration) rows nobody holds yet; (delivery id, registration
    id) of those this run now holds."""
    created_type = ReminderDelivery.__table__.c.created_at.type
    people = select(
        literal(due.reminder_id),
        Registration.id,
        literal(status.value),
        literal(now, created_type),
    ).where(
        Registration.event_id == due.event_id,
        Registration.status == RegistrationStatus.CONFIRMED.value,
        Registration.created_at <= due.due_at,
        Registration.email.is_not(None),
    )
    stmt = (
        _insert_ignoring_duplicates()
        .from_select(["reminder_id", "registration_id", "status", "created_at"], people)
        .on_conflict_do_nothing(index_elements=["reminder_id", "registration_id"])
        .returning(ReminderDelivery.id, ReminderDelivery.registration_id)
    )
    return [(delivery, registration) for delivery, registration in db.session.execute(stmt)]


def _queue(due: _Due, claimed: list[tuple[int, int]]) -> None:
    event = db.session.get_one(Event, due.event_id)
    content = ReminderContent.of(event)
    registrations = {
        registration.id: registration
        for registration in db.session.scalars(
            select(Registration).where(Registration.id.in_([r for _, r in claimed]))
        )
    }
    message_ids = outbox.enqueue_many(
        [build(content, registrations[registration_id]) for _, registration_id in claimed]
    )
    db.session.execute(
        update(ReminderDelivery),
        [
            {"id": delivery_id, "outbox_message_id": message_id}
            for (delivery_id, _), message_id in zip(claimed, message_ids, strict=True)
        ],
    )


def send_due_reminders(now: datetime | None = None) -> ReminderRun:
    """Queue every due reminder; one transaction (and commit) per reminder."""
    now = now or utcnow()
    grace = timedelta(hours=current_app.config["REMINDER_GRACE_HOURS"])
    _write_due_default_schedules(now)
    dues = due_reminders(now, grace)
    db.session.rollback()  # end the read: each reminder below starts with its write
    run = ReminderRun()
    for due in dues:
        status = DeliveryStatus.SKIPPED_LATE if due.late else DeliveryStatus.QUEUED
        claimed = _claim(due, status, now)
        if claimed and not due.late:
            _queue(due, claimed)
        db.session.commit()
        if due.late:
            run.skipped_late += len(claimed)
        else:
            run.queued += len(claimed)
        if claimed:
            log.info("event reminder %s: %d %s", due.reminder_id, len(claimed), status.value)
    return run
