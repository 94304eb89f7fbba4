"""Commitments: who does what by when, and every status change with its note."""

from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from flask_babel import gettext as _
from sqlalchemy import Row, Select, select
from sqlalchemy.orm import selectinload

from eventhub.auth.models import User
from eventhub.errors import DomainError, NotFoundError
from eventhub.events.models import Event, EventOrganisation
from eventhub.extensions import db
from eventhub.followup.models import (
    ACTIVE_COMMITMENT,
    Commitment,
    CommitmentLink,
    CommitmentStatus,
    CommitmentUpdate,
)
from eventhub.invitations.models import Invitation
from eventhub.loaders import event_child
from eventhub.organisations.models import Contact, Organisation
from eventhub.orm import utcnow
from eventhub.text import clean
from eventhub.tokens import derive_token, lookup, new_salt, token_hash

DESCRIPTION_MAX = 2000
NOTE_MAX = 2000


def today_in(zone: str) -> date:
    return datetime.now(ZoneInfo(zone)).date()


@dataclass
class CommitmentData:
    description: str | None
    organisation_id: int | None
    contact_id: int | None = None
    due_on: date | None = None


def _owner(data: CommitmentData) -> tuple[Organisation, Contact | None]:
    organisation = db.session.get(Organisation, data.organisation_id or 0)
    if organisation is None:
        raise DomainError(_("Choose the organisation that owns it."), field="organisation_id")
    contact = None
    if data.contact_id is not None:
        contact = db.session.get(Contact, data.contact_id)
        if contact is None or contact.organisation_id != organisation.id:
            raise DomainError(
                _("The contact must belong to the owning organisation."), field="contact_id"
            )
    return organisation, contact


def _description(text: str | None) -> str:
    description = clean(text, one_line=False)
    if not description:
        raise DomainError(_("Say what was agreed."), field="description")
    if len(description) > DESCRIPTION_MAX:
        raise DomainError(
            _("At most %(max)d characters.", max=DESCRIPTION_MAX), field="description"
        )
    return description


def create_commitment(event: Event, data: CommitmentData, author: User) -> Commitment:
    organisation, contact = _owner(data)
    commitment = Commitment(
        event=event,
        organisation=organisation,
        contact=contact,
        description=_description(data.description),
        due_on=data.due_on,
        status=CommitmentStatus.OPEN.value,
        created_by_id=author.id,
    )
    commitment.updates.append(CommitmentUpdate(status=commitment.status, by_user_id=author.id))
    db.session.add(commitment)
    db.session.flush()
    return commitment


def is_past_due(event: Event, due_on: date | None) -> bool:
    """A past due date is allowed (minutes are often typed up late) but worth a warning."""
    return due_on is not None and due_on < today_in(event.timezone)


def update_commitment(commitment: Commitment, data: CommitmentData) -> Commitment:
    organisation, contact = _owner(data)
    commitment.organisation = organisation
    commitment.contact = contact
    commitment.description = _description(data.description)
    commitment.due_on = data.due_on
    db.session.flush()
    return commitment


def get_commitment(event: Event, commitment_id: int) -> Commitment:
    return event_child(Commitment, commitment_id, event, _("No such commitment."))


def delete_commitment(commitment: Commitment) -> None:
    db.session.delete(commitment)
    db.session.flush()


def change_status(
    commitment: Commitment,
    status: str,
    note: str | None,
    *,
    user: User | None = None,
    contact: Contact | None = None,
) -> CommitmentUpdate:
    try:
        new_status = CommitmentStatus(status)
    except ValueError:
        raise DomainError(_("Choose a status."), field="status") from None
    note = clean(note, one_line=False)
    if note and len(note) > NOTE_MAX:
        raise DomainError(_("At most %(max)d characters.", max=NOTE_MAX), field="note")
    if new_status.value == commitment.status and not note:
        raise DomainError(_("Nothing changed: choose another status or add a note."), "status")
    update = CommitmentUpdate(
        status=new_status.value,
        note=note,
        by_user_id=user.id if user else None,
        by_contact_id=contact.id if contact else None,
    )
    commitment.status = new_status.value
    commitment.updated_at = utcnow()
    commitment.updates.append(update)
    db.session.flush()
    return update


# --- lists -------------------------------------------------------------------------------------


@dataclass
class CommitmentFilters:
    organisation_id: int | None = None
    status: str | None = None
    overdue: bool = False


