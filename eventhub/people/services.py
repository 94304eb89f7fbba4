"""Speakers: the directory of people who speak, moderate or host at events."""

from dataclasses import dataclass

from flask_babel import gettext as _
from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import selectinload

from eventhub.errors import ConflictError, DomainError, NotFoundError
from eventhub.extensions import db
from eventhub.organisations.models import Organisation
from eventhub.people import signals
from eventhub.people.models import Speaker
from eventhub.text import clean, search_term

NAME_MAX = 120
TITLE_MAX = 200
AFFILIATION_MAX = 200
BIO_MAX = 2000
EMAIL_MAX = 254


@dataclass
class SpeakerData:
    """What an organiser enters about a speaker."""

    name: str
    title: str | None = None
    organisation_id: int | None = None
    affiliation: str | None = None
    bio: str | None = None
    email: str | None = None


def _same(a: str | None, b: str | None) -> bool:
    return (clean(a) or "").casefold() == (clean(b) or "").casefold()


def _check_length(value: str | None, limit: int, field: str) -> None:
    if value is not None and len(value) > limit:
        raise DomainError(
            _("Use at most %(num)d characters.", num=limit),
            field=field,
        )


def get_speaker(speaker_id: int) -> Speaker:
    speaker = db.session.get(Speaker, speaker_id)
    if speaker is None:
        raise NotFoundError(_("No such speaker."))
    return speaker


def find_duplicate(
    name: str, organisation_id: int | None, affiliation: str | None, exclude: Speaker | None
) -> Speaker | None:
    """Another speaker with the same name and the same organisation (or affiliation), if any.

    Names and affiliations are compared ignoring case and extra spaces, in Python, because
    SQLite's ``lower()`` only folds ASCII and the names here are often accented.
    """
    stmt = select(Speaker)
    if organisation_id is not None:
        stmt = stmt.where(Speaker.organisation_id == organisation_id)
    else:
        stmt = stmt.where(Speaker.organisation_id.is_(None))
    if exclude is not None and exclude.id is not None:
        stmt = stmt.where(Speaker.id != exclude.id)
    for candidate in db.session.scalars(stmt):
        if not _same(candidate.name, name):
            continue
        if organisation_id is not None or _same(candidate.affiliation, affiliation):
            return candidate
    return None


def _apply(speaker: Speaker | None, data: SpeakerData) -> dict:
    """Check everything first and return the new values; nothing is changed on refusal."""
    name = clean(data.name)
    if not name:
        raise DomainError(_("Give the speaker's name."), field="name")
    title = clean(data.title)
    affiliation = clean(data.affiliation)
    bio = clean(data.bio, one_line=False)
    email = clean(data.email)
    _check_length(name, NAME_MAX, "name")
    _check_length(title, TITLE_MAX, "title")
    _check_length(affiliation, AFFILIATION_MAX, "affiliation")
    _check_length(bio, BIO_MAX, "bio")
    _check_length(email, EMAIL_MAX, "email")
    if data.organisation_id is not None:
        if db.session.get(Organisation, data.organisation_id) is None:
            raise DomainError(
                _("Unknown organisation. Choose one from the list."), field="organisation_id"
            )
        if affiliation:
            raise DomainError(
                _("Choose an organisation from the directory or type an affiliation, not both."),
                field="affiliation",
            )
    duplicate = find_duplicate(name, data.organisation_id, affiliation, exclude=speaker)
    if duplicate is not None:
        raise ConflictError(
            _(
                "%(name)s is already in the directory with the same organisation. "
                "Edit that entry instead of adding a duplicate.",
                name=duplicate.name,
            ),
            field="name",
        )
    return {
        "name": name,
        "title": title,
        "organisation_id": data.organisation_id,
        "affiliation": affiliation,
        "bio": bio,
        "email": email,
    }


def create_speaker(data: SpeakerData) -> Speaker:
    speaker = Speaker(**_apply(None, data))
    db.session.add(speaker)
    db.session.flush()
    return speaker


def update_speaker(speaker: Speaker, data: SpeakerData) -> Speaker:
    for key, value in _apply(speaker, data).items():
        setattr(speaker, key, value)
    db.session.flush()
    return speaker


def bookings_of(speaker: Speaker) -> list:
    """Where the speaker is booked (agenda items, drafts' included), as the agenda says."""
    return [
        booking
        for _receiver, bookings in signals.bookings_wanted.send(speaker)
        for booking in bookings
    ]


def delete_speaker(speaker: Speaker) -> None:
    """Delete the speaker, first taking it off the agenda items that list it."""
    signals.deleting.send(speaker)
    db.session.delete(speaker)
    db.session.flush()


def speakers_of_organisation(organisation_id: int) -> int:
    """How many speakers belong to the organisation (kept without it if it is deleted)."""
    count = db.session.scalar(
        select(func.count(Speaker.id)).where(Speaker.organisation_id == organisation_id)
    )
    return count or 0


def list_speakers_query(q: str | None = None) -> Select:
    """Speakers by name; ``q`` matches the name, the directory organisation or the affiliation."""
    stmt = select(Speaker).outerjoin(Speaker.organisation)
    q = search_term(q)
    if q:
        stmt = stmt.where(
            or_(
                Speaker.name.icontains(q, autoescape=True),
                Speaker.affiliation.icontains(q, autoescape=True),
                Organisation.name.icontains(q, autoescape=True),
            )
        )
    return stmt.options(selectinload(Speaker.organisation)).order_by(Speaker.name, Speaker.id)


def speaker_page_query(speaker_id: int) -> Select:
    return (
        select(Speaker).where(Speaker.id == speaker_id).options(selectinload(Speaker.organisation))
    )


def speaker_choices() -> list[tuple[int, str]]:
    """(id, "name — organisation") of every speaker, for select boxes."""
    stmt = select(Speaker).options(selectinload(Speaker.organisation)).order_by(Speaker.name)
    return [
        (s.id, f"{s.name} — {s.organisation_name}" if s.organisation_name else s.name)
        for s in db.session.scalars(stmt)
    ]
