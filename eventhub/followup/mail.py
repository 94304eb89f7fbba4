"""The follow-up message after the event, and who receives it.

Participants are the people checked in at the door. Organisers may add everyone else who was
invited or registered and did not come; each address gets one message, in its language, with
its own personal link (where the minutes and materials are) and its organisation's commitments.
"""

from dataclasses import dataclass, field

from flask import render_template
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from eventhub.addresses import email_key
from eventhub.auth.models import User
from eventhub.errors import ConflictError, DomainError
from eventhub.events.models import Event
from eventhub.extensions import db
from eventhub.followup.commitments.services import ensure_link, event_commitments
from eventhub.followup.models import Commitment, FollowupMailing
from eventhub.invitations.models import Invitation, MailOptOut
from eventhub.mail import services as outbox
from eventhub.mail import topics
from eventhub.mail.services import OutgoingMail
from eventhub.organisations.models import Contact
from eventhub.registrations.models import Registration, RegistrationStatus
from eventhub.text import clean
from eventhub.urls import external_url

SUMMARY_MAX = 5000
# Stands for each recipient's own link in the preview, in the mail's language like the rest.
PREVIEW_LINK = _l("https://…/your-personal-link")

topics.register("followup", _l("Follow-up"))


@dataclass
class Recipient:
    email: str
    name: str | None
    language: str
    attended: bool
    organisation_id: int | None
    organisation_name: str | None
    registration: Registration | None = None
    invitation: Invitation | None = None
    contact: Contact | None = None
    commitments: list[Commitment] = field(default_factory=list)


@dataclass
class Audience:
    attended: list[Recipient]
    absent: list[Recipient]
    opted_out: int

    def chosen(self, include_absent: bool) -> list[Recipient]:
        return self.attended + (self.absent if include_absent else [])


def audience(event: Event) -> Audience:
    registrations = db.session.scalars(
        select(Registration)
        .where(
            Registration.event_id == event.id,
            Registration.status == RegistrationStatus.CONFIRMED.value,
        )
        .options(selectinload(Registration.organisation))
        .order_by(Registration.id)
    )
    invitations = db.session.scalars(
        select(Invitation)
        .where(Invitation.event_id == event.id, Invitation.revoked_at.is_(None))
        .options(selectinload(Invitation.organisation), selectinload(Invitation.contact))
        .order_by(Invitation.id)
    )
    opted_out = set(db.session.scalars(select(MailOptOut.email)))
    by_email: dict[str, Recipient] = {}
    for registration in registrations:
        if registration.email is None:
            continue  # a walk-in who left no address
        by_email[email_key(registration.email)] = Recipient(
            email=registration.email,
            name=registration.name,
            language=registration.language,
            attended=registration.checked_in_at is not None,
            organisation_id=registration.organisation_id,
            organisation_name=registration.display_organisation,
            registration=registration,
        )
    for invitation in invitations:
        known = by_email.get(email_key(invitation.email))
        if known is not None:
            known.invitation = invitation
            known.contact = known.contact or invitation.contact
            continue
        by_email[email_key(invitation.email)] = Recipient(
            email=invitation.email,
            name=invitation.name,
            language=invitation.language,
            attended=False,
            organisation_id=invitation.organisation_id,
            organisation_name=invitation.organisation.name if invitation.organisation else None,
            invitation=invitation,
            contact=invitation.contact,
        )
    commitments = event_commitments(event)
    result = Audience([], [], 0)
    for email, recipient in by_email.items():
        if email in opted_out:
            result.opted_out += 1
            continue
        recipient.commitments = [
            c for c in commitments if c.organisation_id == recipient.organisation_id
        ]
        (result.attended if recipient.attended else result.absent).append(recipient)
    return result


def _summary(text: str | None) -> str | None:
    summary = clean(text, one_line=False)
    if summary and len(summary) > SUMMARY_MAX:
        raise DomainError(_("At most %(max)d characters.", max=SUMMARY_MAX), field="summary")
    return summary


def _personal_link(recipient: Recipient) -> str:
    from eventhub.invitations.services import invitation_token
    from eventhub.registrations.services import registration_token

    if recipient.registration is not None:
        token = registration_token(recipient.registration)
        return external_url("registrations.manage", token=token)
    assert recipient.invitation is not None  # a recipient has one or the other
    return external_url("invitations.respond", token=invitation_token(recipient.invitation))


def _commitments_link(recipient: Recipient) -> str | None:
    contact = recipient.contact
    if contact is None or not recipient.commitments:
        return None
    if contact.organisation_id != recipient.organisation_id:
        return None
    return external_url("followup.owner_commitments", token=ensure_link(contact))


def render(event: Event, recipient: Recipient, summary: str | None, *, preview: bool = False):
    """Subject, text and HTML in the recipient's language."""
    with force_locale(recipient.language):
        context = {
            "event": event,
            "recipient": recipient,
            "summary": summary,
            "link": str(PREVIEW_LINK) if preview else _personal_link(recipient),
            "commitments_link": str(PREVIEW_LINK) if preview else _commitments_link(recipient),
            "event_url": external_url("events.show_event", event_id=event.id),
        }
        subject = _("Follow-up: %(title)s", title=event.title)
        text = render_template("emails/followup.txt", **context)
        html = render_template("emails/followup.html", **context)
    return subject, text, html


def send_followup(
    event: Event, summary: str | None, include_absent: bool, sender: User
) -> FollowupMailing:
    summary = _summary(summary)
    recipients = audience(event).chosen(include_absent)
    if not recipients:
        raise ConflictError(
            _(
                "Nobody to send it to: nobody was checked in at the door. "
                "Include the invitees and registrants who did not come, or check people in first."
            )
        )
    for recipient in recipients:
        subject, text, html = render(event, recipient, summary)
        outbox.enqueue(
            OutgoingMail(
                to_address=recipient.email,
                to_name=recipient.name,
                subject=subject,
                text_body=text,
                html_body=html,
                reply_to=sender.email,
                topic="followup",
                event_id=event.id,
            )
        )
    mailing = FollowupMailing(
        event_id=event.id,
        summary=summary,
        include_absent=include_absent,
        recipients=len(recipients),
        sent_by_id=sender.id,
    )
    db.session.add(mailing)
    db.session.flush()
    return mailing


def mailings(event: Event) -> list[FollowupMailing]:
    stmt = (
        select(FollowupMailing)
        .where(FollowupMailing.event_id == event.id)
        .options(selectinload(FollowupMailing.sent_by))
        .order_by(FollowupMailing.id.desc())
    )
    return list(db.session.scalars(stmt))
