from flask import Blueprint

from eventhub.organisations import signals as organisation_signals

# Routes are imported by create_app, not here: importing a package's models must not
# pull in its routes (and, through them, every other package).
bp = Blueprint("events", __name__)


@organisation_signals.deletion_impact.connect
def _events_losing_the_organisation(organisation, **kwargs) -> tuple[str, int]:
    # Imported here: importing the package (for its models) must stay light.
    from sqlalchemy import distinct, func, or_, select

    from eventhub.events.models import Event, EventOrganisation
    from eventhub.extensions import db

    participating = select(EventOrganisation.event_id).where(
        EventOrganisation.organisation_id == organisation.id
    )
    events = db.session.scalar(
        select(func.count(distinct(Event.id))).where(
            or_(Event.host_organisation_id == organisation.id, Event.id.in_(participating))
        )
    )
    return "events", events or 0
