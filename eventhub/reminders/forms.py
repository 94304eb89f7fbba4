from datetime import time

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import IntegerField, SelectField, SubmitField, TimeField
from wtforms.validators import InputRequired, NumberRange, Optional

from eventhub.forms import options
from eventhub.reminders.models import MAX_DAYS_BEFORE
from eventhub.reminders.services import Timing

AT_START = "start"
AT_FIXED = "fixed"


def _days_before() -> IntegerField:
    return IntegerField(
        _l("Days before the event"),
        default=1,
        validators=[InputRequired(), NumberRange(min=0, max=MAX_DAYS_BEFORE)],
    )


class ReminderForm(FlaskForm):
    days_before = _days_before()
    at = SelectField(
        _l("At what time"),
        default=AT_FIXED,
        choices=options(
            [(AT_FIXED, _l("At the time below")), (AT_START, _l("At the time the event starts"))]
        ),
    )
    local_time = TimeField(
        _l("Time, in the event's zone"), default=time(9, 0), validators=[Optional()]
    )
    submit = SubmitField(_l("Add reminder"))

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        # Optional() ends the field's own checks when it is empty: whether it may be empty
        # depends on the choice beside it.
        if self.at.data == AT_FIXED and self.local_time.data is None and valid:
            self.local_time.errors = [_l("Give the time, or choose the time the event starts.")]
            return False
        return valid

    def timing(self) -> Timing:
        at = None if self.at.data == AT_START else self.local_time.data
        return Timing(self.days_before.data, at)


class RemoveReminderForm(FlaskForm):
    """The hidden fields of a reminder's remove button: which reminder, by its timing."""

    days_before = _days_before()
    local_time = TimeField(validators=[Optional()])  # empty: the time the event starts

    def timing(self) -> Timing:
        return Timing(self.days_before.data, self.local_time.data)
