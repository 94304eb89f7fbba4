"""Who a message reaches: the chosen audiences, narrowed by organisation, one email each.

Registrants come first, then invitees, then the organisations' contacts: a person in several
audiences is written to once, as the first of them, and the others are listed as duplicates.
An address that asked for no more of our mail (``MailOptOut``) is skipped, except by a
message to registrants: that one is about their own registration.
A fixed number of queries whatever the audience's size (350 organisations, 1,000 people).
"""

from dataclasses import dataclass, field
from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import select

from eventhub.errors import DomainError
from eventhub.events.models import Event, EventOrganisation
from eventhub.extensions import db
from eventhub.invitations.models import Invitation, InvitationResponse, MailOptOut
from eventhub.messages.models import Audience
from eventhub.organisations.models import Contact, Organisation
from eventhub.orm import utcnow
from eventhub.registrations.models import Registration, RegistrationStatus

REGISTRANT_AUDIENCES = frozenset(
    {
        Audience.CONFIRMED,
        Audience.WAITING,
        Audience.AWAITING_APPROVAL,
        Audience.CHECKED_IN,
        Audience.ABSENT,
    }
)
INVITEE_AUDIENCES = frozenset({Audience.NOT_ANSWERED, Audience.DECLINED})
# The registration statuses an audience reads: the rest (cancelled, rejected, …) hear nothing.
_STATUSES = {
    Audience.CONFIRMED: RegistrationStatus.CONFIRMED,
    Audience.WAITING: RegistrationStatus.WAITING,
    Audience.AWAITING_APPROVAL: RegistrationStatus.PENDING,
    Audience.CHECKED_IN: RegistrationStatus.CONFIRMED,
    Audience.ABSENT: RegistrationStatus.CONFIRMED,
}
_RESPONSES = {
    Audience.NOT_ANSWERED: InvitationResponse.PENDING,
    Audience.DECLINED: InvitationResponse.DECLINED,
}


@dataclass(frozen=True)
class Choice:
    """What the organiser ticked. Empty ``contact_roles`` or ``organisation_ids``: all."""

    audiences: frozenset[Audience]
    contact_roles: frozenset[str] = frozenset()
    organisation_ids: frozenset[int] = frozenset()


@dataclass
class Person:
    email: str
    name: str
    language: str
    audience: Audience
    registration: Registration | None = None
    invitation: Invitation | None = None

    @property
    def about_own_registration(self) -> bool:
        return self.audience in REGISTRANT_AUDIENCES


@dataclass(frozen=True)
class Skipped:
    who: str
    reason: str


