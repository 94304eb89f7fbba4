from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import BooleanField, DateField, SelectField, StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from eventhub.followup import commitments
from eventhub.followup.models import CommitmentStatus, Visibility
from eventhub.forms import optional_int, options


def visibility_field(default: Visibility) -> SelectField:
    return SelectField(
        _l("Who can read it"),
        default=default.value,
        choices=Visibility.choices(),
    )


def status_field(label=None) -> SelectField:
    return SelectField(
        label or _l("Status"),
        choices=CommitmentStatus.choices(),
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


class CommitmentForm(FlaskForm):
    description = TextAreaField(
        _l("What was agreed"), validators=[DataRequired(), Length(max=2000)]
    )
    organisation_id = SelectField(
        _l("Owner (organisation)"), coerce=optional_int, validate_choice=False
    )
    contact_id = SelectField(_l("Contact"), coerce=optional_int, validate_choice=False)
    due_on = DateField(_l("Due date"), validators=[Optional()])
    submit = SubmitField(_l("Save commitment"))


class StatusForm(FlaskForm):
    status = status_field(_l("New status"))
    note = TextAreaField(_l("Note"), validators=[Optional(), Length(max=2000)])
    submit = SubmitField(_l("Update"))


class FollowupMailForm(FlaskForm):
    summary = TextAreaField(
        _l("Short summary"),
        description=_l("A few lines at the top of the message, before the links."),
        validators=[Optional(), Length(max=5000)],
    )
    include_absent = BooleanField(_l("Also send it to invitees and registrants who did not come"))
    preview = SubmitField(_l("Preview"))
    send = SubmitField(_l("Send the follow-up"))


class CommitmentFilterForm(FlaskForm):
    class Meta:
        csrf = False

    owner = SelectField(_l("Owner"), coerce=optional_int, validate_choice=False)
    status = SelectField(
        _l("Status"),
        choices=[*options([(None, _l("All statuses"))]), *CommitmentStatus.choices()],
        validate_choice=False,
    )
    overdue = BooleanField(_l("Only overdue"))
    submit = SubmitField(_l("Filter"))


def programme_commitment_filters(programme_id: int, args):
    """The filter form (from the query string) and the filters it stands for."""
    form = CommitmentFilterForm(args)
    form.owner.choices = options(
        [(None, _l("All organisations")), *commitments.programme_owners(programme_id)]
    )
    filters = commitments.CommitmentFilters(
        organisation_id=form.owner.data if (form.owner.data or 0) > 0 else None,
        status=form.status.data or None,
        overdue=bool(form.overdue.data),
    )
    return form, filters
