"""Attendance by organisation across a programme: who was invited, registered, came.

Only events already held count towards "came" and "never came": nobody can have come to an
event that has not happened, nor to one that was cancelled. Hosts and co-organisers are listed
with their role even when nobody from them was invited or registered.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from typing import cast

from sqlalchemy import Result, func, select

from eventhub.events.models import (
    Event,
    EventOrganisation,
    EventStatus,
    ParticipationRole,
    Programme,
)
from eventhub.extensions import db
from eventhub.invitations.models import Invitation
from eventhub.organisations.models import Organisation
from eventhub.orm import utcnow
from eventhub.registrations.models import Registration, RegistrationStatus

ORGANISING_ROLES = (ParticipationRole.HOST.value, ParticipationRole.CO_ORGANISER.value)


@dataclass
class Cell:
    invited: int = 0
    registered: int = 0
    attended: int = 0
    role: str | None = None  # host or co-organiser of the event

    @property
    def has_people(self) -> bool:
        return bool(self.invited or self.registered)

    @property
    def role_label(self):
        return ParticipationRole(self.role).label if self.role else None


@dataclass
class OrganisationRow:
    organisation: Organisation
    cells: dict[int, Cell] = field(default_factory=dict)
    held: frozenset[int] = frozenset()  # the programme's events that have taken place

    def cell(self, event_id: int) -> Cell:
        return self.cells.get(event_id, Cell())

    @property
    def events_attended(self) -> int:
        """Held events someone from the organisation was checked in at."""
        return sum(1 for key, cell in self.cells.items() if key in self.held and cell.attended)

    @property
    def events_expected(self) -> int:
        """Held events the organisation was invited or registered to."""
        return sum(1 for key, cell in self.cells.items() if key in self.held and cell.has_people)

    @property
    def never_came(self) -> bool:
        return self.events_expected > 0 and self.events_attended == 0


@dataclass
class AttendanceTable:
    events: list[Event]
    rows: list[OrganisationRow]
    held: frozenset[int] = frozenset()


def programme_attendance(programme: Programme) -> AttendanceTable:
    """Three grouped queries, whatever the number of events and organisations."""
    events = list(
        db.session.scalars(
            select(Event).where(Event.programme_id == programme.id).order_by(Event.starts_at)
        )
    )
    event_ids = [event.id for event in events] or [-1]
    now = utcnow()
    held = frozenset(
        event.id
        for event in events
        if event.status != EventStatus.CANCELLED and event.starts_at <= now
    )
    cells: dict[int, dict[int, Cell]] = defaultdict(dict)

    organising = db.session.execute(
        select(
            EventOrganisation.organisation_id, EventOrganisation.event_id, EventOrganisation.role
        ).where(
            EventOrganisation.event_id.in_(event_ids),
            EventOrganisation.role.in_(ORGANISING_ROLES),
        )
    )
    for organisation_id, event_id, role in organising:
        cells[organisation_id].setdefault(event_id, Cell()).role = role
    for event in events:  # the event's own host field, when not also listed as a participant
        if event.host_organisation_id is not None:
            cell = cells[event.host_organisation_id].setdefault(event.id, Cell())
            cell.role = cell.role or ParticipationRole.HOST.value

    invited = db.session.execute(
        select(Invitation.organisation_id, Invitation.event_id, func.count())
        .where(
            Invitation.event_id.in_(event_ids),
            Invitation.organisation_id.is_not(None),
            Invitation.revoked_at.is_(None),
        )
        .group_by(Invitation.organisation_id, Invitation.event_id)
    )
    # The rows are for an organisation (filtered above): the column's type keeps None.
    for organisation_id, event_id, count in cast("Result[int, int, int]", invited):
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
    for organisation_id, event_id, count, attended in cast(
        "Result[int, int, int, int]", registered
    ):
        cell = cells[organisation_id].setdefault(event_id, Cell())
        cell.registered, cell.attended = count, attended

    organisations = db.session.scalars(
        select(Organisation).where(Organisation.id.in_(list(cells) or [-1]))
    ).all()
    rows = [OrganisationRow(o, cells[o.id], held) for o in organisations]
    rows.sort(key=lambda row: (-row.events_attended, row.organisation.name.casefold()))
    return AttendanceTable(events=events, rows=rows, held=held)
