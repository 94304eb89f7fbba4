"""Invitations: whom to invite, queuing the emails, answers, reminders, revocation."""

import re
from collections import Counter
from dataclasses import dataclass, field

from flask_babel import gettext as _
from sqlalchemy import Select, func, insert, select
from sqlalchemy.orm import selectinload

from eventhub.addresses import email_key, normalise_email
from eventhub.auth.models import User
from eventhub.errors import ConflictError, DomainError, NotFoundError
from eventhub.events.models import Event, EventOrganisation, EventStatus, ParticipationRole
from eventhub.extensions import db
from eventhub.invitations import mail as invitation_mail
from eventhub.invitations.models import (
    Invitation,
    InvitationBatch,
    InvitationResponse,
    MailOptOut,
)
from eventhub.loaders import event_child
from eventhub.mail import services as outbox
from eventhub.mail.models import OutboxMessage, OutboxStatus
from eventhub.organisations.models import Contact, Organisation
from eventhub.orm import utcnow
from eventhub.questions.models import Question
from eventhub.questions.services import AnswerSheet
from eventhub.registrations import services as registrations
from eventhub.registrations.models import Registration
from eventhub.text import clean
from eventhub.tokens import derive_token, lookup, new_salt, token_hash

MAX_TYPED_ADDRESSES = 500


class InvalidLinkError(NotFoundError):
    pass


@dataclass(frozen=True)
class Recipient:
    email: str
    name: str | None
    language: str
    contact_id: int | None = None
    organisation_id: int | None = None
    organisation_name: str | None = None


@dataclass(frozen=True)
class Skipped:
    who: str
    reason: str
    invitation_id: int | None = None


@dataclass
class InvitationPlan:
    recipients: list[Recipient] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)


# --- choosing whom to invite -----------------------------------------------------------------


def normalise_address(text: str) -> str:
    """A syntactically valid address, lower-cased; raises ValueError with the reason."""
    return normalise_email(text)


_TYPED_LINE = re.compile(r"^\s*(?:(?P<name>[^<>]*?)\s*<(?P<angle>[^<>]+)>|(?P<bare>\S+))\s*$")


def parse_typed_addresses(text: str) -> tuple[list[tuple[str | None, str]], list[Skipped]]:
    """One address per line (or separated by commas/semicolons), as 'Name <a@b>' or 'a@b'."""
    found, bad = [], []
    chunks = [c for c in re.split(r"[\n;,]+", text or "") if c.strip()]
    if len(chunks) > MAX_TYPED_ADDRESSES:
        raise DomainError(
            _("Type at most %(num)d addresses at once.", num=MAX_TYPED_ADDRESSES), field="extra"
        )
    for chunk in chunks:
        match = _TYPED_LINE.match(chunk)
        address = match and (match.group("angle") or match.group("bare"))
        try:
            if not match or not address:
                raise ValueError(_("not an email address"))
            found.append(
                (
                    clean(match.group("name")) if match.group("name") else None,
                    normalise_address(address),
                )
            )
        except ValueError as error:
            bad.append(Skipped(clean(chunk) or "", _("invalid address: %(why)s", why=error)))
    return found, bad


def plan_invitations(
    event: Event,
    organisation_ids: list[int],
    whole_organisations: bool,
    contact_ids: list[int],
    typed_addresses: str,
    typed_language: str = "es",
) -> InvitationPlan:
    """Who would receive an invitation, and who is skipped and why. Writes nothing."""
    plan = InvitationPlan()
    candidates: list[Recipient] = []
    organisations = db.session.scalars(
        select(Organisation)
        .where(Organisation.id.in_(organisation_ids or [-1]))
        .options(selectinload(Organisation.contacts))
        .order_by(Organisation.name)
    ).all()
    for organisation in organisations:
        chosen = organisation.contacts if whole_organisations else [organisation.primary_contact]
        chosen = [c for c in chosen if c is not None]
        if not chosen:
            plan.skipped.append(Skipped(organisation.name, _("no contacts in the directory")))
        candidates += [_recipient(contact, organisation) for contact in chosen]
    contacts = db.session.scalars(
        select(Contact)
        .where(Contact.id.in_(contact_ids or [-1]))
        .options(selectinload(Contact.organisation))
    ).all()
    candidates += [_recipient(contact, contact.organisation) for contact in contacts]
    typed, bad = parse_typed_addresses(typed_addresses)
    plan.skipped += bad
    language = typed_language if typed_language in {"es", "en"} else "es"
    candidates += [Recipient(email=email, name=name, language=language) for name, email in typed]

    invited = dict(
        db.session.execute(
            select(Invitation.email, Invitation.id).where(Invitation.event_id == event.id)
        ).all()
    )
    registered = registrations.registered_emails(event)
    opted_out = set(db.session.scalars(select(MailOptOut.email)))
    seen: set[str] = set()
    for recipient in candidates:
        who = f"{recipient.name} <{recipient.email}>" if recipient.name else recipient.email
        if recipient.email in seen:
            continue
        seen.add(recipient.email)
        if recipient.email in invited:
            plan.skipped.append(Skipped(who, _("already invited"), invited[recipient.email]))
        elif recipient.email in registered:
            plan.skipped.append(Skipped(who, _("already registered")))
        elif recipient.email in opted_out:
            plan.skipped.append(Skipped(who, _("asked not to receive invitations")))
        else:
            plan.recipients.append(recipient)
    return plan


