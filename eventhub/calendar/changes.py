"""Keep calendar versions right whatever changes an event: SEQUENCE and DTSTAMP.

A flush hook rather than calls sprinkled over the services, so no service can forget: any
change to an event, its agenda, its speakers or its organisations marks the event changed,
and changes that matter to attendees raise the SEQUENCE of what calendars already hold.
"""

from sqlalchemy import event as sa_event
from sqlalchemy import inspect
from sqlalchemy.orm import Session

from eventhub.agenda.models import AgendaItem, AgendaItemSpeaker
from eventhub.events.models import Event, EventOrganisation
from eventhub.orm import utcnow

EVENT_FIELDS_ATTENDEES_SEE = (
    "title",
    "starts_at",
    "ends_at",
    "timezone",
    "venue_name",
    "venue_address",
    "status",
)
ITEM_FIELDS_ATTENDEES_SEE = ("title", "starts_at", "ends_at", "location")


def _changed(obj, fields) -> bool:
    state = inspect(obj)
    return any(state.attrs[name].history.has_changes() for name in fields)


def _owning_event(obj) -> Event | None:
    if isinstance(obj, Event):
        return obj
    if isinstance(obj, AgendaItem | EventOrganisation):
        return obj.event
    if isinstance(obj, AgendaItemSpeaker) and obj.item is not None:
        return obj.item.event
    return None


def _fields_attendees_see(obj) -> tuple[str, ...]:
    if isinstance(obj, Event):
        return EVENT_FIELDS_ATTENDEES_SEE
    if isinstance(obj, AgendaItem):
        return ITEM_FIELDS_ATTENDEES_SEE
    return ()


@sa_event.listens_for(Session, "before_flush")
def track_calendar_changes(session: Session, flush_context, instances) -> None:
    # session.dirty is rebuilt on every access: read it once, or a large flush turns quadratic.
    dirty = session.dirty
    for obj in dirty:
        fields = _fields_attendees_see(obj)
        if fields and _changed(obj, fields):
            obj.sequence = (obj.sequence or 0) + 1
    deleted = session.deleted
    touched: set[Event] = set()
    for obj in (*session.new, *dirty, *deleted):
        if obj in dirty and not session.is_modified(obj):
            continue
        event = _owning_event(obj)
        if event is not None and event not in deleted:
            touched.add(event)
    now = utcnow()
    for event in touched:
        event.content_changed_at = now
