"""What an organiser did, said by the route that did it, for whoever keeps the record.

The audit log sits above the domains whose routes change things, so they cannot call it. A
route calls ``log(action, summary, event=...)`` right after the service call and before its
single commit; the audit domain listens to ``organiser_acted`` and writes its entry in the
same transaction, so a refused or failed change leaves no entry (the rollback takes it away)
and a committed change always has one.

``summary`` is a plain record in English; ``details`` (see audit/display.py) is what the log
page tells each reader in their language: ``subject``, ``changes`` with their form ``kind``,
``value`` as ``[kind, value]``, ``count`` as ``[noun, number]``. The helpers below build both
from the objects a route holds, without knowing who keeps them.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from enum import Enum

from blinker import Namespace

VALUE_LENGTH = 80

_signals = Namespace()

organiser_acted = _signals.signal(
    "organiser-acted",
    doc="Sent with the action's name (e.g. 'event.edit') as sender and ``summary``, ``event`` "
    "(or None for the directory) and ``details`` as keywords, inside the transaction that "
    "made the change.",
)


def log(action: str, summary: str = "", event=None, details: dict | None = None) -> None:
    """Say that the signed-in organiser did ``action``; the audit log records it."""
    organiser_acted.send(action, summary=summary, event=event, details=details)


@dataclass(frozen=True)
class Done:
    """An action to ``log``, for a route that hands it to ``routing.commit_change``."""

    action: str
    summary: str = ""
    event: object = None
    details: dict | None = None

    def log(self) -> None:
        log(self.action, self.summary, self.event, self.details)


def counted(number: int, singular: str, plural: str) -> str:
    """'1 invitation', '3 invitations'. Summaries are a record kept in English (field names,
    addresses, as written at the time), but their counts still agree with their nouns."""
    return f"{number} {singular if number == 1 else plural}"


def one_line(text: str) -> str:
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
        text = one_line(value)
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
