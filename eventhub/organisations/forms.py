from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, FileField, FileRequired
from wtforms import (
    BooleanField,
    EmailField,
    SelectField,
    StringField,
    SubmitField,
    TelField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Email, Length, Optional

from eventhub.forms import options
from eventhub.organisations import services
from eventhub.organisations.models import LANGUAGES, OrganisationKind


class OrganisationFilterForm(FlaskForm):
    class Meta:
        csrf = False

    q = StringField(_l("Search by name"), validators=[Optional(), Length(max=200)])
    # The empty default stands for "all": without it a plain visit (no query string) leaves the
    # selects at None, which is no option, and the page greets people with "Not a valid choice".
    kind = SelectField(
        _l("Kind"),
        default="",
        choices=[*options([(None, _l("All kinds"))]), *OrganisationKind.choices()],
    )
    region = SelectField(_l("Region"), default="")
    submit = SubmitField(_l("Filter"))


class OrganisationForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=services.NAME_MAX)])
    kind = SelectField(
        _l("Kind of organisation"),
        choices=OrganisationKind.choices(),
        default=OrganisationKind.MUNICIPALITY.value,
    )
    region = StringField(
        _l("Region"),
        validators=[Optional(), Length(max=services.REGION_MAX)],
        description=_l("For municipalities: one of Chile's 16 regions."),
    )
    commune = StringField(
        _l("Commune"),
        validators=[Optional(), Length(max=services.COMMUNE_MAX)],
        description=_l("For municipalities."),
    )
    website = StringField(
        _l("Website"),
        validators=[Optional(), Length(max=services.WEBSITE_MAX)],
        description=_l("For example https://www.example.cl"),
    )
    notes = TextAreaField(_l("Notes"), validators=[Optional(), Length(max=services.NOTES_MAX)])
    submit = SubmitField(_l("Save organisation"))


class ContactForm(FlaskForm):
    name = StringField(
        _l("Name"), validators=[DataRequired(), Length(max=services.CONTACT_NAME_MAX)]
    )
    role = StringField(
        _l("Role"),
        validators=[Optional(), Length(max=services.CONTACT_ROLE_MAX)],
        description=_l("For example: Head of the Migrants Office."),
    )
    email = EmailField(
        _l("Email"),
        validators=[
            DataRequired(),
            Email(message=_l("Give a valid email address.")),
            Length(max=services.EMAIL_MAX),
        ],
    )
    phone = TelField(_l("Phone"), validators=[Optional(), Length(max=services.PHONE_MAX)])
    language = SelectField(
        _l("Preferred language"), choices=options(LANGUAGES.items()), default="es"
    )
    is_primary = BooleanField(_l("Primary contact of the organisation"))
    submit = SubmitField(_l("Save contact"))


class ImportForm(FlaskForm):
    file = FileField(
        _l("CSV file"),
        validators=[
            FileRequired(message=_l("Choose a CSV file.")),
            FileAllowed(["csv"], message=_l("Choose a file whose name ends in .csv.")),
        ],
    )
    submit = SubmitField(_l("Import"))
