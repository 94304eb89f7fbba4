"""Who may read an outbox message's body and send it again.

Every organiser follows delivery (recipient, subject, status), but a body holds the
recipient's personal links (answer an invitation, cancel a registration, opt out), so only
the managers of the message's event, and admins, read it or resend it. The mail layer does
not know events: it asks through ``managed_events``, and the events domain answers.
"""

from blinker import Namespace
from sqlalchemy import ColumnElement, Select, exists, false, or_, select, true

from eventhub.extensions import db
from eventhub.mail.models import OutboxMessage

_signals = Namespace()

#: Sent with the signed-in (non-admin) user as sender; a receiver returns a SELECT of the
#: ids of the events that user manages.
managed_events = _signals.signal("managed-events")


def readable_condition(user) -> ColumnElement[bool]:
    """SQL condition: the messages whose body ``user`` may read."""
    if getattr(user, "is_admin", False):
        return true()
    if not getattr(user, "is_authenticated", False):
        return false()
    selects: list[Select] = [
        answer for _, answer in managed_events.send(user) if answer is not None
    ]
    if not selects:
        return false()  # nobody answers for events: only admins read bodies
    return or_(*(OutboxMessage.event_id.in_(stmt) for stmt in selects))


def can_read_body(user, message: OutboxMessage) -> bool:
    if getattr(user, "is_admin", False):
        return True
    if message.event_id is None:
        return False
    return bool(
        db.session.scalar(
            select(exists().where(OutboxMessage.id == message.id, readable_condition(user)))
        )
    )
