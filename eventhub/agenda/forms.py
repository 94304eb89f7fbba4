from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    FieldList,
    Form,
    FormField,
    IntegerField,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from eventhub.agenda.models import AgendaItemKind, SpeakerRole
from eventhub.events.forms import start_and_end_fields
from eventhub.forms import optional_int, options
from eventhub.people.services import AFFILIATION_MAX, NAME_MAX, TITLE_MAX

SPARE_SPEAKER_ROWS = 2
MIN_SPEAKER_ROWS = 3
MAX_SPEAKER_ROWS = 30


class SpeakerSlotForm(Form):
    speaker_id = SelectField(_l("Speaker"), coerce=optional_int, validate_choice=False)
    role = SelectField(
        _l("Role"),
        default="speaker",
        choices=SpeakerRole.choices(),
    )


class AgendaItemForm(FlaskForm):
    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=200)])
    kind = SelectField(
        _l("Kind of item"),
        default="talk",
        choices=AgendaItemKind.choices(),
    )
    starts_at, ends_at = start_and_end_fields()
    location = StringField(_l("Room or place"), validators=[Optional(), Length(max=200)])
    description = TextAreaField(_l("Description"), validators=[Optional(), Length(max=5000)])
    speakers = FieldList(
        FormField(SpeakerSlotForm), min_entries=MIN_SPEAKER_ROWS, max_entries=MAX_SPEAKER_ROWS
    )
    # A speaker who is not in the directory yet is added from here, without leaving the form.
    new_speaker_name = StringField(
        _l("Name of the new speaker"), validators=[Optional(), Length(max=NAME_MAX)]
    )
    new_speaker_title = StringField(
        _l("Title or role"), validators=[Optional(), Length(max=TITLE_MAX)]
    )
    new_speaker_affiliation = StringField(
        _l("Organisation or affiliation"), validators=[Optional(), Length(max=AFFILIATION_MAX)]
    )
    add_speaker = SubmitField(_l("Add to the directory and to this item"))
    add_row = SubmitField(_l("Add a speaker row"))
    submit = SubmitField(_l("Save item"))

    def fill_speaker_choices(self, choices: list) -> None:
        none = options([(None, _l("(nobody)"))])
        for entry in self.speakers:
            entry.speaker_id.choices = none + options(choices)

    def add_spare_rows(self) -> None:
        while len(self.speakers) < max(MIN_SPEAKER_ROWS, self.filled_rows() + SPARE_SPEAKER_ROWS):
            self.speakers.append_entry()

    def add_row_if_room(self) -> bool:
        if len(self.speakers) >= MAX_SPEAKER_ROWS:
            return False
        self.speakers.append_entry()
        return True

    def put_in_free_row(self, speaker_id: int) -> None:
        free = [entry for entry in self.speakers if entry.speaker_id.data is None]
        if not free and self.add_row_if_room():
            free = [self.speakers[-1]]
        if free:
            free[0].speaker_id.data = speaker_id
            free[0].role.data = "speaker"

    def filled_rows(self) -> int:
        return sum(1 for entry in self.speakers if entry.speaker_id.data is not None)


class ShiftForm(FlaskForm):
    minutes = IntegerField(
        _l("Minutes"),
        validators=[
            InputRequired(message=_l("Give a whole number of minutes.")),
            NumberRange(min=-10080, max=10080, message=_l("Shift by at most a week.")),
        ],
        description=_l("Negative numbers move the items earlier."),
    )
    submit = SubmitField(_l("Shift this and all following items"))
