from flask import Blueprint

from eventhub.events import signals as event_signals
from eventhub.people import signals as people_signals

# Routes are imported by create_app, not here: importing a package's models must not
# pull in its routes (and, through them, every other package).
bp = Blueprint("agenda", __name__)


@event_signals.times_changed.connect
def _follow_event_times(event, offset, agenda_policy, **kwargs) -> None:
    # Imported here: importing the package (for its models) must stay light.
    from eventhub.agenda.services import follow_event_times

    follow_event_times(event, offset, agenda_policy)


@event_signals.cloned.connect
def _copy_agenda(event, copy, shift, **kwargs) -> None:
    from eventhub.agenda.services import copy_agenda

    copy_agenda(event, copy, shift)  # the items and their speakers, on the new date


@people_signals.bookings_wanted.connect
def _speaker_bookings(speaker, **kwargs) -> list:
    # Imported here: importing the package (for its models) must stay light.
    from eventhub.agenda.services import bookings_of

    return bookings_of(speaker, public_only=False)


@people_signals.deleting.connect
def _take_speaker_off_agendas(speaker, **kwargs) -> None:
    from eventhub.agenda.services import remove_speaker_from_agendas

    remove_speaker_from_agendas(speaker)
