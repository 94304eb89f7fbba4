"""The audit log: organiser actions, written in the same transaction as the change itself.

Routes say what was done through ``eventhub.activity`` (the audit package listens, see its
``__init__``); ``log`` is what that listener calls.
"""

from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import Select, select
from sqlalchemy.orm import selectinload

from eventhub.activity import one_line
from eventhub.audit.models import AuditEntry
from eventhub.auth.models import User
from eventhub.events.models import Event
from eventhub.extensions import db

SUMMARY_LENGTH = 1000

ACTION_LABELS = {
    "event.create": _l("Event created"),
    "event.edit": _l("Event edited"),
    "event.publish": _l("Event published"),
    "event.unpublish": _l("Event unpublished"),
    "event.cancel": _l("Event cancelled"),
    "event.organisation": _l("Participating organisation set"),
    "event.organisation_remove": _l("Participating organisation removed"),
    "event.co_organiser_add": _l("Co-organiser added"),
    "event.co_organiser_remove": _l("Co-organiser removed"),
    "agenda.add": _l("Agenda item added"),
    "agenda.edit": _l("Agenda item edited"),
    "agenda.delete": _l("Agenda item deleted"),
    "agenda.shift": _l("Agenda items moved"),
    "invitations.send": _l("Invitations sent"),
    "invitations.resend": _l("Invitation sent again"),
    "invitations.resend_failed": _l("Failed invitations sent again"),
    "invitations.remind": _l("Reminders sent"),
    "invitations.revoke": _l("Invitation revoked"),
    "registration.approve": _l("Registration approved"),
    "registration.reject": _l("Registration rejected"),
    "registration.promote": _l("Moved from the waiting list"),
    "registration.wait": _l("Moved to the waiting list"),
    "registration.cancel": _l("Registration cancelled"),
    "registration.toggle": _l("Registration closed or reopened"),
    "registration.check_in": _l("Arrival checked in"),
    "registration.undo_check_in": _l("Arrival undone"),
    "minutes.save": _l("Minutes saved"),
    "material.add": _l("File uploaded"),
    "material.edit": _l("File details edited"),
    "material.delete": _l("File deleted"),
    "commitment.add": _l("Commitment added"),
    "commitment.edit": _l("Commitment edited"),
    "commitment.status": _l("Commitment status changed"),
    "commitment.delete": _l("Commitment deleted"),
    "commitment_link.revoke": _l("Commitment link revoked"),
    "followup.send": _l("Follow-up mail sent"),
    "programme.create": _l("Programme created"),
    "programme.edit": _l("Programme edited"),
    "speaker.create": _l("Speaker added"),
    "speaker.edit": _l("Speaker edited"),
    "speaker.delete": _l("Speaker removed"),
    "organisation.create": _l("Organisation created"),
    "organisation.edit": _l("Organisation edited"),
    "organisation.delete": _l("Organisation deleted"),
    "organisation.import": _l("Organisations imported"),
    "contact.create": _l("Contact created"),
    "contact.edit": _l("Contact edited"),
    "contact.delete": _l("Contact deleted"),
    "user.create": _l("Account created"),
    "user.activate": _l("Account reactivated"),
    "user.deactivate": _l("Account deactivated"),
    "user.password_reset": _l("Password reset by an admin"),
}


def record(
    user: User | None,
    action: str,
    summary: str = "",
    event: Event | None = None,
    details: dict | None = None,
):
    entry = AuditEntry(
        user_id=user.id if user is not None else None,
        user_email=user.email if user is not None else None,
        action=action,
        event_id=event.id if event is not None else None,
        summary=one_line(summary)[:SUMMARY_LENGTH],
        details=details,
    )
    db.session.add(entry)
    db.session.flush()
    return entry


def log(
    action: str, summary: str = "", event: Event | None = None, details: dict | None = None
) -> AuditEntry:
    """``record`` for the signed-in organiser of the current request.

    ``summary`` is a plain record in English; ``details`` (see audit/display.py) is what the
    log page tells each reader in their language: ``subject``, ``changes`` with their form
    ``kind``, ``value`` as ``[kind, value]``, ``count`` as ``[noun, number]``.
    """
    user = current_user if getattr(current_user, "is_authenticated", False) else None
    user = user._get_current_object() if user is not None else None
    return record(user, action, summary, event, details)


def entries_query(event_id: int | None = None, user_id: int | None = None) -> Select:
    stmt = select(AuditEntry).options(selectinload(AuditEntry.user), selectinload(AuditEntry.event))
    if event_id is not None:
        stmt = stmt.where(AuditEntry.event_id == event_id)
    if user_id is not None:
        stmt = stmt.where(AuditEntry.user_id == user_id)
    return stmt.order_by(AuditEntry.created_at.desc(), AuditEntry.id.desc())
