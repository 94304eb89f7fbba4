"""Which events each calendar shows, private feed tokens, and answering polls cheaply."""

import hashlib
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import cached_property
from zoneinfo import ZoneInfo

from flask_babel import gettext as _
from sqlalchemy import Select, func, select
from sqlalchemy.orm import joinedload, selectinload
from sqlalchemy.orm.attributes import set_committed_value
from werkzeug.http import http_date, quote_etag

from eventhub.agenda.models import AgendaItem, AgendaItemSpeaker
from eventhub.calendar.feeds import FeedKind, feed_query, lists_feed
from eventhub.calendar.models import FeedToken
from eventhub.errors import NotFoundError
from eventhub.events.models import Event, EventKind, EventOrganisation, EventStatus
from eventhub.events.services import publicly_listed
from eventhub.extensions import db
from eventhub.organisations.models import Organisation
from eventhub.orm import utcnow
from eventhub.people.models import Speaker
from eventhub.tokens import derive_token, lookup, new_salt, token_hash

FEED_HISTORY = timedelta(days=90)


@dataclass(frozen=True)
class FeedFilters:
    programme_id: int | None = None
    kind: str | None = None


def in_feed_window(stmt: Select) -> Select:
    """Feeds show the past 90 days and everything to come."""
    return stmt.where(Event.ends_at >= utcnow() - FEED_HISTORY)


def public_feed_query(filters: FeedFilters) -> Select:
    stmt = in_feed_window(publicly_listed())
    if filters.programme_id:
        stmt = stmt.where(Event.programme_id == filters.programme_id)
    if filters.kind in {kind.value for kind in EventKind}:
        stmt = stmt.where(Event.kind == filters.kind)
    return stmt


@lists_feed(FeedKind.ORGANISATION)
def organisation_feed_query(organisation_id: int) -> Select:
    """Every event the organisation is invited to or takes part in, once published."""
    return in_feed_window(
        select(Event).where(
            Event.status != EventStatus.DRAFT.value,
            Event.published_at.is_not(None),
            Event.id.in_(
                select(EventOrganisation.event_id).where(
                    EventOrganisation.organisation_id == organisation_id
                )
            ),
        )
    )


@lists_feed(FeedKind.ORGANISER)
def organiser_feed_query(user_id: int) -> Select:
    """The events an organiser manages, drafts included: it is their working calendar."""
    from eventhub.events.permissions import managed_by

    return in_feed_window(select(Event).where(managed_by(user_id)))


def calendar_events(stmt: Select) -> list[Event]:
    """The events a calendar shows, with everything it prints about them, in two queries
    however many events: the events, then all their agenda items with speakers joined.

    Loading the agenda items ourselves costs half what ORM subquery loads did for a small
    feed; selectin loads would split the events into chunks of 500 (more queries with more
    events).
    """
    events = list(db.session.scalars(stmt.order_by(Event.starts_at, Event.id)))
    if not events:
        return []
    items = db.session.scalars(
        select(AgendaItem)
        .where(AgendaItem.event_id.in_(stmt.with_only_columns(Event.id).order_by(None)))
        .options(
            joinedload(AgendaItem.speakers)
            .joinedload(AgendaItemSpeaker.speaker)
            .joinedload(Speaker.organisation)
        )
        .order_by(AgendaItem.event_id, AgendaItem.starts_at, AgendaItem.ends_at, AgendaItem.id)
    ).unique()
    agendas: dict[int, list[AgendaItem]] = {event.id: [] for event in events}
    for item in items:
        if item.event_id in agendas:  # not an event that appeared between the two queries
            agendas[item.event_id].append(item)
    for event in events:
        set_committed_value(event, "agenda_items", agendas[event.id])
    return events


@dataclass(frozen=True)
class FeedVersion:
    etag: str
    last_modified: datetime | None

    @cached_property
    def etag_header(self) -> str:
        return quote_etag(self.etag)

    @cached_property
    def last_modified_header(self) -> str | None:
        return http_date(self.last_modified) if self.last_modified else None


def feed_version(stmt: Select, *salt: str) -> FeedVersion:
    """What a poll compares against, from one query and without building any ICS.

    The ETag covers the listed events (count, ids, SEQUENCE), the latest change to any event
    and to any speaker or organisation (feeds show their names); Last-Modified is the latest
    of those changes, so an event leaving the feed (unpublished, uninvited) counts.
    """
    # Aggregates computed by the database: a poll costs the same with 10 or 10,000 events.
    # Any change to any event moves the latest change, so the ETag can only err on the side
    # of sending the calendar again; count and sums notice events entering or leaving.
    changes = [
        select(func.max(column)).correlate(None).scalar_subquery()
        for column in (Event.content_changed_at, Speaker.updated_at, Organisation.updated_at)
    ]
    count, ids, sequences, *stamps = db.session.execute(
        stmt.with_only_columns(
            func.count(Event.id),
            func.coalesce(func.sum(Event.id), 0),
            func.coalesce(func.sum(Event.sequence), 0),
            *changes,
        ).order_by(None)
    ).one()
    known = [stamp for stamp in stamps if stamp is not None]
    last_modified = max(known) if known else None
    fingerprint = "|".join(
        [*salt, str(count), str(ids), str(sequences)]
        + [stamp.isoformat() if stamp else "-" for stamp in stamps]
    )
    etag = hashlib.sha256(fingerprint.encode()).hexdigest()[:32]
    return FeedVersion(etag=etag, last_modified=last_modified)


# --- private feed tokens ----------------------------------------------------------------------


