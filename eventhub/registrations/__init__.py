from flask import Blueprint
from sqlalchemy import Select

from eventhub.calendar.feeds import FeedKind, lists_feed
from eventhub.events import signals as event_signals

# Routes are imported by create_app, not here: importing a package's models must not
# pull in its routes (and, through them, every other package).
bp = Blueprint("registrations", __name__)

# The events domain does not know who comes: registrations answer its signals. The modules
# are imported inside the receivers so that importing the package (for its models) stays light.


@event_signals.capacity_grew.connect
def _fill_new_places(event, **kwargs) -> None:
    from eventhub.registrations.services import promote_waiting

    promote_waiting(event)  # more places: the waiting list moves up


@event_signals.count_people_to_tell.connect
def _count_registrants(event, **kwargs) -> int:
    from eventhub.registrations.notices import count_registrants

    return count_registrants(event)


@event_signals.event_changed.connect
def _tell_registrants(event, change, **kwargs) -> int:
    from eventhub.registrations.notices import tell_registrants

    return tell_registrants(event, change)


@lists_feed(FeedKind.REGISTRANT)
def _registrant_feed(email: int | str) -> Select:
    # Imported here: importing the package (for its models) must stay light.
    from eventhub.registrations.feeds import registrant_feed_query

    return registrant_feed_query(str(email))
