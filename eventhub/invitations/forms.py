from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import RadioField, SelectField, StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from eventhub.forms import options
from eventhub.invitations.models import NOTE_MAX
from eventhub.organisations.models import LANGUAGES


class InviteForm(FlaskForm):
    """Which organisations, contacts and typed addresses to invite (ids come as lists)."""

    whom = RadioField(
        _l("In each chosen organisation, invite"),
        default="primary",
        choices=options([("primary", _l("its primary contact")), ("all", _l("all its contacts"))]),
    )
    extra = TextAreaField(
        _l("Other addresses"),
        validators=[Optional(), Length(max=50_000)],
        description=_l("One per line, as name@example.org or Name <name@example.org>."),
    )
    extra_language = SelectField(
        _l("Language for these addresses"), choices=options(LANGUAGES.items()), default="es"
    )
    inviters = RadioField(
        _l("Who invites"),
        default="host",
        description=_l("Named in the opening line of the invitation."),
    )
    note = TextAreaField(
        _l("Personal note (optional)"),
        validators=[Optional(), Length(max=NOTE_MAX)],
        description=_l(
            "Shown above the standard text of the invitation, in every language. Markdown: "
            "**bold**, *italics*, lists and links."
        ),
    )
    preview = SubmitField(_l("Preview"))
    send = SubmitField(_l("Send invitations"))


class AcceptForm(FlaskForm):
    name = StringField(_l("Your name"), validators=[DataRequired(), Length(max=120)])
    submit = SubmitField(_l("Accept"))


class DeclineForm(FlaskForm):
    reason = TextAreaField(_l("Reason (optional)"), validators=[Optional(), Length(max=2000)])
    submit = SubmitField(_l("Decline"))