def _recipient(contact: Contact, organisation: Organisation | None) -> Recipient:
    return Recipient(
        email=email_key(contact.email),
        name=contact.name,
        language=contact.language or "es",
        contact_id=contact.id,
        organisation_id=organisation.id if organisation else None,
        organisation_name=organisation.name if organisation else None,
    )


def preview_mails(
    event: Event, plan: InvitationPlan, voice: invitation_mail.Voice
) -> list[invitation_mail.Preview]:
    """The email in each language, as the first planned recipient reading it would see it
    (nobody planned in a language: addressed to no one by name). Writes nothing."""
    previews = []
    for language in ("es", "en"):
        sample = next((r for r in plan.recipients if r.language == language), None)
        previews.append(
            invitation_mail.preview(event, voice, language, sample.name if sample else None)
        )
    return previews


# --- sending ---------------------------------------------------------------------------------


def invitation_token(invitation: Invitation) -> str:
    return derive_token("invitation", invitation.event_id, invitation.token_salt)


def _check_can_invite(event: Event) -> None:
    if event.is_cancelled:
        raise ConflictError(_("The event has been cancelled: nobody can be invited."))
    if event.status != EventStatus.PUBLISHED:
        raise ConflictError(_("Publish the event before inviting: invitees read its page."))


def inviter_choices(event: Event, organiser: User) -> dict[str, list[str]]:
    """Whom an invitation may name as inviting: the host organisation (the organiser, when the
    event has none) and, when the event has co-organising organisations, them as well."""
    host = event.host_organisation
    co_organisers = list(
        db.session.scalars(
            select(Organisation.name)
            .join(EventOrganisation, EventOrganisation.organisation_id == Organisation.id)
            .where(
                EventOrganisation.event_id == event.id,
                EventOrganisation.role == ParticipationRole.CO_ORGANISER.value,
                Organisation.id != (event.host_organisation_id or -1),
            )
            .order_by(Organisation.name)
        )
    )
    choices = {"host": [host.name] if host else [organiser.name]}
    if co_organisers:
        choices["co_organisers"] = ([host.name] if host else []) + co_organisers
    return choices


def send_invitations(
    event: Event,
    plan: InvitationPlan,
    organiser: User,
    voice: invitation_mail.Voice | None = None,
) -> InvitationBatch:
    """Create the invitations and queue their emails, in the caller's transaction; ``voice``
    (the note and who invites) is kept with the sending for its resends and reminders.

    Hundreds at a time (350 organisations): the emails, the invitations and the new
    participations are written with one multi-row INSERT each, not as objects flushed one by
    one by the session."""
    _check_can_invite(event)
    if not plan.recipients:
        raise DomainError(_("Nobody to invite: choose organisations, contacts or addresses."))
    voice = voice or invitation_mail.Voice()
    batch = InvitationBatch(
        event_id=event.id,
        created_by_id=organiser.id,
        note=voice.note,
        inviters=list(voice.inviters) or None,
    )
    db.session.add(batch)
    db.session.flush()
    cache = invitation_mail.BatchCache()
    cache.prefetch_organisation_feeds(r.organisation_id for r in plan.recipients)
    invitations, mails = [], []
    for recipient in plan.recipients:
        # Not added to the session: it carries the values to the email and to the INSERT.
        invitation = Invitation(
            event=event,
            event_id=event.id,
            batch_id=batch.id,
            email=recipient.email,
            name=recipient.name,
            language=recipient.language,
            contact_id=recipient.contact_id,
            organisation_id=recipient.organisation_id,
            token_salt=new_salt(),
        )
        token = invitation_token(invitation)
        invitation.token_hash = token_hash(token)
        invitations.append(invitation)
        mails.append(invitation_mail.build(invitation, token, organiser, False, cache, voice))
    message_ids = outbox.enqueue_many(mails)
    db.session.execute(
        insert(Invitation),
        [
            {column: getattr(invitation, column) for column in _INVITATION_COLUMNS}
            | {"outbox_message_id": message_id}
            for invitation, message_id in zip(invitations, message_ids, strict=True)
        ],
    )
    _add_invited_organisations(event, [r.organisation_id for r in plan.recipients])
    return batch


