from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import SelectField, StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from eventhub.events.models import Event
from eventhub.followup.models import Visibility
from eventhub.forms import optional_int, options


def visibility_field(default: Visibility) -> SelectField:
    return SelectField(
        _l("Who can read it"),
        default=default.value,
        choices=Visibility.choices(),
    )


class MinutesForm(FlaskForm):
    body = TextAreaField(
        _l("Text of the minutes"),
        description=_l("Markdown: # heading, - list item, **bold**, [link](https://…)."),
        validators=[Length(max=100_000)],
    )
    visibility = visibility_field(Visibility.PRIVATE)
    submit = SubmitField(_l("Save minutes"))


class MaterialForm(FlaskForm):
    file = FileField(_l("File"), validators=[FileRequired(_l("Choose a file."))])
    title = StringField(_l("Title"), validators=[Optional(), Length(max=200)])
    agenda_item_id = SelectField(
        _l("Agenda item"), coerce=optional_int, validate_choice=False, default=None
    )
    visibility = visibility_field(Visibility.PARTICIPANTS)
    submit = SubmitField(_l("Upload"))


class MaterialEditForm(FlaskForm):
    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=200)])
    visibility = visibility_field(Visibility.PARTICIPANTS)
    submit = SubmitField(_l("Save"))


def material_form(event: Event) -> MaterialForm:
    """The upload form, offering the event's agenda items to attach the file to."""
    form = MaterialForm()
    form.agenda_item_id.choices = options(
        [(None, _("The whole event"))] + [(item.id, item.title) for item in event.agenda_items]
    )
    return form