def _with_details(stmt: Select) -> Select:
    return stmt.options(
        selectinload(Commitment.organisation),
        selectinload(Commitment.contact),
        selectinload(Commitment.event),
        selectinload(Commitment.updates).selectinload(CommitmentUpdate.by_user),
        selectinload(Commitment.updates).selectinload(CommitmentUpdate.by_contact),
    )


def commitments_query(filters: CommitmentFilters, today: date | None = None) -> Select:
    """Commitments matching the filters; ``today`` says what is overdue, when that is asked."""
    stmt = select(Commitment)
    if filters.organisation_id:
        stmt = stmt.where(Commitment.organisation_id == filters.organisation_id)
    if filters.status in {s.value for s in CommitmentStatus}:
        stmt = stmt.where(Commitment.status == filters.status)
    if filters.overdue:
        if today is None:
            raise ValueError("the overdue filter needs today's date")
        stmt = stmt.where(Commitment.status.in_(ACTIVE_COMMITMENT), Commitment.due_on < today)
    # Undated commitments last; then by due date, oldest first.
    return _with_details(stmt).order_by(
        Commitment.due_on.is_(None), Commitment.due_on, Commitment.id
    )


def event_commitments(event: Event) -> list[Commitment]:
    stmt = _with_details(select(Commitment).where(Commitment.event_id == event.id))
    return list(db.session.scalars(stmt.order_by(Commitment.id)))


def organisation_commitments(organisation: Organisation) -> list[Commitment]:
    stmt = commitments_query(CommitmentFilters(organisation_id=organisation.id))
    return list(db.session.scalars(stmt))


def likely_owner_contacts(event: Event) -> list[Row]:
    """Contacts (id, name, organisation) of the organisations taking part, invited, or already
    owning one of the event's commitments: the likely owners of a new one."""
    involved = select(EventOrganisation.organisation_id).where(
        EventOrganisation.event_id == event.id
    )
    invited = select(Invitation.organisation_id).where(
        Invitation.event_id == event.id, Invitation.organisation_id.is_not(None)
    )
    owners = select(Commitment.organisation_id).where(Commitment.event_id == event.id)
    stmt = (
        select(Contact.id, Contact.name, Organisation.name.label("organisation"))
        .join(Contact.organisation)
        .where(Contact.organisation_id.in_(involved.union(invited, owners)))
        .order_by(Organisation.name, Contact.name)
    )
    return list(db.session.execute(stmt))


# --- the owner's personal link -----------------------------------------------------------------


def link_token(link: CommitmentLink) -> str:
    return derive_token("commitments", link.contact_id, link.token_salt)


def ensure_link(contact: Contact) -> str:
    """The contact's working link; a revoked one is replaced by a new one."""
    link = db.session.scalar(select(CommitmentLink).where(CommitmentLink.contact_id == contact.id))
    if link is None:
        link = CommitmentLink(contact=contact)
        db.session.add(link)
    if link.revoked_at is not None or not link.token_salt:
        link.token_salt = new_salt()
        link.revoked_at = None
    link.token_hash = token_hash(derive_token("commitments", contact.id, link.token_salt))
    db.session.flush()
    return link_token(link)


def find_link(token: str) -> CommitmentLink:
    link = lookup(
        select(CommitmentLink).options(selectinload(CommitmentLink.contact)),
        CommitmentLink.token_hash,
        token,
    )
    if link is None or link.revoked_at is not None:
        raise NotFoundError(_("This link is not valid."))
    return link


def revoke_link(contact: Contact) -> bool:
    link = db.session.scalar(select(CommitmentLink).where(CommitmentLink.contact_id == contact.id))
    if link is None or link.revoked_at is not None:
        return False
    link.revoked_at = utcnow()
    db.session.flush()
    return True


def active_links(organisation: Organisation) -> list[CommitmentLink]:
    stmt = (
        select(CommitmentLink)
        .join(CommitmentLink.contact)
        .where(Contact.organisation_id == organisation.id, CommitmentLink.revoked_at.is_(None))
        .options(selectinload(CommitmentLink.contact))
    )
    return list(db.session.scalars(stmt))


def commitment_for_link(link: CommitmentLink, commitment_id: int) -> Commitment:
    commitment = db.session.get(Commitment, commitment_id)
    if commitment is None or commitment.organisation_id != link.contact.organisation_id:
        raise NotFoundError(_("No such commitment."))
    return commitment
