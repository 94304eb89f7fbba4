from flask import Blueprint

from eventhub.registrations import signals as registration_signals

# Routes are imported by create_app, not here: importing a package's models must not
# pull in its routes (and, through them, every other package).
bp = Blueprint("invitations", __name__)


@registration_signals.status_changed.connect
def _follow_registration(registration, **kwargs):
    # Imported here: importing the package (for its models) must stay light.
    from eventhub.invitations.services import follow_registration

    follow_registration(registration)