@dataclass
class Plan:
    recipients: list[Person] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)

    def count_by_reason(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for skipped in self.skipped:
            counts[skipped.reason] = counts.get(skipped.reason, 0) + 1
        return counts


def check_choice(event: Event, choice: Choice, now: datetime | None = None) -> None:
    if not choice.audiences:
        raise DomainError(_("Choose who receives the message."), field="audiences")
    if Audience.ABSENT in choice.audiences and event.ends_at > (now or utcnow()):
        raise DomainError(_("Nobody is absent yet: the event has not ended."), field="audiences")


def _registrant_audience(registration: Registration, chosen: frozenset[Audience]):
    """The first chosen audience the registration belongs to, in the form's order."""
    for audience in Audience:
        if audience not in chosen or audience not in _STATUSES:
            continue
        if registration.status != _STATUSES[audience]:
            continue
        checked_in = registration.checked_in_at is not None
        if audience == Audience.CHECKED_IN and not checked_in:
            continue
        if audience == Audience.ABSENT and checked_in:
            continue
        return audience
    return None


def _registrants(event: Event, choice: Choice) -> list[Person]:
    chosen = choice.audiences & REGISTRANT_AUDIENCES
    if not chosen:
        return []
    stmt = (
        select(Registration)
        .where(
            Registration.event_id == event.id,
            Registration.status.in_({_STATUSES[a].value for a in chosen}),
        )
        .order_by(Registration.id)
    )
    if choice.organisation_ids:
        stmt = stmt.where(Registration.organisation_id.in_(choice.organisation_ids))
    people = []
    for registration in db.session.scalars(stmt):
        audience = _registrant_audience(registration, chosen)
        if audience is not None:
            people.append(
                Person(
                    # A walk-in may have no address: the plan lists them as skipped.
                    registration.email or "",
                    registration.name,
                    registration.language,
                    audience,
                    registration=registration,
                )
            )
    return people


def _invitees(event: Event, choice: Choice) -> list[Person]:
    chosen = choice.audiences & INVITEE_AUDIENCES
    if not chosen:
        return []
    audience_of = {_RESPONSES[a].value: a for a in chosen}
    stmt = (
        select(Invitation)
        .where(
            Invitation.event_id == event.id,
            Invitation.revoked_at.is_(None),
            Invitation.response.in_(audience_of),
        )
        .order_by(Invitation.id)
    )
    if choice.organisation_ids:
        stmt = stmt.where(Invitation.organisation_id.in_(choice.organisation_ids))
    return [
        Person(
            invitation.email,
            invitation.name or "",
            invitation.language,
            audience_of[invitation.response],
            invitation=invitation,
        )
        for invitation in db.session.scalars(stmt)
    ]


def _contacts(event: Event, choice: Choice) -> list[Person]:
    if Audience.CONTACTS not in choice.audiences:
        return []
    stmt = (
        select(Contact)
        .join(EventOrganisation, EventOrganisation.organisation_id == Contact.organisation_id)
        .where(EventOrganisation.event_id == event.id)
        .order_by(Contact.organisation_id, Contact.is_primary.desc(), Contact.id)
    )
    if choice.contact_roles:
        stmt = stmt.where(EventOrganisation.role.in_(choice.contact_roles))
    if choice.organisation_ids:
        stmt = stmt.where(Contact.organisation_id.in_(choice.organisation_ids))
    contacts = list(db.session.scalars(stmt))
    if not contacts:
        return []
    # Their personal link: the registration or invitation they hold for this event, if any.
    emails = {contact.email for contact in contacts}
    registrations = {
        r.email: r
        for r in db.session.scalars(
            select(Registration).where(
                Registration.event_id == event.id, Registration.email.in_(emails)
            )
        )
    }
    invitations = {
        i.email: i
        for i in db.session.scalars(
            select(Invitation).where(
                Invitation.event_id == event.id,
                Invitation.revoked_at.is_(None),
                Invitation.email.in_(emails),
            )
        )
    }
    return [
        Person(
            contact.email,
            contact.name,
            contact.language or "es",
            Audience.CONTACTS,
            registration=registrations.get(contact.email),
            invitation=invitations.get(contact.email),
        )
        for contact in contacts
    ]


def plan(event: Event, choice: Choice) -> Plan:
    """Who receives the message and who is skipped, and why. Writes nothing."""
    check_choice(event, choice)
    candidates = _registrants(event, choice) + _invitees(event, choice) + _contacts(event, choice)
    may_opt_out = {p.email for p in candidates if not p.about_own_registration}
    opted_out = (
        set(db.session.scalars(select(MailOptOut.email).where(MailOptOut.email.in_(may_opt_out))))
        if may_opt_out
        else set()
    )
    result = Plan()
    seen: dict[str, Person] = {}
    for person in candidates:
        key = (person.email or "").strip().lower()
        who = f"{person.name} <{person.email}>" if person.name else person.email
        if "@" not in key:
            result.skipped.append(Skipped(person.name or "—", _("no email address")))
        elif key in seen:
            first = seen[key].audience.label
            result.skipped.append(
                Skipped(who, _("duplicate: already written to as %(audience)s", audience=first))
            )
        elif key in opted_out and not person.about_own_registration:
            result.skipped.append(Skipped(who, _("asked not to receive our mail")))
        else:
            seen[key] = person
            result.recipients.append(person)
    return result


def organisations_to_narrow(event: Event) -> list[Organisation]:
    """The organisations an audience can be narrowed to: those taking part, and those of the
    event's registrants and invitees."""
    ids = (
        select(EventOrganisation.organisation_id)
        .where(EventOrganisation.event_id == event.id)
        .union(
            select(Registration.organisation_id).where(Registration.event_id == event.id),
            select(Invitation.organisation_id).where(Invitation.event_id == event.id),
        )
    )
    return list(
        db.session.scalars(
            select(Organisation).where(Organisation.id.in_(ids)).order_by(Organisation.name)
        )
    )
