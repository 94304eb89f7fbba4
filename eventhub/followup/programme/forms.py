from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from werkzeug.datastructures import MultiDict
from wtforms import BooleanField, SelectField, SubmitField

from eventhub.followup.commitments.services import CommitmentFilters
from eventhub.followup.models import CommitmentStatus
from eventhub.followup.programme.services import programme_owners
from eventhub.forms import optional_int, options


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


def programme_commitment_filters(
    programme_id: int, args: MultiDict
) -> tuple[CommitmentFilterForm, CommitmentFilters]:
    """The filter form (from the query string) and the filters it stands for."""
    form = CommitmentFilterForm(args)
    form.owner.choices = options([(None, _l("All organisations")), *programme_owners(programme_id)])
    filters = CommitmentFilters(
        organisation_id=form.owner.data if (form.owner.data or 0) > 0 else None,
        status=form.status.data or None,
        overdue=bool(form.overdue.data),
    )
    return form, filters
