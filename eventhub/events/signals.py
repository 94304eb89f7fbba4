"""What the events domain tells the domains above it, which it must not import.

Every signal's sender is the event. The events domain sends them and knows nobody who
listens: each listening package connects its receivers in its own ``__init__.py`` (agenda,
registrations, invitations), so they are connected once the app (or any code that imports
those packages) is loaded. A receiver that raises stops the change: blinker's ``send``
lets the exception through to the service, and the route turns it into a message.
"""

from blinker import Namespace

_signals = Namespace()

# Sent by ``update_event`` after the new values are applied and before anything is flushed,
# when the event's start, end or zone changed. kwargs: ``old_starts_at``, ``old_ends_at``
# (UTC), ``old_timezone``, ``offset`` (new start minus old start, a timedelta, zero when only
# the end or the zone changed) and ``agenda_policy`` (the organiser's ``AgendaPolicy`` value,
# or None when they were not asked). A receiver may refuse the change by raising a
# ``DomainError`` (the agenda raises ``AgendaDecisionNeededError`` or ``AgendaConflictError``).
times_changed = _signals.signal("event-times-changed")

# Sent by ``update_event`` once the change is flushed, when the event has more places than
# before or no limit at all. kwargs: ``old_capacity`` (None: there was no limit).
capacity_grew = _signals.signal("event-capacity-grew")

# Sent by ``cancel_event`` once the event is marked cancelled, before anyone is told.
# kwargs: ``reason`` (cleaned text or None), ``notify_registrants`` (bool).
cancelled = _signals.signal("event-cancelled")

# Sent by ``publish_event`` once the event is published. No kwargs.
published = _signals.signal("event-published")

# Sent by ``unpublish_event`` once the event is a draft again. No kwargs.
unpublished = _signals.signal("event-unpublished")

# Sent when people should hear that the event's time or place changed, or that it was
# cancelled. kwargs: ``change``, an ``events.notifications.EventChange``. Each receiver queues
# the notices for its own people and returns how many it queued.
event_changed = _signals.signal("event-changed")

# Sent to ask how many people a change notice would reach (the edit and cancel forms say
# so). No kwargs. Each receiver returns how many of its own people it would tell.
count_people_to_tell = _signals.signal("count-people-to-tell")

# Sent by ``cloning.clone_event`` once the copy is flushed (it has an id), in the same
# transaction. The sender is the event copied. kwargs: ``copy`` (the new draft event) and
# ``shift`` (a ``cloning.Shift``: ``shift(instant, what)`` is the instant moved to the new
# date on the clocks of the event's zone; ``shift.days`` how many days later, negative for an
# earlier date). Each domain that keeps something of an event worth reusing copies its own
# rows; a receiver that raises a ``DomainError`` stops the copy (the agenda: a speaker
# already booked then). Registrations, invitations, minutes, commitments and what reminders
# sent belong to the event that took place: nobody copies them.
cloned = _signals.signal("event-cloned")
