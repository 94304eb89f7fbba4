"""A programme's events and commitments, as its page and its downloads list them."""

from datetime import date

from sqlalchemy import func, select

from eventhub.events.models import Event
from eventhub.extensions import db
from eventhub.followup.commitments.services import CommitmentFilters, commitments_query
from eventhub.followup.models import Commitment
from eventhub.organisations.models import Organisation


def programme_events(programme_id: int) -> list[Event]:
    stmt = select(Event).where(Event.programme_id == programme_id).order_by(Event.starts_at)
    return list(db.session.scalars(stmt))


def programme_commitments(
    programme_id: int, filters: CommitmentFilters, today: date
) -> list[Commitment]:
    stmt = commitments_query(filters, today).join(Commitment.event)
    return list(db.session.scalars(stmt.where(Event.programme_id == programme_id)))


def programme_owners(programme_id: int) -> list[tuple[int, str]]:
    """Organisations that own a commitment in the programme, for the owner filter."""
    stmt = (
        select(Organisation.id, Organisation.name)
        .join(Commitment, Commitment.organisation_id == Organisation.id)
        .join(Event, Commitment.event_id == Event.id)
        .where(Event.programme_id == programme_id)
        .group_by(Organisation.id, Organisation.name)
        .order_by(func.lower(Organisation.name))
    )
    return [(row.id, row.name) for row in db.session.execute(stmt)]
