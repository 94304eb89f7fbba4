"""Reminders to commitment owners, sent by `flask reminders send` (run it from cron).

Each reminder is one row in commitment_reminder, whose unique key (commitment, due date, kind)
is the guarantee that it goes out once: the row is inserted first, the message queued in the
same transaction, and a second run (even at the same moment, on another machine) fails the
insert and moves on. A new due date earns a new reminder.
"""

import logging
from dataclasses import dataclass
from datetime import date, timedelta

from flask import current_app, render_template
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from eventhub.extensions import db
from eventhub.followup.commitments.services import ensure_link, today_in
from eventhub.followup.models import (
    ACTIVE_COMMITMENT,
    Commitment,
    CommitmentReminder,
    ReminderKind,
)
from eventhub.mail import services as outbox
from eventhub.mail import topics
from eventhub.mail.services import OutgoingMail
from eventhub.organisations.models import Contact, Organisation
from eventhub.urls import external_url

log = logging.getLogger(__name__)

# An overdue reminder only for recent due dates: a commitment forgotten for a year is a
# matter for the organisers, not for an automatic email.
OVERDUE_WINDOW_DAYS = 30

topics.register("commitment-reminder", _l("Commitment reminder"))


@dataclass
class ReminderRun:
    sent: int = 0
    already_sent: int = 0
    without_contact: int = 0


@dataclass(frozen=True)
class Due:
    commitment_id: int
    contact_id: int
    due_on: date
    kind: ReminderKind


def _recipient(commitment: Commitment) -> Contact | None:
    if commitment.contact is not None:
        return commitment.contact
    contacts = sorted(commitment.organisation.contacts, key=lambda c: (not c.is_primary, c.id))
    return contacts[0] if contacts else None


def _kind(due_on: date, today: date, days_before: int) -> ReminderKind | None:
    if today <= due_on <= today + timedelta(days=days_before):
        return ReminderKind.DUE_SOON
    if today - timedelta(days=OVERDUE_WINDOW_DAYS) <= due_on < today:
        return ReminderKind.OVERDUE
    return None


def due_reminders(days_before: int) -> tuple[list[Due], int]:
    """What should go out now (not yet sent), and how many have nobody to send to."""
    today_utc = today_in("UTC")
    stmt = (
        select(Commitment)
        .where(
            Commitment.status.in_(ACTIVE_COMMITMENT),
            Commitment.due_on.is_not(None),
            # A day of slack each side: "today" depends on the event's zone.
            Commitment.due_on <= today_utc + timedelta(days=days_before + 1),
            Commitment.due_on >= today_utc - timedelta(days=OVERDUE_WINDOW_DAYS + 1),
        )
        .options(
            selectinload(Commitment.event),
            selectinload(Commitment.contact),
            selectinload(Commitment.organisation).selectinload(Organisation.contacts),
        )
        .order_by(Commitment.id)
    )
    result, without_contact = [], 0
    commitments = list(db.session.scalars(stmt))
    sent = {
        (row.commitment_id, row.due_on, row.kind)
        for row in db.session.execute(
            select(
                CommitmentReminder.commitment_id, CommitmentReminder.due_on, CommitmentReminder.kind
            ).where(CommitmentReminder.commitment_id.in_([c.id for c in commitments]))
        )
    }
    for commitment in commitments:
        assert commitment.due_on is not None  # the query keeps dated commitments only
        kind = _kind(commitment.due_on, today_in(commitment.event.timezone), days_before)
        if kind is None or (commitment.id, commitment.due_on, kind.value) in sent:
            continue
        contact = _recipient(commitment)
        if contact is None:
            without_contact += 1
            continue
        result.append(Due(commitment.id, contact.id, commitment.due_on, kind))
    return result, without_contact


def _queue(due: Due) -> int:
    commitment = db.session.get_one(Commitment, due.commitment_id)
    contact = db.session.get_one(Contact, due.contact_id)
    event = commitment.event
    with force_locale(contact.language):
        context = {
            "commitment": commitment,
            "contact": contact,
            "event": event,
            "overdue": due.kind == ReminderKind.OVERDUE,
            "link": external_url("followup.owner_commitments", token=ensure_link(contact)),
        }
        if due.kind == ReminderKind.OVERDUE:
            subject = _("Commitment overdue: %(event)s", event=event.title)
        else:
            subject = _("Commitment due soon: %(event)s", event=event.title)
        text = render_template("emails/commitment_reminder.txt", **context)
        html = render_template("emails/commitment_reminder.html", **context)
    message = outbox.enqueue(
        OutgoingMail(
            to_address=contact.email,
            to_name=contact.name,
            subject=subject,
            text_body=text,
            html_body=html,
            topic="commitment-reminder",
            event_id=event.id,
        )
    )
    db.session.flush()
    return message.id


def send_reminders(days_before: int | None = None) -> ReminderRun:
    """Queue every reminder that is due; commits one reminder at a time."""
    if days_before is None:
        days_before = current_app.config["COMMITMENT_REMINDER_DAYS"]
    dues, without_contact = due_reminders(days_before)
    db.session.rollback()  # end the read: each reminder below starts with its write
    run = ReminderRun(without_contact=without_contact)
    for due in dues:
        try:
            reminder_id = db.session.execute(
                insert(CommitmentReminder)
                .values(
                    commitment_id=due.commitment_id,
                    due_on=due.due_on,
                    kind=due.kind.value,
                    to_address="",
                )
                .returning(CommitmentReminder.id)
            ).scalar_one()
        except IntegrityError:
            db.session.rollback()
            run.already_sent += 1
            continue
        reminder = db.session.get_one(CommitmentReminder, reminder_id)
        reminder.outbox_message_id = _queue(due)
        reminder.to_address = db.session.get_one(Contact, due.contact_id).email
        db.session.commit()
        run.sent += 1
        log.info("commitment reminder %s queued (commitment %s)", reminder_id, due.commitment_id)
    return run
