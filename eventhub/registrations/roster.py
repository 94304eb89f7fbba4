"""The participants page's list: one page of plain rows, searched and filtered, and the count
per status of everyone who matches. A constant number of queries at any size of event.

The rows are plain tuples of the columns the table shows, not ORM objects: at 3,000 people
building and tracking registrations with their organisations cost more than the whole page
needs (bench/PARTICIPANTS.md).
"""

from dataclasses import dataclass
from functools import cache
from typing import Any

from flask_babel import gettext as _
from flask_babel import ngettext
from flask_sqlalchemy.pagination import Pagination
from sqlalchemy import Select, func, select

from eventhub.events.models import Event
from eventhub.extensions import db
from eventhub.listing import paginate_rows
from eventhub.organisations.models import Organisation
from eventhub.registrations import answers, services
from eventhub.registrations.models import Registration, RegistrationStatus
from eventhub.text import search_term


@dataclass(frozen=True)
class Search:
    """What the organiser asked the list for; each part may be empty."""

    status: str | None  # one of RegistrationStatus's values
    q: str | None
    answer: answers.AnswerFilter | None

    @property
    def narrows_people(self) -> bool:
        """True when it keeps some people out whatever their status."""
        return bool(search_term(self.q)) or self.answer is not None


@dataclass(frozen=True)
class Roster:
    # items: rows of id, name, email, job_title, organisation, status, walk_in, needs
    page: Pagination
    matching: dict[str, int]  # status → people matching the search but its status
    counts: dict[str, int]  # status → everyone registered for the event


def _from_registrations(*columns: Any) -> Select:
    return (
        select(*columns)
        .select_from(Registration)
        .outerjoin(Organisation, Organisation.id == Registration.organisation_id)
    )


def _matching(stmt: Select, event: Event, search: Search, status: str | None) -> Select:
    stmt = services.narrowed(stmt.where(Registration.event_id == event.id), status, search.q)
    return answers.filtered(stmt, search.answer)


def matching_counts(event: Event, search: Search) -> dict[str, int]:
    """Everyone the search finds, by status, in one grouped count (the status asked for is
    left out, so the other statuses still say how many they hold)."""
    stmt = _from_registrations(Registration.status, func.count()).group_by(Registration.status)
    rows = db.session.execute(_matching(stmt, event, search, None)).all()
    return {status.value: 0 for status in RegistrationStatus} | {row[0]: row[1] for row in rows}


def roster(event: Event, search: Search, per_page_setting: str) -> Roster:
    counts = services.status_counts(event)
    matching = matching_counts(event, search) if search.narrows_people else counts
    total = matching.get(search.status, 0) if search.status else sum(matching.values())
    rows = _from_registrations(
        Registration.id,
        Registration.name,
        Registration.email,
        Registration.job_title,
        func.coalesce(Organisation.name, Registration.organisation_name).label("organisation"),
        Registration.status,
        Registration.walk_in,
        Registration.needs,
    )
    stmt = _matching(rows, event, search, search.status).order_by(*services.participant_order())
    return Roster(paginate_rows(stmt, per_page_setting, total), matching, counts)


def organisation_lines(rows: list[tuple[str, int, int]]) -> list[str]:
    """ "Name: 3 confirmed, 1 waiting" per organisation (rows of services.counts_by_organisation),
    the words of each number translated once: an event of 300 organisations asked the
    catalogue 900 times, a third of the page's time."""
    line = _("%(name)s: %(confirmed)s, %(waiting)s")
    confirmed = cache(lambda num: ngettext("%(num)d confirmed", "%(num)d confirmed", num))
    waiting = cache(lambda num: ngettext("%(num)d waiting", "%(num)d waiting", num))
    return [
        line % {"name": name, "confirmed": confirmed(yes), "waiting": waiting(wait)}
        for name, yes, wait in rows
    ]
