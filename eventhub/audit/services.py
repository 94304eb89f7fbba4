"""The audit log: organiser actions, written in the same transaction as the change itself.

Routes say what was done through ``eventhub.activity`` (the audit package listens, see its
``__init__``); ``log`` is what that listener calls.
"""

from flask_login import current_user
from sqlalchemy import Select, select
from sqlalchemy.orm import selectinload

from eventhub.activity import one_line
from eventhub.audit.models import AuditEntry
from eventhub.auth.models import User
from eventhub.events.models import Event
from eventhub.extensions import db

SUMMARY_LENGTH = 1000


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
