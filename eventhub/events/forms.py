from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import (
    BooleanField,
    DateField,
    DateTimeLocalField,
    IntegerField,
    RadioField,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import (
    DataRequired,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    ValidationError,
)

from eventhub.events.models import (
    CANCELLATION_REASON_MAX,
    EventKind,
    EventStatus,
    ParticipationRole,
    RegistrationMode,
)
from eventhub.events.timezones import is_valid_zone
from eventhub.forms import DirectorySelect, optional_int, options

LOCAL_FORMAT = "%Y-%m-%dT%H:%M"


class WallClockField(DateTimeLocalField):
    """A wall-clock time typed in the form; a submitted form without it has none.

    WTForms otherwise keeps the edited object's value (an aware UTC instant) for a field
    missing from the submission, and comparing it with the other, naive fields fails.
    """

    def process_formdata(self, valuelist):
        if not valuelist:
            self.data = None
            return
        super().process_formdata(valuelist)


def start_and_end_fields() -> tuple[DateTimeLocalField, DateTimeLocalField]:
    """Wall-clock start and end, typed in the event's zone (events and agenda items)."""
    return (
        WallClockField(
            _l("Starts"),
            format=LOCAL_FORMAT,
            validators=[InputRequired(message=_l("Give the start date and time."))],
        ),
        WallClockField(
            _l("Ends"),
            format=LOCAL_FORMAT,
            validators=[InputRequired(message=_l("Give the end date and time."))],
        ),
    )


class EventForm(FlaskForm):
    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=200)])
    kind = SelectField(_l("Kind of event"), choices=EventKind.choices())
    summary = TextAreaField(
        _l("Summary"),
        validators=[Optional(), Length(max=500)],
        description=_l("One or two sentences shown in lists and invitations."),
    )
    description = TextAreaField(
        _l("Description"),
        validators=[Optional(), Length(max=20000)],
        description=_l(
            "Markdown: **bold**, *italics*, lists with “- ”, links as [text](https://…)."
        ),
    )
    timezone = StringField(
        _l("Time zone"),
        validators=[DataRequired(), Length(max=64)],
        description=_l("An IANA zone such as America/Santiago; times below are in this zone."),
    )
    starts_at, ends_at = start_and_end_fields()
    venue_name = StringField(_l("Venue"), validators=[Optional(), Length(max=200)])
    venue_address = StringField(_l("Address"), validators=[Optional(), Length(max=300)])
    host_organisation_id = SelectField(
        _l("Host organisation"), coerce=optional_int, validate_choice=True
    )
    programme_id = SelectField(_l("Programme"), coerce=optional_int, validate_choice=True)
    capacity = IntegerField(
        _l("Capacity"),
        validators=[
            Optional(),
            NumberRange(min=1, max=1_000_000, message=_l("Give a positive whole number.")),
        ],
        description=_l("Leave empty for no limit."),
    )
    registration_mode = SelectField(_l("Registration"), choices=RegistrationMode.choices())
    registration_deadline = WallClockField(
        _l("Registration deadline"), format=LOCAL_FORMAT, validators=[Optional()]
    )
    is_public = BooleanField(_l("List in the public events list once published"), default=True)
    requires_approval = BooleanField(
        _l("Registrations wait for an organiser's approval"), default=False
    )
    confirm_email = BooleanField(
        _l(
            "Confirm the address before the place is taken "
            "(the place is held until the person follows the link we email them)"
        ),
        default=False,
    )
    agenda_policy = RadioField(
        _l("If the start changes, the agenda…"),
        choices=options(
            [
                ("move", _l("moves with the event, keeping each item's offset")),
                ("keep", _l("stays at its times")),
            ]
        ),
        validators=[Optional()],
        validate_choice=True,
    )
    notify_registrants = BooleanField(
        _l("Email registrants and invitees if the time or the place changes"), default=True
    )
    submit = SubmitField(_l("Save event"))

    def validate_timezone(self, field):
        field.data = (field.data or "").strip()
        if not is_valid_zone(field.data):
            raise ValidationError(_l("Unknown time zone. Use an IANA name like America/Santiago."))

    def validate_ends_at(self, field):
        if self.starts_at.data and field.data and field.data <= self.starts_at.data:
            raise ValidationError(_l("The end must be after the start."))

    def validate_registration_deadline(self, field):
        if field.data and self.ends_at.data and field.data > self.ends_at.data:
            raise ValidationError(_l("The deadline cannot be after the event ends."))


class EventFilterForm(FlaskForm):
    class Meta:
        csrf = False

    # The selects write their options without WTForms' per-option machinery (same HTML):
    # the list is the page organisers open most.
    q = StringField(_l("Search title"), validators=[Optional(), Length(max=200)])
    kind = SelectField(
        _l("Kind"),
        default="",
        choices=[*options([(None, _l("All kinds"))]), *EventKind.choices()],
        widget=DirectorySelect(),
    )
    status = SelectField(
        _l("Status"),
        default="",
        choices=[*options([(None, _l("All statuses"))]), *EventStatus.choices()],
        widget=DirectorySelect(),
    )
    programme = SelectField(_l("Programme"), coerce=optional_int, widget=DirectorySelect())
    date_from = DateField(_l("From"), validators=[Optional()])
    date_to = DateField(_l("To"), validators=[Optional()])
    submit = SubmitField(_l("Filter"))


class ParticipationForm(FlaskForm):
    organisation_id = SelectField(_l("Organisation"), coerce=optional_int, widget=DirectorySelect())
    role = SelectField(_l("Role"), default="invited", choices=ParticipationRole.choices())
    submit = SubmitField(_l("Add or update"))

    def validate_organisation_id(self, field):
        if field.data is None:
            raise ValidationError(_l("Choose an organisation."))


class CoOrganiserForm(FlaskForm):
    user_id = SelectField(_l("Organiser account"), coerce=optional_int)
    submit = SubmitField(_l("Add co-organiser"))

    def validate_user_id(self, field):
        if field.data is None:
            raise ValidationError(_l("Choose an organiser account."))


class ProgrammeForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=200)])
    description = TextAreaField(_l("Description"), validators=[Optional(), Length(max=5000)])
    submit = SubmitField(_l("Save programme"))


class EventImageForm(FlaskForm):
    file = FileField(_l("Image"), render_kw={"accept": "image/jpeg,image/png,image/webp"})
    alt_text = StringField(
        _l("Description of the image"),
        validators=[Optional(), Length(max=300)],
        description=_l(
            "For people who cannot see it: what the image shows. Without one, screen readers "
            "say the event's title."
        ),
        render_kw={"maxlength": 300},
    )
    submit = SubmitField(_l("Save image"))


class CancelEventForm(FlaskForm):
    reason = TextAreaField(
        _l("Reason (optional)"),
        validators=[Optional(), Length(max=CANCELLATION_REASON_MAX)],
        render_kw={"rows": 3, "maxlength": CANCELLATION_REASON_MAX},
        description=_l("Shown on the event page and in the cancellation email."),
    )
    # Its label, with the number of people, is written by the template; ticked on the
    # page (see the route), off when a request leaves it out.
    notify_registrants = BooleanField()


class CloneEventForm(FlaskForm):
    starts_on = DateField(
        _l("New date"),
        validators=[InputRequired(message=_l("Give the date of the copy."))],
        description=_l("The copy keeps the time of day; every time moves to this date."),
    )
    title = StringField(
        _l("Title of the copy"),
        validators=[Optional(), Length(max=200)],
        description=_l("Leave empty to keep the title, marked as a copy."),
    )
    submit = SubmitField(_l("Duplicate"))
