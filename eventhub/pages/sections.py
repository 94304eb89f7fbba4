"""The figures of an event's management sections, read in one statement.

The manager's event page and the pages of its sections (agenda, invitations, participants,
the door, follow-up) share one sub-navigation, ``templates/events/_sections.html``, and
each tab shows its count. The counts come from several domains, so they are composed here,
above them all, as one SELECT of scalar subqueries: one statement per page whatever the
size of the event, remembered for the rest of the request.
"""

from dataclasses import dataclass
from functools import cache

from flask import g
from sqlalchemy import Integer, Select, bindparam, func, select

from eventhub.agenda.models import AgendaItem
from eventhub.extensions import db
from eventhub.followup.models import Commitment
from eventhub.invitations.models import Invitation, InvitationResponse
from eventhub.orm import UTCDateTime, utcnow
from eventhub.registrations.models import Registration, RegistrationStatus


@dataclass(frozen=True)
class SectionCounts:
    agenda_items: int
    invitations: int
    invitations_answered: int
    invitations_pending: int
    confirmed: int
    waiting: int
    awaiting_approval: int
    places_taken: int
    checked_in: int
    commitments: int

    @property
    def participants(self) -> int:
        """Everyone the participants page counts as coming or hoping to: confirmed (walk-ins
        too), on the waiting list or awaiting approval."""
        return self.confirmed + self.waiting + self.awaiting_approval


def _count(model, *conditions):
    return select(func.count()).select_from(model).where(*conditions).scalar_subquery()


@cache
def _counts_statement() -> Select:
    """Built once: the event and the present instant are bound per request."""
    event_id = bindparam("event_id", type_=Integer())
    now = bindparam("now", type_=UTCDateTime())
    reg, status = Registration, Registration.status
    invitation_live = (Invitation.event_id == event_id, Invitation.revoked_at.is_(None))
    pending = InvitationResponse.PENDING.value
    return select(
        _count(AgendaItem, AgendaItem.event_id == event_id),
        _count(Invitation, *invitation_live),
        _count(Invitation, *invitation_live, Invitation.response != pending),
        _count(Invitation, *invitation_live, Invitation.response == pending),
        _count(reg, reg.event_id == event_id, status == RegistrationStatus.CONFIRMED.value),
        _count(reg, reg.event_id == event_id, status == RegistrationStatus.WAITING.value),
        _count(reg, reg.event_id == event_id, status == RegistrationStatus.PENDING.value),
        # As registrations.services.places_taken counts them: walk-ins hold no place.
        _count(
            reg,
            reg.event_id == event_id,
            reg.walk_in.is_(False),
            (status == RegistrationStatus.CONFIRMED.value)
            | ((status == RegistrationStatus.HELD.value) & (reg.hold_expires_at > now)),
        ),
        _count(
            reg,
            reg.event_id == event_id,
            status == RegistrationStatus.CONFIRMED.value,
            reg.checked_in_at.is_not(None),
        ),
        _count(Commitment, Commitment.event_id == event_id),
    )


def section_counts(event_id: int) -> SectionCounts:
    """The counts for this event, one statement per request."""
    cached = g.setdefault("section_counts", {})
    if event_id not in cached:
        row = db.session.execute(_counts_statement(), {"event_id": event_id, "now": utcnow()}).one()
        cached[event_id] = SectionCounts(*(int(value) for value in row))
    return cached[event_id]
