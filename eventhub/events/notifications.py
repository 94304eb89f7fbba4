"""Telling people what changed: the time or the place moved, or the event is cancelled.

The events domain does not know who comes: it sends ``event_changed`` and the domains that
hold people for the event (registrations, invitations) answer with the notices for their own
people, built here so that every notice reads the same. Each person gets an HTML and a text
part in their language; only those who hold a calendar entry from us (a confirmed place, an
unanswered invitation's .ics) get the updated .ics, its SEQUENCE raised by the change tracking.
``people_to_tell`` asks the same domains how many they would tell, for the forms.
"""

from dataclasses import dataclass, field
from datetime import datetime

from blinker import Namespace
from flask import render_template
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from eventhub.calendar.ics import calendar_bytes
from eventhub.events.models import Event
from eventhub.extensions import db
from eventhub.formatting import event_time_range
from eventhub.mail import services as outbox
from eventhub.mail import topics
from eventhub.mail.services import Attachment, OutgoingMail

_signals = Namespace()
# sender: the event; ``change``: an EventChange. Each receiver queues its people's notices
# and returns how many it queued.
event_changed = _signals.signal("event-changed")
# sender: the event. Each receiver returns how many of its people a notice would reach.
count_people_to_tell = _signals.signal("count-people-to-tell")

topics.register("event-changed", _l("Event changed"))
topics.register("event-cancelled", _l("Event cancelled"))


@dataclass(frozen=True)
class AttendeeView:
    """What people coming know of the event: when and where."""

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


@dataclass(frozen=True)
class Addressee:
    """One person to tell, as the domain that holds them knows them."""

    email: str
    name: str | None
    language: str
    link: str  # their personal page
    via: str  # "registration" or "invitation": what the link leads to
    holds_calendar_entry: bool  # we gave them the event's .ics: send the updated one


@dataclass
class EventChange:
    before: AttendeeView
    after: AttendeeView
    cancelled: bool
    # Built once per language for all the notices of one change (its text is translated).
    _calendars: dict[str, str] = field(default_factory=dict, repr=False)

    @property
    def time_changed(self) -> bool:
        return (self.before.starts_at, self.before.ends_at, self.before.timezone) != (
            self.after.starts_at,
            self.after.ends_at,
            self.after.timezone,
        )

    @property
    def venue_changed(self) -> bool:
        return self.before.venue != self.after.venue

    def calendar(self, event: Event, language: str) -> str:
        if language not in self._calendars:
            data = calendar_bytes([event], event.title, f"event/{event.uid}")
            self._calendars[language] = data.decode()
        return self._calendars[language]


def notice(event: Event, change: EventChange, person: Addressee) -> OutgoingMail:
    """The change or cancellation notice for one person, in their language."""
    with force_locale(person.language):
        context = {
            "person": person,
            "event": event,
            "change": change,
            "before": change.before,
            "after": change.after,
        }
        if change.cancelled:
            subject = _("Cancelled: %(title)s", title=event.title)
        else:
            subject = _("Changed: %(title)s", title=event.title)
        text = render_template("emails/event_changed.txt", **context)
        html = render_template("emails/event_changed.html", **context)
        attachments = []
        if person.holds_calendar_entry:
            attachments.append(
                Attachment(
                    "event.ics",
                    "text/calendar; method=PUBLISH",
                    change.calendar(event, person.language),
                )
            )
    return OutgoingMail(
        to_address=person.email,
        to_name=person.name,
        subject=subject,
        text_body=text,
        html_body=html,
        attachments=attachments,
        topic="event-cancelled" if change.cancelled else "event-changed",
        event_id=event.id,
    )


def queue_notices(event: Event, change: EventChange, people: list[Addressee]) -> int:
    for person in people:
        outbox.enqueue(notice(event, change, person))
    return len(people)


def people_to_tell(event: Event) -> int:
    return sum(count for _receiver, count in count_people_to_tell.send(event))


def notify_change(event: Event, before: AttendeeView) -> int:
    """Tell everyone concerned if the time or the place changed; how many were told."""
    change = EventChange(before, AttendeeView.of(event), cancelled=False)
    if not change.time_changed and not change.venue_changed:
        return 0
    return _announce(event, change)


def notify_cancellation(event: Event) -> int:
    view = AttendeeView.of(event)
    return _announce(event, EventChange(view, view, cancelled=True))


def _announce(event: Event, change: EventChange) -> int:
    db.session.flush()  # the change tracking raises SEQUENCE before the .ics is built
    return sum(told for _receiver, told in event_changed.send(event, change=change))
