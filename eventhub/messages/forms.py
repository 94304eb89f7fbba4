from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectMultipleField, StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, Length
from wtforms.widgets import CheckboxInput, ListWidget

from eventhub.events.models import ParticipationRole
from eventhub.forms import DirectorySelect, optional_int
from eventhub.messages.models import Audience
from eventhub.messages.writing import BODY_MAX, SUBJECT_MAX


class CheckboxesField(SelectMultipleField):
    """Several choices as a list of checkboxes (the fieldset and legend are the template's)."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class MessageForm(FlaskForm):
    """Whom to write to and what; the service checks the text (placeholders, emptiness)."""

    audiences = CheckboxesField(_l("Who receives it"), choices=Audience.choices())
    contact_roles = CheckboxesField(
        _l("Contacts of the organisations taking part as (none ticked: every role)"),
        choices=ParticipationRole.choices(),
    )
    # Filled by the route with the event's organisations; none chosen: every organisation.
    organisation_ids = SelectMultipleField(
        _l("Only people of these organisations"),
        coerce=optional_int,
        choices=[],
        widget=DirectorySelect(multiple=True),
    )
    subject = StringField(_l("Subject"), validators=[DataRequired(), Length(max=SUBJECT_MAX)])
    body = TextAreaField(_l("Message"), validators=[DataRequired(), Length(max=BODY_MAX)])
    preview = SubmitField(_l("Preview"))
    send = SubmitField(_l("Send"))
