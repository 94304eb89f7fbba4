from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, SelectField, StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, Email, Length, Optional

from eventhub.forms import DirectorySelect, optional_int


class RegistrantDetailsForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=120)])
    organisation_id = SelectField(
        _l("Organisation"), coerce=optional_int, validate_choice=False, widget=DirectorySelect()
    )
    organisation_name = StringField(
        _l("Organisation, if not in the list"), validators=[Optional(), Length(max=200)]
    )
    job_title = StringField(_l("Role or position"), validators=[Optional(), Length(max=160)])
    needs = TextAreaField(
        _l("Accessibility or dietary needs"), validators=[Optional(), Length(max=2000)]
    )
    listed = BooleanField(_l("Show my name and organisation on the participant list"))
    submit = SubmitField(_l("Save my details"))


class RegistrationForm(RegistrantDetailsForm):
    email = EmailField(_l("Email"), validators=[DataRequired(), Email(), Length(max=254)])
    submit = SubmitField(_l("Register"))


class WalkInForm(FlaskForm):
    """Someone at the door who did not register: checked in as soon as they are added."""

    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=120)])
    email = EmailField(_l("Email (optional)"), validators=[Optional(), Email(), Length(max=254)])
    organisation_id = SelectField(
        _l("Organisation"), coerce=optional_int, validate_choice=False, widget=DirectorySelect()
    )
    organisation_name = StringField(
        _l("Organisation, if not in the list"), validators=[Optional(), Length(max=200)]
    )
    submit = SubmitField(_l("Add and check in"))
