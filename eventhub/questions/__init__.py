from flask import Blueprint

from eventhub.events import signals as event_signals

# Routes are imported by create_app, not here: importing the models must stay light.
bp = Blueprint("questions", __name__)


@event_signals.cloned.connect
def _copy_questions(event, copy, **kwargs) -> None:
    from eventhub.questions.services import copy_event_form

    copy_event_form(event, copy)  # the questions, their choices, limits and conditions
