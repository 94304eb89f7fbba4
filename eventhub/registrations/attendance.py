"""Attendance by organisation across a programme: who was invited, registered, came."""

from collections import defaultdict
from dataclasses import dataclass, field

from sqlalchemy import func, select

from eventhub.events.models import Event, Programme
from eventhub.extensions import db
from eventhub.invitations.models import Invitation
from eventhub.organisations.models import Organisation
from eventhub.registrations.models import Registration, RegistrationStatus


@dataclass
class Cell:
    invited: int = 0
    registered: int = 0
    attended: int = 0


@dataclass
class OrganisationRow:
    organisation: Organisation
    cells: dict[int, Cell] = field(default_factory=dict)

    def cell(self, event_id: int) -> Cell:
        return self.cells.get(event_id, Cell())

    @property
    def events_attended(self) -> int:
        return sum(1 for cell in self.cells.values() if cell.attended)

    @property
    def events_invited(self) -> int:
        return sum(1 for cell in self.cells.values() if cell.invited)


@dataclass
class AttendanceTable:
    events: list[Event]
    rows: list[OrganisationRow]


def programme_attendance(programme: Programme) -> AttendanceTable:
    """Three grouped queries, whatever the number of events and organisations."""
    events = list(
        db.session.scalars(
            select(Event).where(Event.programme_id == programme.id).order_by(Event.starts_at)
        )
    )
    event_ids = [event.id for event in events] or [-1]
    cells: dict[int, dict[int, Cell]] = defaultdict(dict)

    invited = db.session.execute(
        select(Invitation.organisation_id, Invitation.event_id, func.count())
        .where(
            Invitation.event_id.in_(event_ids),
            Invitation.organisation_id.is_not(None),
            Invitation.revoked_at.is_(None),
        )
        .group_by(Invitation.organisation_id, Invitation.event_id)
    )
    for organisation_id, event_id, count in invited:
        cells[organisation_id].setdefault(event_id, Cell()).invited = count

    registered = db.session.execute(
        select(
            Registration.organisation_id,
            Registration.event_id,
            func.count(),
            func.count(Registration.checked_in_at),
        )
        .where(
            Registration.event_id.in_(event_ids),
            Registration.organisation_id.is_not(None),
            Registration.status == RegistrationStatus.CONFIRMED.value,
        )
        .group_by(Registration.organisation_id, Registration.event_id)
    )
    for organisation_id, event_id, count, attended in registered:
        cell = cells[organisation_id].setdefault(event_id, Cell())
        cell.registered, cell.attended = count, attended

    organisations = db.session.scalars(
        select(Organisation).where(Organisation.id.in_(list(cells) or [-1]))
    ).all()
    rows = [OrganisationRow(o, cells[o.id]) for o in organisations]
    rows.sort(key=lambda row: (-row.events_attended, row.organisation.name.casefold()))
    return AttendanceTable(events=events, rows=rows)