_INVITATION_COLUMNS = (
    "event_id",
    "batch_id",
    "email",
    "name",
    "language",
    "contact_id",
    "organisation_id",
    "token_salt",
    "token_hash",
)


def _add_invited_organisations(event: Event, organisation_ids: list[int | None]) -> None:
    """The invitees' organisations not yet taking part join the event as invited."""
    participating = {p.organisation_id for p in event.participations}
    new = list(dict.fromkeys(i for i in organisation_ids if i and i not in participating))
    if new:
        role = ParticipationRole.INVITED.value
        db.session.execute(
            insert(EventOrganisation),
            [{"event_id": event.id, "organisation_id": i, "role": role} for i in new],
        )
        db.session.expire(event, ["participations"])


def _queue_mail(
    invitation: Invitation,
    organiser: User | None,
    reminder: bool,
    cache: invitation_mail.BatchCache | None = None,
    voice: invitation_mail.Voice | None = None,
) -> None:
    token = invitation_token(invitation)
    mail = invitation_mail.build(invitation, token, organiser, reminder, cache, voice)
    message = outbox.enqueue(mail)
    invitation.outbox_message = message


def resend(invitation: Invitation, organiser: User) -> None:
    if invitation.is_revoked:
        raise ConflictError(_("This invitation was revoked."))
    _queue_mail(invitation, organiser, reminder=False)
    db.session.flush()


def _voices(invitations: list[Invitation]) -> dict[int | None, invitation_mail.Voice]:
    """What each of these invitations' sendings said (note, inviters), in one query: a
    resend or a reminder says it again."""
    ids = {i.batch_id for i in invitations if i.batch_id is not None}
    batches = db.session.scalars(select(InvitationBatch).where(InvitationBatch.id.in_(ids)))
    voices: dict[int | None, invitation_mail.Voice] = {None: invitation_mail.Voice()}
    voices.update({batch.id: invitation_mail.Voice.of(batch) for batch in batches})
    return voices


def resend_failed(event: Event, organiser: User) -> int:
    failed = [i for i in event_invitations(event) if i.state == "failed"]
    voices = _voices(failed)
    cache = invitation_mail.BatchCache()
    for invitation in failed:
        _queue_mail(invitation, organiser, False, cache, voices.get(invitation.batch_id))
    db.session.flush()
    return len(failed)


def remind_unanswered(event: Event, organiser: User) -> int:
    _check_can_invite(event)
    waiting = [i for i in event_invitations(event) if i.state == "no_answer"]
    voices = _voices(waiting)
    cache = invitation_mail.BatchCache()
    for invitation in waiting:
        _queue_mail(invitation, organiser, True, cache, voices.get(invitation.batch_id))
        invitation.reminders_sent += 1
        invitation.last_reminded_at = utcnow()
    db.session.flush()
    return len(waiting)


def revoke(invitation: Invitation) -> None:
    """The link stops working at once; an acceptance made through it is cancelled."""
    if invitation.is_revoked:
        return
    invitation.revoked_at = utcnow()
    if invitation.registration is not None:
        registrations.cancel(invitation.registration)
    db.session.flush()


# --- the invitee's answer ---------------------------------------------------------------------


def find_by_token(token: str) -> Invitation:
    """The invitation behind a link; unknown, tampered or revoked links are all 'not valid'."""
    invitation = lookup(
        select(Invitation).options(
            selectinload(Invitation.event), selectinload(Invitation.organisation)
        ),
        Invitation.token_hash,
        token,
    )
    if invitation is None or invitation.is_revoked:
        raise InvalidLinkError(_("This link is not valid."))
    return invitation


def accept(
    invitation: Invitation,
    name: str,
    questions: list[Question] | None = None,
    answers: AnswerSheet | None = None,
) -> None:
    """Accepting registers through the registration rules: a place, or the waiting list;
    with the answers to the event's own questions, checked there (``read_answers``)."""
    registration = registrations.register(
        invitation.event,
        registrations.RegistrantData(
            name=name,
            email=invitation.email,
            language=invitation.language,
            organisation_id=invitation.organisation_id,
            questions=questions or [],
            answers=answers,
        ),
        via_invitation=True,
    )
    invitation.registration = registration
    invitation.response = InvitationResponse.ACCEPTED.value
    invitation.responded_at = utcnow()
    invitation.decline_reason = None
    db.session.flush()


