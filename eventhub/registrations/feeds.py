"""The registrant's calendar feed: the events one address holds a place at.

Calendar lists the feed but cannot import registrations (it sits below them), so the query
lives here and ``eventhub/registrations/__init__.py`` registers it with calendar.
"""

from sqlalchemy import Select, select

from eventhub.calendar.services import in_feed_window
from eventhub.events.models import Event
from eventhub.registrations.models import Registration, RegistrationStatus


def registrant_feed_query(email: str) -> Select:
    """Every event this address holds a place (or a waiting-list place) at."""
    return in_feed_window(
        select(Event).where(
            Event.id.in_(
                select(Registration.event_id).where(
                    Registration.email == email,
                    Registration.status.in_(
                        [RegistrationStatus.CONFIRMED.value, RegistrationStatus.WAITING.value]
                    ),
                )
            )
        )
    )
