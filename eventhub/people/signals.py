"""What people ask and tell the agenda, which sits above them and which they must not import.

The agenda listens (see ``eventhub/agenda/__init__.py``): it lists a speaker's bookings for
the delete page and removes the speaker from its agenda items before the speaker goes.
"""

from blinker import Namespace

_signals = Namespace()

bookings_wanted = _signals.signal(
    "speaker-bookings-wanted",
    doc="Sent with the speaker by the delete page. Each receiver returns a list of the "
    "speaker's bookings (the agenda: its agenda items' speaker rows with the item and its "
    "event loaded, latest event first).",
)

deleting = _signals.signal(
    "speaker-deleting",
    doc="Sent with the speaker just before it is deleted, in the same transaction: receivers "
    "remove whatever still lists it (the agenda: the speaker's place on agenda items).",
)
