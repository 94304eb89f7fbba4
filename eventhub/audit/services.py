"""The audit log: organiser actions, written in the same transaction as the change itself.

Routes call ``log(action, summary, event=...)`` right after the service call that changes
something and before their single commit, so a refused or failed change leaves no entry
(the rollback takes it away) and a committed change always has one.
"""

from collections.abc import Iterable
from datetime import date, datetime
from enum import Enum

from flask_login import current_user
from sqlalchemy import Select, select
from sqlalchemy.orm import selectinload

from eventhub.audit.models import AuditEntry
from eventhub.auth.models import User
from eventhub.events.models import Event
from eventhub.extensions import db

SUMMARY_LENGTH = 1000
VALUE_LENGTH = 80


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
        summary=_one_line(summary)[:SUMMARY_LENGTH],
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


def counted(number: int, singular: str, plural: str) -> str:
    """'1 invitation', '3 invitations'. Summaries are a record kept in English (field names,
    addresses, as written at the time), but their counts still agree with their nouns."""
    return f"{number} {singular if number == 1 else plural}"


def _one_line(text: str) -> str:
    return " ".join(str(text).split())


def _show(value) -> str:
    if value is None or value == "":
        return "—"
    if isinstance(value, Enum):
        value = value.value
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M UTC")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, str):
        text = _one_line(value)
        return f"“{text[:VALUE_LENGTH]}…”" if len(text) > VALUE_LENGTH else f"“{text}”"
    return str(value)


def snapshot(obj, fields: Iterable[str]) -> dict:
    """The values of ``fields`` now, to compare after the change."""
    return {name: getattr(obj, name) for name in fields}


def _comparable(value):
    # Text stored before line endings were normalised may hold CRLF; it is the same text.
    if isinstance(value, str):
        return value.replace("\r\n", "\n").replace("\r", "\n")
    return value


def _changed(before: dict, obj) -> list[tuple[str, object, object]]:
    return [
        (name, old, getattr(obj, name))
        for name, old in before.items()
        if _comparable(getattr(obj, name)) != _comparable(old)
    ]


def changes(before: dict, obj) -> str:
    """``field: old → new`` for each field that changed since ``snapshot``."""
    parts = [f"{name}: {_show(old)} → {_show(new)}" for name, old, new in _changed(before, obj)]
    return "; ".join(parts) or "no change"


def encode(value):
    """A value as JSON for ``details``: instants and days tagged, enums by their value."""
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, datetime):
        return {"at": value.isoformat()}
    if isinstance(value, date):
        return {"day": value.isoformat()}
    if isinstance(value, str) and len(value) > 4 * VALUE_LENGTH:
        return value[: 4 * VALUE_LENGTH]  # the page shows the first 80 characters
    return value


def change_details(before: dict, obj, kind: str, subject: str | None = None) -> dict:
    """``details`` for an edit: the changed fields of a ``kind`` of form (audit/display.py)."""
    details: dict = {
        "kind": kind,
        "changes": [[name, encode(old), encode(new)] for name, old, new in _changed(before, obj)],
    }
    if subject:
        details["subject"] = subject
    return details


def entries_query(event_id: int | None = None, user_id: int | None = None) -> Select:
    stmt = select(AuditEntry).options(selectinload(AuditEntry.user), selectinload(AuditEntry.event))
    if event_id is not None:
        stmt = stmt.where(AuditEntry.event_id == event_id)
    if user_id is not None:
        stmt = stmt.where(AuditEntry.user_id == user_id)
    return stmt.order_by(AuditEntry.created_at.desc(), AuditEntry.id.desc())
