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


def build(
    invitation: Invitation, token: str, organiser: User | None, reminder: bool
) -> OutgoingMail:
    event = invitation.event
    link = external_url("invitations.respond", token=token)
    organisation_feed = None
    if invitation.organisation_id:
        # The organisation's calendar, if organisers created one: subscribe once, see every
        # round table it is invited to.
        feed_token = calendar_services.active_feed_token(
            FeedKind.ORGANISATION, invitation.organisation_id
        )
        organisation_feed = feed_urls(feed_token)
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
        calendar = build_calendar([event], event.title, f"event/{event.uid}").to_ical().decode()
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
