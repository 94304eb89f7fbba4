"""The reminder a registrant receives, in their language: when and where (with a map), the
agenda's first lines, their personal link, the .ics and a way to free their place."""

from dataclasses import dataclass, field
from urllib.parse import urlencode

from flask import render_template
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from eventhub.agenda.models import AgendaItem
from eventhub.calendar.ics import calendar_bytes, event_location
from eventhub.events.models import Event
from eventhub.extensions import db
from eventhub.formatting import local_date, local_time
from eventhub.mail import topics
from eventhub.mail.services import Attachment, OutgoingMail
from eventhub.registrations.models import Registration
from eventhub.registrations.services import registration_token
from eventhub.urls import external_url

TOPIC = "event-reminder"
AGENDA_LINES = 4

topics.register(TOPIC, _l("Event reminder"))


def map_url(event: Event) -> str | None:
    """A map search for the venue (OpenStreetMap: no account, no tracking script)."""
    place = event_location(event)
    if place is None:
        return None
    return "https://www.openstreetmap.org/search?" + urlencode({"query": place})


@dataclass
class ReminderContent:
    """What every registrant's reminder of one event shares, built once."""

    event: Event
    agenda: list[AgendaItem]
    more_agenda: bool
    map_url: str | None
    event_url: str
    _calendars: dict[str, str] = field(default_factory=dict)

    @classmethod
    def of(cls, event: Event) -> "ReminderContent":
        items = list(
            db.session.scalars(
                select(AgendaItem)
                .where(AgendaItem.event_id == event.id)
                .order_by(AgendaItem.starts_at, AgendaItem.ends_at, AgendaItem.id)
                .limit(AGENDA_LINES + 1)
            )
        )
        return cls(
            event=event,
            agenda=items[:AGENDA_LINES],
            more_agenda=len(items) > AGENDA_LINES,
            map_url=map_url(event),
            event_url=external_url("events.show_event", event_id=event.id),
        )

    def calendar(self, language: str) -> str:
        """The event's .ics; its text is translated, so one per language."""
        if language not in self._calendars:
            data = calendar_bytes([self.event], self.event.title, f"event/{self.event.uid}")
            self._calendars[language] = data.decode()
        return self._calendars[language]


def build(content: ReminderContent, registration: Registration) -> OutgoingMail:
    if registration.email is None:
        raise ValueError("the sending run claims only registrants with an address")
    event = content.event
    token = registration_token(registration)
    with force_locale(registration.language):
        context = {
            "registration": registration,
            "event": event,
            "content": content,
            "where": event_location(event),
            "link": external_url("registrations.manage", token=token),
            "cancel_link": external_url("registrations.confirm_cancel", token=token),
        }
        subject = _(
            "Reminder: %(title)s, %(day)s at %(time)s",
            title=event.title,
            day=local_date(event.starts_at, event.timezone, "long"),
            time=local_time(event.starts_at, event.timezone),
        )
        text = render_template("emails/event_reminder.txt", **context)
        html = render_template("emails/event_reminder.html", **context)
        calendar = content.calendar(registration.language)
    return OutgoingMail(
        to_address=registration.email,
        to_name=registration.name,
        subject=subject,
        text_body=text,
        html_body=html,
        attachments=[Attachment("event.ics", "text/calendar; method=PUBLISH", calendar)],
        topic=TOPIC,
        event_id=event.id,
    )
