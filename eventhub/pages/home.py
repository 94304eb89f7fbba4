"""The organiser's home ("/" signed in): what needs me today, from every domain it shows.

Whose events: the ones the organiser created or co-organises. An admin manages every event,
but a home listing all of them would hide what is theirs; an admin's home shows their own
events and the ones nobody else looks after (no creator and no co-organiser), which only
admins can manage. Failed mail is the mail the organiser may open and send again
(``mail.access``): an admin's home counts all of it.

Each section is one query of plain rows (grouped counts, a few columns), whatever the number
of events, registrations, invitations or messages: the page costs the same with 2 events or
200. Lists are cut at ``LIMIT`` rows; the section says how many there are in all.
"""

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Generic, TypeVar

from flask import current_app, render_template
from flask_login import current_user
from sqlalchemy import ColumnElement, Select, exists, func, or_, select

from eventhub.events import permissions
from eventhub.events.models import Event, EventManager, EventStatus
from eventhub.extensions import db
from eventhub.followup.commitments.services import today_in
from eventhub.followup.models import ACTIVE_COMMITMENT, Commitment
from eventhub.invitations.models import Invitation, InvitationResponse
from eventhub.mail import access as mail_access
from eventhub.mail import services as outbox
from eventhub.mail.models import OutboxMessage, OutboxStatus
from eventhub.organisations.models import Organisation
from eventhub.orm import utcnow
from eventhub.registrations.models import Registration, RegistrationStatus
from eventhub.registrations.services import takes_a_place

LIMIT = 20
UPCOMING_DAYS = 30
COMMITMENT_DAYS = 7  # "due this week": today and the six days after


@dataclass(frozen=True)
class EventRow:
    id: int
    title: str
    starts_at: datetime
    ends_at: datetime
    timezone: str
    status: str
    capacity: int | None = None
    taken: int = 0
    count: int = 0  # what the section counts for this event (pending, unanswered)

    @property
    def status_label(self):
        return EventStatus(self.status).label


@dataclass(frozen=True)
class CommitmentRow:
    id: int
    description: str
    due_on: date
    event_id: int
    event_title: str
    organisation: str
    overdue: bool


T = TypeVar("T")


@dataclass(frozen=True)
class Section(Generic[T]):
    rows: list[T]
    total: int  # all of them, when ``rows`` is cut at LIMIT
    items: int = 0  # sections counted per event: the sum over all events

    @property
    def more(self) -> int:
        return self.total - len(self.rows)


@dataclass(frozen=True)
class Home:
    upcoming: Section[EventRow]
    pending: Section[EventRow]
    unanswered: Section[EventRow]
    failed_mail: int
    commitments: Section[CommitmentRow]
    drafts: Section[EventRow]
    today: date
    week_ends: date


def mine(user) -> ColumnElement[bool]:
    """SQL condition on Event: the events on this organiser's home (see the module's note)."""
    own = permissions.managed_by(user.id)
    if not user.is_admin:
        return own
    nobody_else = Event.created_by_id.is_(None) & ~exists().where(EventManager.event_id == Event.id)
    return or_(own, nobody_else)


def _not_over(now: datetime) -> ColumnElement[bool]:
    """Still to be handled: not cancelled and not ended."""
    return (Event.status != EventStatus.CANCELLED.value) & (Event.ends_at > now)


_EVENT_COLUMNS = (
    Event.id,
    Event.title,
    Event.starts_at,
    Event.ends_at,
    Event.timezone,
    Event.status,
)


def _event(row, **more) -> EventRow:
    return EventRow(
        id=row.id,
        title=row.title,
        starts_at=row.starts_at,
        ends_at=row.ends_at,
        timezone=row.timezone,
        status=row.status,
        **more,
    )


def _section(stmt: Select, make, items=None) -> Section:
    """The first LIMIT rows of ``stmt`` and the count of all (and the sum of ``items``), in
    one query: window functions over the whole result."""
    stmt = stmt.add_columns(func.count().over().label("total"))
    if items is not None:
        stmt = stmt.add_columns(func.sum(items).over().label("items"))
    found = db.session.execute(stmt.limit(LIMIT)).all()
    if not found:
        return Section([], 0)
    return Section(
        [make(row) for row in found],
        found[0].total,
        int(found[0].items or 0) if items is not None else 0,
    )


