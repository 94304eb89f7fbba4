from flask import Blueprint
from sqlalchemy import Select

from eventhub.calendar.feeds import FeedKind, lists_feed

# Routes are imported by create_app, not here: importing a package's models must not
# pull in its routes (and, through them, every other package).
bp = Blueprint("registrations", __name__)


@lists_feed(FeedKind.REGISTRANT)
def _registrant_feed(email: int | str) -> Select:
    # Imported here: importing the package (for its models) must stay light.
    from eventhub.registrations.feeds import registrant_feed_query

    return registrant_feed_query(str(email))
