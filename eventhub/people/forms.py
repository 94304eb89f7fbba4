from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    EmailField,
    SearchField,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Email, Length, Optional

from eventhub.forms import DirectorySelect, optional_int
from eventhub.people.services import AFFILIATION_MAX, BIO_MAX, EMAIL_MAX, NAME_MAX, TITLE_MAX


def _strip(value):
    return value.strip() if isinstance(value, str) else value


class SpeakerForm(FlaskForm):
    name = StringField(
        _l("Name"), filters=[_strip], validators=[DataRequired(), Length(max=NAME_MAX)]
    )
    title = StringField(
        _l("Title or role"),
        filters=[_strip],
        validators=[Optional(), Length(max=TITLE_MAX)],
        description=_l("For example: Head of the Migrant Office."),
    )
    # Existence is checked by the service, which puts "Unknown organisation" on this field.
    organisation_id = SelectField(
        _l("Organisation"), coerce=optional_int, validate_choice=False, widget=DirectorySelect()
    )
    affiliation = StringField(
        _l("Other affiliation"),
        filters=[_strip],
        validators=[Optional(), Length(max=AFFILIATION_MAX)],
        description=_l("Only when the organisation is not in the directory."),
    )
    bio = TextAreaField(
        _l("Short biography"),
        validators=[Optional(), Length(max=BIO_MAX)],
        description=_l("At most %(num)d characters.", num=BIO_MAX),
    )
    email = EmailField(
        _l("Email"),
        filters=[_strip],
        validators=[Optional(), Email(), Length(max=EMAIL_MAX)],
        description=_l("Seen only by signed-in organisers, never on the public page."),
    )
    submit = SubmitField(_l("Save speaker"))


class SpeakerSearchForm(FlaskForm):
    class Meta:
        csrf = False

    q = SearchField(
        _l("Search by name or organisation"), filters=[_strip], validators=[Length(max=200)]
    )
    submit = SubmitField(_l("Search"))
