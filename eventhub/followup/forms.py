from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, SubmitField, TextAreaField
from wtforms.validators import Length, Optional


class FollowupMailForm(FlaskForm):
    summary = TextAreaField(
        _l("Short summary"),
        description=_l("A few lines at the top of the message, before the links."),
        validators=[Optional(), Length(max=5000)],
    )
    include_absent = BooleanField(_l("Also send it to invitees and registrants who did not come"))
    preview = SubmitField(_l("Preview"))
    send = SubmitField(_l("Send the follow-up"))
