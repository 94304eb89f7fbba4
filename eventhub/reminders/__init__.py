"""Reminders before the event: a schedule per event, sent by ``flask reminders send``.

The events domain does not know this one: it answers the events' signals. The services are
imported inside the receivers so that importing the package (for its models) stays light.
"""

from flask import Blueprint

from eventhub.events import signals as event_signals

bp = Blueprint("reminders", __name__)


@event_signals.times_changed.connect
def _follow_the_move(event, **kwargs) -> None:
    from eventhub.reminders.services import rearm_after_move

    rearm_after_move(event)  # a reminder already sent goes out again at the new time


@event_signals.cancelled.connect
def _take_back_unsent(event, **kwargs) -> None:
    from eventhub.reminders.services import withdraw_unsent

    withdraw_unsent(event)  # the sending run reminds nobody of a cancelled event


@event_signals.cloned.connect
def _copy_the_schedule(event, copy, **kwargs) -> None:
    from eventhub.reminders.services import copy_schedule

    copy_schedule(event, copy)  # the timings; what the original's reminders sent stays there
