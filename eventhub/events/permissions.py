"""Who may manage an event: the one rule every event-scoped organiser route goes through.

Admins manage every event. Any other organiser manages the events they created and those to
which they were added as co-organiser. An event without a creator (created from the command
line, or whose creator's account was deleted) is managed by admins only.

Reading stays shared: every signed-in organiser sees the events list, event pages and the
directory (organisations, speakers, programmes, outbox). Management routes of an event the
organiser does not manage answer 403 with a page that says why (not 404: the event page itself
is readable by them, so hiding its existence would be inconsistent).

Routes call ``managed_event(event_id)`` instead of ``get_event(event_id)``, or
``require_manager(event)`` when they reach the event some other way (a check-in code).
"""

from flask import abort
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import ColumnElement, Select, exists, or_, select

from eventhub.auth.models import User
from eventhub.errors import ConflictError, DomainError, NotFoundError
from eventhub.events.models import Event, EventManager
from eventhub.extensions import db
from eventhub.mail import access as mail_access


def _is_manager_row(event_id: int, user_id: int) -> bool:
    return bool(
        db.session.scalar(
            select(
                exists().where(EventManager.event_id == event_id, EventManager.user_id == user_id)
            )
        )
    )


def can_manage(user, event: Event) -> bool:
    """Whether ``user`` (a User, flask-login's anonymous user or None) manages ``event``."""
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    if user.is_admin or (event.created_by_id is not None and event.created_by_id == user.id):
        return True
    return _is_manager_row(event.id, user.id)


def require_manager(event: Event, user=None) -> Event:
    """The event, or a 403 page when the signed-in organiser does not manage it."""
    if not can_manage(current_user if user is None else user, event):
        abort(
            403,
            description=_(
                "You do not manage this event. Ask its creator, one of its co-organisers "
                "or an administrator to add you as a co-organiser."
            ),
        )
    return event


def managed_event(event_id: int) -> Event:
    """The event for a management route: 404 when it does not exist, 403 when not managed."""
    event = db.session.get(Event, event_id)
    if event is None:
        abort(404, description=_("No such event."))
    return require_manager(event)


def managed_by(user_id: int) -> ColumnElement[bool]:
    """SQL condition: the events this (non-admin) user manages, for queries over events."""
    return or_(
        Event.created_by_id == user_id,
        Event.id.in_(select(EventManager.event_id).where(EventManager.user_id == user_id)),
    )


@mail_access.managed_events.connect
def _events_managed_for_outbox(user) -> Select:
    """The outbox lets an event's managers read its messages (the same rule as here)."""
    return select(Event.id).where(managed_by(user.id))


# --- co-organisers ------------------------------------------------------------------------------


def co_organisers(event: Event) -> list[User]:
    return list(
        db.session.scalars(
            select(User)
            .join(EventManager, EventManager.user_id == User.id)
            .where(EventManager.event_id == event.id)
            .order_by(User.name, User.id)
        )
    )


def co_organiser_candidates(event: Event) -> list[tuple[int, str]]:
    """Active organiser accounts that do not manage the event yet (admins manage it anyway)."""
    already = select(EventManager.user_id).where(EventManager.event_id == event.id)
    stmt = (
        select(User)
        .where(User.active.is_(True), User.is_admin.is_(False), User.id.not_in(already))
        .order_by(User.name, User.id)
    )
    if event.created_by_id is not None:
        stmt = stmt.where(User.id != event.created_by_id)
    return [(user.id, f"{user.name} <{user.email}>") for user in db.session.scalars(stmt)]


def add_co_organiser(event: Event, user_id: int) -> User:
    user = db.session.get(User, user_id)
    if user is None or not user.active:
        raise NotFoundError(_("No such active organiser account."), field="user_id")
    if user.id == event.created_by_id or _is_manager_row(event.id, user.id):
        raise ConflictError(_("%(name)s already manages this event.", name=user.name))
    db.session.add(EventManager(event_id=event.id, user_id=user.id))
    db.session.flush()
    return user


def remove_co_organiser(event: Event, user_id: int, acting_user: User) -> User:
    """Drop a co-organiser; the creator can be taken off only by an admin."""
    user = db.session.get(User, user_id)
    if user is None:
        raise NotFoundError(_("No such user."))
    if event.created_by_id == user.id:
        if not acting_user.is_admin:
            raise DomainError(_("The creator of an event cannot be removed from it."))
        event.created_by_id = None
        db.session.flush()
        return user
    row = db.session.scalar(
        select(EventManager).where(
            EventManager.event_id == event.id, EventManager.user_id == user.id
        )
    )
    if row is None:
        raise NotFoundError(_("%(name)s is not a co-organiser of this event.", name=user.name))
    db.session.delete(row)
    db.session.flush()
    return user
