"""Emails to registrants, in their language, with their personal link and the event's .ics."""

from flask import render_template
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from eventhub.calendar.ics import calendar_bytes
from eventhub.mail import topics
from eventhub.mail.services import Attachment, OutgoingMail
from eventhub.registrations import qr
from eventhub.registrations.models import Registration
from eventhub.urls import external_url

for _kind, _label in {
    "confirmed": _l("Registration: place confirmed"),
    "waiting": _l("Registration: waiting list"),
    "promoted": _l("Registration: a place freed up"),
    "link": _l("Registration: personal link again"),
    "pending": _l("Registration: awaiting approval"),
    "rejected": _l("Registration: not accepted"),
    "cancelled": _l("Registration: cancelled"),
}.items():
    topics.register(f"registration-{_kind}", _label)


def _subject(kind: str, title: str) -> str:
    subjects = {
        "confirmed": _("Registration confirmed: %(title)s", title=title),
        "waiting": _("On the waiting list: %(title)s", title=title),
        "promoted": _("A place is yours: %(title)s", title=title),
        "cancelled": _("Registration cancelled: %(title)s", title=title),
        "pending": _("Registration received: %(title)s", title=title),
        "link": _("Your registration: %(title)s", title=title),
        "rejected": _("Registration not accepted: %(title)s", title=title),
        "confirm": _("Confirm your address to register: %(title)s", title=title),
    }
    return subjects[kind]


def build(
    registration: Registration, token: str, kind: str, withdrawn: int | None = None
) -> OutgoingMail:
    """``withdrawn``: the person held a place (and its .ics) and no longer does; a
    METHOD:CANCEL .ics for the same UID at this SEQUENCE removes their calendar entry."""
    from eventhub.registrations.services import checkin_code

    if registration.email is None:
        raise ValueError("a walk-in without an address gets no mail")
    event = registration.event
    attachments = []
    with force_locale(registration.language):
        context = {
            "registration": registration,
            "event": event,
            "kind": kind,
            "link": external_url("registrations.manage", token=token),
            "event_url": external_url("events.show_event", event_id=event.id),
            "withdraw": withdrawn is not None,
        }
        subject = _subject(kind, event.title)
        text = render_template("emails/registration.txt", **context)
        html = render_template("emails/registration.html", **context)
        if kind in {"confirmed", "promoted"}:
            calendar = calendar_bytes([event], event.title, f"event/{event.uid}")
            attachments.append(
                Attachment("event.ics", "text/calendar; method=PUBLISH", calendar.decode())
            )
            checkin_url = external_url("registrations.checkin", code=checkin_code(registration))
            attachments.append(
                Attachment("checkin-qr.png", "image/png", qr.png_base64(checkin_url), "base64")
            )
        if withdrawn is not None:
            calendar = calendar_bytes(
                [event], event.title, f"event/{event.uid}", withdrawn_sequence=withdrawn
            )
            attachments.append(
                Attachment("event.ics", "text/calendar; method=CANCEL", calendar.decode())
            )
    return OutgoingMail(
        to_address=registration.email,
        to_name=registration.name,
        subject=subject,
        text_body=text,
        html_body=html,
        attachments=attachments,
        topic=f"registration-{kind}",
        event_id=event.id,
    )
