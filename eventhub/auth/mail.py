"""The mails that carry a link to choose a password, in the language they are written for."""

from flask import render_template
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from eventhub.auth.models import User
from eventhub.mail import topics
from eventhub.mail.services import OutgoingMail
from eventhub.urls import external_url

topics.register("password-reset", _l("Forgotten password: link to choose a new one"))
topics.register("account-invitation", _l("Organiser invitation"))


def password_reset(user: User, token: str, language: str) -> OutgoingMail:
    return _build(user, "password-reset", language, "auth.reset_password", token, None)


def invitation(user: User, token: str, language: str, invited_by: User) -> OutgoingMail:
    return _build(user, "account-invitation", language, "auth.accept_invitation", token, invited_by)


def _build(
    user: User, topic: str, language: str, endpoint: str, token: str, invited_by: User | None
) -> OutgoingMail:
    with force_locale(language):
        context = {
            "user": user,
            "kind": topic,
            "link": external_url(endpoint, token=token),
            "invited_by": invited_by,
            "language": language,
        }
        if topic == "password-reset":
            subject = _("Choose a new EventHub password")
        else:
            subject = _("You are invited to organise events on EventHub")
        text = render_template("emails/account_link.txt", **context)
        html = render_template("emails/account_link.html", **context)
    return OutgoingMail(
        to_address=user.email,
        to_name=user.name,
        subject=subject,
        text_body=text,
        html_body=html,
        topic=topic,
    )
