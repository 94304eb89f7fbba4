from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, PasswordField, SelectField, StringField, SubmitField
from wtforms.validators import DataRequired, Email, EqualTo, Length

from eventhub.auth.models import MIN_PASSWORD_LENGTH
from eventhub.forms import options


class LoginForm(FlaskForm):
    email = EmailField(_l("Email"), validators=[DataRequired(), Length(max=254)])
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=200)])
    submit = SubmitField(_l("Sign in"))


def _new_password_fields():
    password = PasswordField(
        _l("New password"),
        validators=[DataRequired(), Length(min=MIN_PASSWORD_LENGTH, max=200)],
    )
    confirm = PasswordField(
        _l("Repeat the password"),
        validators=[DataRequired(), EqualTo("password", message=_l("The passwords differ."))],
    )
    return password, confirm


class UserCreateForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=120)])
    email = EmailField(_l("Email"), validators=[DataRequired(), Email(), Length(max=254)])
    password, confirm = _new_password_fields()
    is_admin = BooleanField(_l("Administrator (manages organiser accounts)"))
    submit = SubmitField(_l("Create account"))


class PasswordResetForm(FlaskForm):
    password, confirm = _new_password_fields()
    submit = SubmitField(_l("Set password"))


class PasswordChangeForm(FlaskForm):
    current_password = PasswordField(_l("Current password"), validators=[DataRequired()])
    password, confirm = _new_password_fields()
    submit = SubmitField(_l("Change password"))


class ForgotPasswordForm(FlaskForm):
    email = EmailField(_l("Email"), validators=[DataRequired(), Length(max=254)])
    submit = SubmitField(_l("Send me a link"))


class ChoosePasswordForm(FlaskForm):
    password, confirm = _new_password_fields()
    submit = SubmitField(_l("Save the password"))


# Organisations keep the same pair; auth is their sibling and cannot import it.
LANGUAGE_CHOICES = options([("es", _l("Spanish")), ("en", _l("English"))])


class InviteOrganiserForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=120)])
    email = EmailField(_l("Email"), validators=[DataRequired(), Email(), Length(max=254)])
    is_admin = BooleanField(_l("Administrator (manages organiser accounts)"))
    language = SelectField(_l("Language of the invitation"), choices=LANGUAGE_CHOICES)
    submit = SubmitField(_l("Send the invitation"))
