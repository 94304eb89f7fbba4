"""Telling registrants what changed: the time or the place moved, or the event is cancelled.

Each confirmed or waiting registrant gets a short email in their language with the change
(old → new) and the updated .ics (its SEQUENCE raised by the change tracking), so calendar
apps replace the old entry.
"""

from dataclasses import dataclass
from datetime import datetime

from flask import render_template
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from eventhub.calendar.ics import calendar_bytes, external_url
from eventhub.events.models import Event
from eventhub.extensions import db
from eventhub.formatting import event_time_range
from eventhub.mail import services as outbox
from eventhub.mail import topics
from eventhub.mail.services import Attachment, OutgoingMail
from eventhub.registrations.models import Registration, RegistrationStatus

ACTIVE = (RegistrationStatus.CONFIRMED.value, RegistrationStatus.WAITING.value)

topics.register("event-changed", _l("Event changed"))
topics.register("event-cancelled", _l("Event cancelled"))


@dataclass(frozen=True)
class AttendeeView:
    """What registrants know of the event: when and where."""

    starts_at: datetime
    ends_at: datetime
    timezone: str
    venue: str | None

    @classmethod
    def of(cls, event: Event) -> "AttendeeView":
        venue = ", ".join(p for p in (event.venue_name, event.venue_address) if p) or None
        return cls(event.starts_at, event.ends_at, event.timezone, venue)

    def when(self) -> str:
        return f"{event_time_range(self.starts_at, self.ends_at, self.timezone)} ({self.timezone})"


def registrants_to_tell(event: Event) -> int:
    return db.session.scalar(
        select(func.count(Registration.id)).where(
            Registration.event_id == event.id, Registration.status.in_(ACTIVE)
        )
    )


def _registrants(event: Event) -> list[Registration]:
    return list(
        db.session.scalars(
            select(Registration)
            .where(Registration.event_id == event.id, Registration.status.in_(ACTIVE))
            .order_by(Registration.id)
        )
    )


def notify_change(event: Event, before: AttendeeView) -> int:
    """Queue a change notice for each registrant if the time or the place changed."""
    after = AttendeeView.of(event)
    time_changed = (before.starts_at, before.ends_at, before.timezone) != (
        after.starts_at,
        after.ends_at,
        after.timezone,
    )
    if not time_changed and before.venue == after.venue:
        return 0
    return _notify(event, before, after, time_changed, cancelled=False)


def notify_cancellation(event: Event) -> int:
    view = AttendeeView.of(event)
    return _notify(event, view, view, time_changed=False, cancelled=True)


def _notify(event, before, after, time_changed: bool, cancelled: bool) -> int:
    from eventhub.registrations.services import registration_token

    db.session.flush()  # the change tracking raises SEQUENCE before the .ics is built
    registrants = _registrants(event)
    for registration in registrants:
        with force_locale(registration.language):
            context = {
                "registration": registration,
                "event": event,
                "before": before,
                "after": after,
                "time_changed": time_changed,
                "venue_changed": before.venue != after.venue,
                "cancelled": cancelled,
                "link": external_url(
                    "registrations.manage", token=registration_token(registration)
                ),
            }
            if cancelled:
                subject = _("Cancelled: %(title)s", title=event.title)
            else:
                subject = _("Changed: %(title)s", title=event.title)
            text = render_template("mail/event_changed.txt", **context)
            calendar = calendar_bytes([event], event.title, f"event/{event.uid}")
        outbox.enqueue(
            OutgoingMail(
                to_address=registration.email,
                to_name=registration.name,
                subject=subject,
                text_body=text,
                attachments=[
                    Attachment("event.ics", "text/calendar; method=PUBLISH", calendar.decode())
                ],
                topic="event-cancelled" if cancelled else "event-changed",
                event_id=event.id,
            )
        )
    return len(registrants)
