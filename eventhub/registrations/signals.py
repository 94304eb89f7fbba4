"""What registrations tell the domains beside and above them, which this one must not import.

Invitations listen (see ``eventhub/invitations/__init__.py``): an accepted invitation follows
the registration it made, whoever cancels, rejects or restores it.
"""

from blinker import Namespace

_signals = Namespace()

status_changed = _signals.signal(
    "registration-status-changed",
    doc="Sent with the registration (flushed) after its status changed: taken a place, "
    "joined the waiting list, awaiting approval, rejected or cancelled.",
)