def _token_for(kind: str, owner: int | str, salt: str) -> str:
    return derive_token(f"feed:{kind}", owner, salt)


OWNER_COLUMNS = {
    FeedKind.ORGANISATION: "organisation_id",
    FeedKind.ORGANISER: "user_id",
    FeedKind.REGISTRANT: "email",
}


def _active_token_query(kind: FeedKind, owner: int | str) -> Select:
    column = getattr(FeedToken, OWNER_COLUMNS[kind])
    return select(FeedToken).where(
        FeedToken.kind == kind, column == owner, FeedToken.revoked_at.is_(None)
    )


def rotate_feed_token(kind: FeedKind, owner: int | str) -> str:
    """Revoke the current URL (it answers 404 from now on) and make a new one.

    ``owner`` is an organisation id, a user id or, for registrants, an email address.
    """
    for row in db.session.scalars(_active_token_query(kind, owner)):
        row.revoked_at = utcnow()
    salt = new_salt()
    token = _token_for(kind, owner, salt)
    row = FeedToken(kind=kind.value, salt=salt, token_hash=token_hash(token))
    setattr(row, OWNER_COLUMNS[kind], owner)
    db.session.add(row)
    db.session.flush()
    return token


def resolve_feed(token: str) -> FeedToken:
    """The active feed behind a token; unknown, rotated or revoked tokens are not found."""
    row = lookup(
        select(FeedToken)
        .where(FeedToken.revoked_at.is_(None))
        .options(selectinload(FeedToken.organisation), selectinload(FeedToken.user)),
        FeedToken.token_hash,
        token,
    )
    if row is None or (row.kind == FeedKind.ORGANISER and not (row.user and row.user.active)):
        raise NotFoundError(_("No such calendar feed."))
    return row


def feed_query_for(feed: FeedToken) -> tuple[Select, str]:
    target = feed_target(feed)
    return target_query(target), target.name


@dataclass(frozen=True)
class FeedTarget:
    """What a private feed shows, without its rows: cacheable between polls."""

    feed_id: int
    kind: str
    owner: int | str
    name: str


def feed_target(feed: FeedToken) -> FeedTarget:
    # Each kind of feed row holds its owner in its own column.
    if feed.kind == FeedKind.REGISTRANT:
        assert feed.email is not None
        return FeedTarget(feed.id, feed.kind, feed.email, _("My events"))
    if feed.kind == FeedKind.ORGANISATION:
        organisation = feed.organisation
        assert organisation is not None
        return FeedTarget(feed.id, feed.kind, organisation.id, organisation.name)
    user = feed.user
    assert user is not None
    name = _("Events managed by %(name)s", name=user.name)
    return FeedTarget(feed.id, feed.kind, user.id, name)


def target_query(target: FeedTarget) -> Select:
    return feed_query(target.kind, target.owner)


# --- month view -------------------------------------------------------------------------------


def month_bounds(year: int, month: int) -> tuple[date, date]:
    first = date(year, month, 1)
    following = date(year + (month == 12), month % 12 + 1, 1)
    return first, following


@dataclass
class MonthGrid:
    weeks: list[list[date]]  # Monday to Sunday, from the week of the 1st
    by_day: dict[date, list[tuple[Event, bool]]]  # the flag: the event starts that day
    following: date  # the 1st of the next month


def month_grid(first: date, zone: ZoneInfo, filters: FeedFilters, everything: bool) -> MonthGrid:
    """The month starting on ``first`` in ``zone``: every event for organisers
    (``everything``), the published public ones for everyone else."""
    _, following = month_bounds(first.year, first.month)
    stmt = select(Event) if everything else publicly_listed()
    if filters.programme_id:
        stmt = stmt.where(Event.programme_id == filters.programme_id)
    if filters.kind:
        stmt = stmt.where(Event.kind == filters.kind)
    start = datetime.combine(first, time.min, tzinfo=zone).astimezone(UTC)
    end = datetime.combine(following, time.min, tzinfo=zone).astimezone(UTC)
    events = db.session.scalars(
        stmt.where(Event.starts_at < end, Event.ends_at > start).order_by(Event.starts_at)
    ).all()
    # Each day an event spans shows it; the start time only on its first day.
    by_day: dict[date, list[tuple[Event, bool]]] = {}
    for event in events:
        local_zone = ZoneInfo(event.timezone)
        start_day = day = event.starts_at.astimezone(local_zone).date()
        last = (event.ends_at - timedelta(microseconds=1)).astimezone(local_zone).date()
        while day <= last:
            if first <= day < following:
                by_day.setdefault(day, []).append((event, day == start_day))
            day += timedelta(days=1)
    weeks = []
    day = first - timedelta(days=first.weekday())
    while day < following:
        weeks.append([day + timedelta(days=n) for n in range(7)])
        day += timedelta(days=7)
    return MonthGrid(weeks, by_day, following)


def active_feed_tokens(kind: FeedKind, owners) -> dict:
    """``active_feed_token`` for many owners in one query: {owner: token} for those with one."""
    column = getattr(FeedToken, OWNER_COLUMNS[kind])
    rows = db.session.execute(
        select(column, FeedToken.salt).where(
            FeedToken.kind == kind, column.in_(list(owners)), FeedToken.revoked_at.is_(None)
        )
    )
    return {owner: _token_for(kind, owner, salt) for owner, salt in rows}


def active_feed_token(kind: FeedKind, owner: int | str) -> str | None:
    """The current token, or None when no feed was created (showing a page creates nothing)."""
    row = db.session.scalar(_active_token_query(kind, owner))
    return _token_for(kind, owner, row.salt) if row else None
