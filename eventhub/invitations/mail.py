"""The invitation email, in the invitee's language, with the event attached as .ics."""

from flask import current_app, render_template
from flask_babel import force_locale
from flask_babel import gettext as _
from itsdangerous import BadSignature, URLSafeSerializer

from eventhub.auth.models import User
from eventhub.calendar import services as calendar_services
from eventhub.calendar.ics import build_calendar, external_url
from eventhub.calendar.links import feed_urls
from eventhub.calendar.models import FeedKind
from eventhub.invitations.models import Invitation
from eventhub.mail.services import Attachment, OutgoingMail


def _opt_out_serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt="invitation-opt-out")


def opt_out_token(email: str) -> str:
    return _opt_out_serializer().dumps(email)


def email_from_opt_out_token(token: str) -> str | None:
    try:
        email = _opt_out_serializer().loads(token)
    except BadSignature:
        return None
    return email if isinstance(email, str) else None


class BatchCache:
    """What every invitation of one sending shares, computed once: the event's .ics and each
    organisation's feed address (sending to 350 organisations must only queue, fast)."""

    def __init__(self):
        self._calendars: dict[tuple[int, str], str] = {}
        self._feeds: dict[int, dict | None] = {}

    def calendar(self, event, language: str) -> str:
        key = (event.id, language)  # its description is in the invitee's language
        if key not in self._calendars:
            calendar = build_calendar([event], event.title, f"event/{event.uid}")
            self._calendars[key] = calendar.to_ical().decode()
        return self._calendars[key]

    def organisation_feed(self, organisation_id: int | None) -> dict | None:
        # The organisation's calendar, if organisers created one: subscribe once, see every
        # round table it is invited to.
        if organisation_id is None:
            return None
        if organisation_id not in self._feeds:
            token = calendar_services.active_feed_token(FeedKind.ORGANISATION, organisation_id)
            self._feeds[organisation_id] = feed_urls(token)
        return self._feeds[organisation_id]


def build(
    invitation: Invitation,
    token: str,
    organiser: User | None,
    reminder: bool,
    cache: BatchCache | None = None,
) -> OutgoingMail:
    cache = cache or BatchCache()
    event = invitation.event
    link = external_url("invitations.respond", token=token)
    organisation_feed = cache.organisation_feed(invitation.organisation_id)
    opt_out = external_url("invitations.opt_out", token=opt_out_token(invitation.email))
    with force_locale(invitation.language):
        context = {
            "invitation": invitation,
            "event": event,
            "link": link,
            "opt_out": opt_out,
            "reminder": reminder,
            "organisation_feed": organisation_feed,
            "event_url": external_url("events.show_event", event_id=event.id),
        }
        if reminder:
            subject = _("Reminder: %(title)s", title=event.title)
        else:
            subject = _("Invitation: %(title)s", title=event.title)
        text = render_template("mail/invitation.txt", **context)
        html = render_template("mail/invitation.html", **context)
        calendar = cache.calendar(event, invitation.language)
    return OutgoingMail(
        to_address=invitation.email,
        to_name=invitation.name,
        subject=subject,
        text_body=text,
        html_body=html,
        reply_to=organiser.email if organiser else None,
        attachments=[Attachment("invitation.ics", "text/calendar; method=PUBLISH", calendar)],
        headers={
            "List-Unsubscribe": f"<{opt_out}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        },
        topic="invitation",
    )
