"""Messages from organisers: preview, send (queue in the outbox), history, resend the failed."""

from collections import defaultdict
from dataclasses import dataclass, field

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, insert, select, update

from eventhub.auth.models import User
from eventhub.errors import ConflictError
from eventhub.events.models import Event
from eventhub.extensions import db
from eventhub.invitations.mail import opt_out_token
from eventhub.invitations.services import invitation_token
from eventhub.mail import services as outbox
from eventhub.mail import topics
from eventhub.mail.models import OutboxMessage, OutboxStatus
from eventhub.mail.services import OutgoingMail
from eventhub.messages import audiences
from eventhub.messages.audiences import Choice, Person, Plan
from eventhub.messages.models import MessageRecipient, OrganiserMessage
from eventhub.messages.writing import Layouts, Rendered, checked_text
from eventhub.registrations.services import registration_token
from eventhub.urls import external_url_adapter

TOPIC = "organiser-message"
topics.register(TOPIC, _l("Message from the organisers"))

LANGUAGES = ("es", "en")
# Who the preview shows when nobody of a language is in the audience.
SAMPLE_NAME = {"es": "María Pérez", "en": "Mary Smith"}
SAMPLE_LINK = _l("https://…/your-personal-link")


class _Links:
    """Each person's own link, built from one bound URL map (a thousand links, one bind)."""

    def __init__(self, event: Event):
        self.event = event
        self._urls = external_url_adapter()

    def _url(self, endpoint: str, **values) -> str:
        return self._urls.build(endpoint, values, force_external=True)

    def personal(self, person: Person) -> str:
        if person.registration is not None:
            token = registration_token(person.registration)
            return self._url("registrations.manage", token=token)
        if person.invitation is not None:
            return self._url("invitations.respond", token=invitation_token(person.invitation))
        return self._url("events.show_event", event_id=self.event.id)

    def opt_out(self, person: Person) -> str | None:
        if person.about_own_registration:
            return None
        return self._url("invitations.opt_out", token=opt_out_token(person.email))


@dataclass
class Preview:
    plan: Plan
    samples: dict[str, Rendered] = field(default_factory=dict)


def preview(event: Event, choice: Choice, subject: str, body: str) -> Preview:
    """The exact audience, who is skipped and why, and one sample per language, as the first
    recipient of that language (or a made-up one) will read it. Writes nothing."""
    subject, body = checked_text(subject, body)
    plan = audiences.plan(event, choice)
    layouts = Layouts(event, subject, body)
    result = Preview(plan)
    for language in LANGUAGES:
        person = next((p for p in plan.recipients if p.language == language), None)
        name = (person.name or person.email) if person else SAMPLE_NAME[language]
        result.samples[language] = layouts.render(language, name, str(SAMPLE_LINK))
    return result


def _mail(event: Event, layouts: Layouts, links: _Links, person: Person, sender: User):
    opt_out = links.opt_out(person)
    language = person.language if person.language in LANGUAGES else "es"
    rendered = layouts.render(
        language, person.name or person.email, links.personal(person), opt_out
    )
    headers = {}
    if opt_out is not None:
        headers = {
            "List-Unsubscribe": f"<{opt_out}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        }
    return OutgoingMail(
        to_address=person.email,
        to_name=person.name or None,
        subject=rendered.subject,
        text_body=rendered.text,
        html_body=rendered.html,
        reply_to=sender.email,
        headers=headers,
        topic=TOPIC,
        event_id=event.id,
    )


def send_message(
    event: Event, choice: Choice, subject: str, body: str, sender: User
) -> OrganiserMessage:
    """Queue one email per recipient in the caller's transaction: one multi-row INSERT for
    the emails and one for the recipients, however many they are."""
    subject, body = checked_text(subject, body)
    plan = audiences.plan(event, choice)
    if not plan.recipients:
        raise ConflictError(_("Nobody to send it to: the chosen audience is empty."))
    layouts, links = Layouts(event, subject, body), _Links(event)
    mails = [_mail(event, layouts, links, person, sender) for person in plan.recipients]
    outbox_ids = outbox.enqueue_many(mails)
    message = OrganiserMessage(
        event_id=event.id,
        subject=subject,
        body=body,
        audiences=sorted(a.value for a in choice.audiences),
        contact_roles=sorted(choice.contact_roles),
        organisation_ids=sorted(choice.organisation_ids),
        recipient_count=len(plan.recipients),
        sent_by_id=sender.id,
    )
    db.session.add(message)
    db.session.flush()
    db.session.execute(
        insert(MessageRecipient),
        [
            {
                "message_id": message.id,
                "email": person.email,
                "audience": person.audience.value,
                "outbox_message_id": outbox_id,
            }
            for person, outbox_id in zip(plan.recipients, outbox_ids, strict=True)
        ],
    )
    return message


# --- history ---------------------------------------------------------------------------------

_PENDING = {
    OutboxStatus.QUEUED.value,
    OutboxStatus.CLAIMED.value,
    OutboxStatus.SENDING.value,
    OutboxStatus.RETRY.value,
}


@dataclass
class Delivery:
    sent: int = 0
    failed: int = 0
    kept: int = 0
    pending: int = 0

    def add(self, status: str, count: int) -> None:
        if status in _PENDING:
            self.pending += count
        elif status in {"sent", "failed", "kept"}:
            setattr(self, status, getattr(self, status) + count)


@dataclass
class SentMessage:
    message: OrganiserMessage
    delivery: Delivery


def history(event: Event) -> list[SentMessage]:
    """Every message of the event, newest first, with how its emails' delivery went: two
    queries whatever the number of messages and recipients."""
    messages = list(
        db.session.scalars(
            select(OrganiserMessage)
            .where(OrganiserMessage.event_id == event.id)
            .order_by(OrganiserMessage.id.desc())
        )
    )
    deliveries: dict[int, Delivery] = defaultdict(Delivery)
    if messages:
        rows = db.session.execute(
            select(MessageRecipient.message_id, OutboxMessage.status, func.count())
            .join(OutboxMessage, OutboxMessage.id == MessageRecipient.outbox_message_id)
            .where(MessageRecipient.message_id.in_([m.id for m in messages]))
            .group_by(MessageRecipient.message_id, OutboxMessage.status)
        )
        for message_id, status, count in rows:
            deliveries[message_id].add(status, count)
    return [SentMessage(m, deliveries[m.id]) for m in messages]


def resend_failed(message: OrganiserMessage) -> int:
    """Queue again, as new emails, the message's emails that failed; how many. A second click
    finds none: each recipient now points at the email queued in place of the failed one."""
    failed = db.session.execute(
        select(MessageRecipient.id, OutboxMessage)
        .join(OutboxMessage, OutboxMessage.id == MessageRecipient.outbox_message_id)
        .where(
            MessageRecipient.message_id == message.id,
            OutboxMessage.status == OutboxStatus.FAILED.value,
        )
        .order_by(MessageRecipient.id)
        .with_for_update(of=MessageRecipient)
    ).all()
    if not failed:
        raise ConflictError(_("None of this message's emails failed: nothing to send again."))
    # One the outbox page already queued again is followed, not sent a second time.
    resent = [outbox.resent_as(row) or outbox.resend(row) for _, row in failed]
    db.session.flush()
    db.session.execute(
        update(MessageRecipient),
        [
            {"id": recipient_id, "outbox_message_id": again.id}
            for (recipient_id, _row), again in zip(failed, resent, strict=True)
        ],
    )
    return len(failed)