def upcoming(user, now: datetime) -> Section[EventRow]:
    """Events starting in the next 30 days (or under way), with the places taken."""
    taken = (
        select(Registration.event_id, func.count().label("taken"))
        .where(takes_a_place())
        .group_by(Registration.event_id)
        .subquery()
    )
    stmt = (
        select(*_EVENT_COLUMNS, Event.capacity, func.coalesce(taken.c.taken, 0).label("taken"))
        .outerjoin(taken, taken.c.event_id == Event.id)
        .where(mine(user), _not_over(now), Event.starts_at < now + timedelta(days=UPCOMING_DAYS))
        .order_by(Event.starts_at, Event.id)
    )
    return _section(stmt, lambda row: _event(row, capacity=row.capacity, taken=row.taken))


def _counted_per_event(user, now: datetime, joined: Select) -> Section[EventRow]:
    """``joined``: the statement of the rows counted, joined to Event and filtered."""
    stmt = (
        joined.add_columns(*_EVENT_COLUMNS, func.count().label("count"))
        .where(mine(user), _not_over(now))
        .group_by(*_EVENT_COLUMNS)
        .order_by(Event.starts_at, Event.id)
    )
    return _section(stmt, lambda row: _event(row, count=row.count), items=func.count())


def awaiting_approval(user, now: datetime) -> Section[EventRow]:
    """Per event, the registrations waiting for an organiser's yes or no."""
    return _counted_per_event(
        user,
        now,
        select()
        .select_from(Registration)
        .join(Event, Event.id == Registration.event_id)
        .where(Registration.status == RegistrationStatus.PENDING.value),
    )


# What the invitations page shows as delivered (``Invitation.state``): mail neither pending
# nor failed.
_DELIVERED = (OutboxStatus.SENT.value, OutboxStatus.KEPT.value)


def without_answer(user, now: datetime) -> Section[EventRow]:
    """Per event, the invitations delivered and not answered: in SQL, what
    ``Invitation.state`` calls "no_answer" (the invitations page's filter of that name)."""
    return _counted_per_event(
        user,
        now,
        select()
        .select_from(Invitation)
        .join(Event, Event.id == Invitation.event_id)
        .join(OutboxMessage, OutboxMessage.id == Invitation.outbox_message_id)
        .where(
            Invitation.revoked_at.is_(None),
            Invitation.response == InvitationResponse.PENDING.value,
            OutboxMessage.status.in_(_DELIVERED),
        ),
    )


def failed_mail(user) -> int:
    return db.session.execute(
        select(func.count())
        .select_from(OutboxMessage)
        .where(outbox.failed_not_resent(), mail_access.readable_condition(user))
    ).scalar_one()


def commitments_due(user, today: date) -> Section[CommitmentRow]:
    """Open or in-progress commitments of my events, overdue or due within the week."""
    stmt = (
        select(
            Commitment.id,
            Commitment.description,
            Commitment.due_on,
            Event.id.label("event_id"),
            Event.title.label("event_title"),
            Organisation.name.label("organisation"),
        )
        .join(Event, Event.id == Commitment.event_id)
        .join(Organisation, Organisation.id == Commitment.organisation_id)
        .where(
            mine(user),
            Commitment.status.in_(ACTIVE_COMMITMENT),
            Commitment.due_on < today + timedelta(days=COMMITMENT_DAYS),
        )
        .order_by(Commitment.due_on, Commitment.id)
    )
    return _section(
        stmt,
        lambda row: CommitmentRow(
            id=row.id,
            description=row.description,
            due_on=row.due_on,
            event_id=row.event_id,
            event_title=row.event_title,
            organisation=row.organisation,
            overdue=row.due_on < today,
        ),
    )


def drafts(user) -> Section[EventRow]:
    stmt = (
        select(*_EVENT_COLUMNS)
        .where(mine(user), Event.status == EventStatus.DRAFT.value)
        .order_by(Event.starts_at, Event.id)
    )
    return _section(stmt, _event)


def organiser_home(user, now: datetime, today: date) -> Home:
    return Home(
        upcoming=upcoming(user, now),
        pending=awaiting_approval(user, now),
        unanswered=without_answer(user, now),
        failed_mail=failed_mail(user),
        commitments=commitments_due(user, today),
        drafts=drafts(user),
        today=today,
        week_ends=today + timedelta(days=COMMITMENT_DAYS - 1),
    )


def home_page() -> str:
    # Commitments are due on a day, not at an instant: "today" is the organisation's, the
    # default zone of its events.
    today = today_in(current_app.config["DEFAULT_EVENT_TIMEZONE"])
    home = organiser_home(current_user._get_current_object(), utcnow(), today)
    return render_template("main/home.html", home=home)
