from flask import Blueprint

from eventhub.organisations import signals as organisation_signals

# Routes are imported by create_app, not here: importing a package's models must not
# pull in its routes (and, through them, every other package).
bp = Blueprint("people", __name__)


@organisation_signals.deletion_impact.connect
def _speakers_losing_the_organisation(organisation, **kwargs) -> tuple[str, int]:
    # Imported here: importing the package (for its models) must stay light.
    from eventhub.people.services import speakers_of_organisation

    return "speakers", speakers_of_organisation(organisation.id)
