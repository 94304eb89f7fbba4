"""Telling people what changed: the time or the place moved, or the event is cancelled.

The events domain does not know who comes: it sends ``signals.event_changed`` with the plain
data of the change, and the domains that hold people for the event (registrations,
invitations) answer with the notices for their own people, built by ``eventhub.notices`` so
that every notice reads the same. ``people_to_tell`` asks the same domains how many they
would tell, for the forms.
"""

from dataclasses import dataclass
from datetime import datetime

from eventhub.events import signals
from eventhub.events.models import Event
from eventhub.extensions import db
from eventhub.formatting import event_time_range


@dataclass(frozen=True)
class AttendeeView:
    """What people coming know of the event: when and where."""

    starts_at: datetime
    ends_at: datetime
    timezone: str
    venue: str | None

    @classmethod
    def of(cls, event: Event) -> "AttendeeView":
        venue = ", ".join(p for p in (event.venue_name, event.venue_address) if p) or None
        return cls(event.starts_at, event.ends_at, event.timezone, venue)

    def when(self) -> str:
        return f"{event_time_range(self.starts_at, self.ends_at, self.timezone)} ({self.timezone})"


# eq=False: one change is one object, so the notices can keep what they build for it (the
# .ics in each language) keyed by it, shared by every domain that tells its people.
@dataclass(frozen=True, eq=False)
class EventChange:
    before: AttendeeView
    after: AttendeeView
    cancelled: bool

    @property
    def time_changed(self) -> bool:
        return (self.before.starts_at, self.before.ends_at, self.before.timezone) != (
            self.after.starts_at,
            self.after.ends_at,
            self.after.timezone,
        )

    @property
    def venue_changed(self) -> bool:
        return self.before.venue != self.after.venue


def people_to_tell(event: Event) -> int:
    return sum(count for _receiver, count in signals.count_people_to_tell.send(event))


def notify_change(event: Event, before: AttendeeView) -> int:
    """Tell everyone concerned if the time or the place changed; how many were told."""
    change = EventChange(before, AttendeeView.of(event), cancelled=False)
    if not change.time_changed and not change.venue_changed:
        return 0
    return _announce(event, change)


def notify_cancellation(event: Event) -> int:
    view = AttendeeView.of(event)
    return _announce(event, EventChange(view, view, cancelled=True))


def _announce(event: Event, change: EventChange) -> int:
    db.session.flush()  # the change tracking raises SEQUENCE before the .ics is built
    return sum(told for _receiver, told in signals.event_changed.send(event, change=change))
