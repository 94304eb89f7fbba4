from flask import Blueprint

from eventhub.events import signals as event_signals
from eventhub.registrations import signals as registration_signals

# Routes are imported by create_app, not here: importing a package's models must not
# pull in its routes (and, through them, every other package).
bp = Blueprint("invitations", __name__)

# Receivers import what they call: importing the package (for its models) must stay light.


@registration_signals.status_changed.connect
def _follow_registration(registration, **kwargs):
    from eventhub.invitations.services import follow_registration

    follow_registration(registration)


@event_signals.count_people_to_tell.connect
def _count_invitees(event, **kwargs) -> int:
    from eventhub.invitations.notices import count_invitees

    return count_invitees(event)


@event_signals.event_changed.connect
def _tell_invitees(event, change, **kwargs) -> int:
    from eventhub.invitations.notices import tell_invitees

    return tell_invitees(event, change)
