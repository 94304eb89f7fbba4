from flask import Blueprint

from eventhub import activity

# Routes are imported by create_app, not here: importing a package's models must not
# pull in its routes (and, through them, every other package).
bp = Blueprint("audit", __name__)


@activity.organiser_acted.connect
def _write_entry(action: str, *, summary: str, event, details: dict | None, **kwargs) -> None:
    # Imported here: importing the package (for its models) must stay light.
    from eventhub.audit.services import log

    log(action, summary, event=event, details=details)