def decline(invitation: Invitation, reason: str | None) -> None:
    if invitation.registration is not None:
        registrations.cancel(invitation.registration)
    invitation.response = InvitationResponse.DECLINED.value
    invitation.responded_at = utcnow()
    invitation.decline_reason = clean(reason, one_line=False)
    db.session.flush()


def follow_registration(registration: Registration) -> None:
    """An accepted invitation says what its registration says, whoever changed it.

    Cancelled (by the invitee on their page, by an organiser, or rejected): the invitation is
    no longer accepted, and its page offers to accept again. Active again (accepted anew, or
    restored by an organiser): accepted once more. A decline stays a decline.
    """
    active = registration.status in registrations.ACTIVE
    linked = select(Invitation).where(Invitation.registration_id == registration.id)
    for invitation in db.session.scalars(linked):
        if active and invitation.response == InvitationResponse.CANCELLED:
            invitation.response = InvitationResponse.ACCEPTED.value
        elif not active and invitation.response == InvitationResponse.ACCEPTED:
            invitation.response = InvitationResponse.CANCELLED.value
            invitation.responded_at = registration.cancelled_at or utcnow()
    db.session.flush()


def opt_out(email: str) -> None:
    email = email_key(email)
    if db.session.scalar(select(MailOptOut.id).where(MailOptOut.email == email)) is None:
        db.session.add(MailOptOut(email=email))
        db.session.flush()


# --- what organisers see ----------------------------------------------------------------------


def get_invitation(event: Event, invitation_id: int) -> Invitation:
    return event_child(Invitation, invitation_id, event, _("No such invitation."))


def invitations_query(event: Event) -> Select:
    return (
        select(Invitation)
        .where(Invitation.event_id == event.id)
        .options(
            selectinload(Invitation.organisation),
            selectinload(Invitation.outbox_message),
        )
    )


def event_invitations(event: Event) -> list[Invitation]:
    return list(db.session.scalars(invitations_query(event).order_by(Invitation.id)))


SORT_KEYS = {
    "name": lambda i: ((i.name or i.email).casefold(), i.id),
    "organisation": lambda i: ((i.organisation.name if i.organisation else "~").casefold(), i.id),
    "status": lambda i: (i.state, i.id),
    "date": lambda i: (i.created_at, i.id),
}


def invitation_table(event: Event, state: str | None, sort: str) -> list[Invitation]:
    rows = event_invitations(event)
    if state:
        rows = [i for i in rows if i.state == state]
    return sorted(rows, key=SORT_KEYS.get(sort, SORT_KEYS["date"]))


@dataclass
class OrganisationCount:
    name: str
    invited: int
    accepted: int
    declined: int


def counts_by_organisation(invitations: list[Invitation]) -> list[OrganisationCount]:
    counts: dict[str, Counter] = {}
    for invitation in invitations:
        if invitation.is_revoked:
            continue
        name = invitation.organisation.name if invitation.organisation else _("No organisation")
        counter = counts.setdefault(name, Counter())
        counter["invited"] += 1
        counter[invitation.response] += 1
    return [
        OrganisationCount(name, c["invited"], c["accepted"], c["declined"])
        for name, c in sorted(counts.items(), key=lambda item: item[0].casefold())
    ]


@dataclass
class BatchProgress:
    queued: int
    sent: int
    failed: int
    kept: int = 0  # no MAIL_SERVER: kept in the outbox, not sent (yet done: nothing will move)

    @property
    def done(self) -> bool:
        return self.queued == 0


def batch_progress(batch_id: int) -> BatchProgress:
    rows = db.session.execute(
        select(OutboxMessage.status, func.count())
        .join(Invitation, Invitation.outbox_message_id == OutboxMessage.id)
        .where(Invitation.batch_id == batch_id)
        .group_by(OutboxMessage.status)
    ).all()
    by_status = dict(rows)
    sent = by_status.pop(OutboxStatus.SENT.value, 0)
    failed = by_status.pop(OutboxStatus.FAILED.value, 0)
    kept = by_status.pop(OutboxStatus.KEPT.value, 0)
    return BatchProgress(queued=sum(by_status.values()), sent=sent, failed=failed, kept=kept)


def get_batch(event: Event, batch_id: int) -> InvitationBatch | None:
    batch = db.session.get(InvitationBatch, batch_id)
    return batch if batch is not None and batch.event_id == event.id else None
