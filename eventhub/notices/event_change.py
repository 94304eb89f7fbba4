"""The change and cancellation notice, built the same for every person told.

Each person gets an HTML and a text part in their language; only those who hold a calendar
entry from us (a confirmed place, an unanswered invitation's .ics) get the updated .ics, its
SEQUENCE raised by the change tracking.
"""

from dataclasses import dataclass
from weakref import WeakKeyDictionary

from flask import render_template
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from eventhub.calendar.ics import calendar_bytes
from eventhub.events.models import Event
from eventhub.events.notifications import EventChange
from eventhub.mail import services as outbox
from eventhub.mail import topics
from eventhub.mail.services import Attachment, OutgoingMail

topics.register("event-changed", _l("Event changed"))
topics.register("event-cancelled", _l("Event cancelled"))


@dataclass(frozen=True)
class Addressee:
    """One person to tell, as the domain that holds them knows them."""

    email: str
    name: str | None
    language: str
    link: str  # their personal page
    via: str  # "registration" or "invitation": what the link leads to
    holds_calendar_entry: bool  # we gave them the event's .ics: send the updated one


# Built once per language for all the notices of one change, whichever domain sends them
# (its text is translated); forgotten with the change.
_calendars: WeakKeyDictionary[EventChange, dict[str, str]] = WeakKeyDictionary()


def _calendar(event: Event, change: EventChange, language: str) -> str:
    by_language = _calendars.setdefault(change, {})
    if language not in by_language:
        data = calendar_bytes([event], event.title, f"event/{event.uid}")
        by_language[language] = data.decode()
    return by_language[language]


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
                    _calendar(event, change, person.language),
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
