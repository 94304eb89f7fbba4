from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, SelectField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from eventhub.events.models import Event
from eventhub.followup.commitments import services
from eventhub.followup.models import CommitmentStatus
from eventhub.forms import DirectorySelect, optional_int, options
from eventhub.organisations.services import organisation_choices


def status_field(label=None) -> SelectField:
    return SelectField(
        label or _l("Status"),
        choices=CommitmentStatus.choices(),
    )


class CommitmentForm(FlaskForm):
    description = TextAreaField(
        _l("What was agreed"), validators=[DataRequired(), Length(max=2000)]
    )
    # The directory and its contacts: hundreds of options, written in one pass.
    organisation_id = SelectField(
        _l("Owner (organisation)"),
        coerce=optional_int,
        validate_choice=False,
        widget=DirectorySelect(),
    )
    contact_id = SelectField(
        _l("Contact"), coerce=optional_int, validate_choice=False, widget=DirectorySelect()
    )
    due_on = DateField(_l("Due date"), validators=[Optional()])
    submit = SubmitField(_l("Save commitment"))


class StatusForm(FlaskForm):
    status = status_field(_l("New status"))
    note = TextAreaField(_l("Note"), validators=[Optional(), Length(max=2000)])
    submit = SubmitField(_l("Update"))


def fill_commitment_form(form: CommitmentForm, event: Event) -> None:
    """Offer every organisation as the owner, and the likely owners' contacts."""
    form.organisation_id.choices = options(
        [(None, _("Choose an organisation")), *organisation_choices()]
    )
    form.contact_id.choices = options(
        [(None, _("(the organisation's main contact)"))]
        + [
            (contact.id, f"{contact.organisation} — {contact.name}")
            for contact in services.likely_owner_contacts(event)
        ]
    )


def commitment_data(form: CommitmentForm) -> services.CommitmentData:
    return services.CommitmentData(
        description=form.description.data,
        organisation_id=form.organisation_id.data,
        contact_id=form.contact_id.data,
        due_on=form.due_on.data,
    )
