"""Links mailed to choose a password: a forgotten password's reset, an admin's invitation.

Each link is a random token kept only as its SHA-256 (eventhub/tokens.py), scoped to one
purpose, working once and until it expires. A GET on the link only shows the form (mail
scanners follow links); choosing the password is the POST, which uses the link up, ends every
session of the account and kills the account's other outstanding links.
"""

import secrets
from datetime import timedelta

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select

from eventhub.addresses import email_key
from eventhub.auth import mail, services
from eventhub.auth.models import AccountLink, AccountLinkPurpose, User
from eventhub.errors import ConflictError, DomainError, NotFoundError
from eventhub.extensions import db
from eventhub.mail.services import enqueue
from eventhub.orm import utcnow
from eventhub.tokens import lookup, token_hash


class LinkGoneError(DomainError):
    """A link that was genuine but cannot be used any more: 410, with the reason."""

    status_code = 410


def _lifetime(purpose: AccountLinkPurpose) -> timedelta:
    if purpose is AccountLinkPurpose.PASSWORD_RESET:
        return timedelta(minutes=int(current_app.config["PASSWORD_RESET_LINK_MINUTES"]))
    return timedelta(days=int(current_app.config["INVITATION_LINK_DAYS"]))


def issue_link(
    user: User, purpose: AccountLinkPurpose, language: str, created_by: User | None = None
) -> str:
    """A new link for ``user``; its token, which only the mail will hold."""
    token = secrets.token_urlsafe(32)
    now = utcnow()
    db.session.add(
        AccountLink(
            user_id=user.id,
            purpose=purpose.value,
            token_hash=token_hash(token),
            language=language,
            created_at=now,
            expires_at=now + _lifetime(purpose),
            created_by_id=created_by.id if created_by is not None else None,
        )
    )
    return token


# --- forgotten password ------------------------------------------------------------------------


def request_password_reset(email: str, language: str) -> None:
    """Mail a reset link when ``email`` names an active account with a password; otherwise
    do nothing. Both take one lookup and answer alike, so neither the page nor its time tells
    whether the account exists: the slow part, delivery, happens later in the outbox worker,
    and the two rows written here go in the same commit the other path also makes."""
    user = services.find_user_by_email(email)
    if user is None or not user.active or not user.has_password:
        return
    token = issue_link(user, AccountLinkPurpose.PASSWORD_RESET, language)
    enqueue(mail.password_reset(user, token, language))


# --- invitations -------------------------------------------------------------------------------


def invite_organiser(
    email: str, name: str, is_admin: bool, language: str, invited_by: User
) -> User:
    """A new account without a password, and a mail with the link to choose one. Inviting
    an address again whose invitation is still unanswered sends a new link instead."""
    user = services.find_user_by_email(email)
    if user is not None and user.has_password:
        raise ConflictError(_("An account with this email already exists."), field="email")
    if user is None:
        user = User(email=email_key(email), name=name.strip(), is_admin=is_admin, password_hash="")
        db.session.add(user)
        db.session.flush()
    else:
        user.name, user.is_admin, user.active = name.strip(), is_admin, True
    _send_invitation(user, language, invited_by)
    return user


def _send_invitation(user: User, language: str, invited_by: User) -> None:
    services.revoke_links(user, AccountLinkPurpose.INVITATION)
    token = issue_link(user, AccountLinkPurpose.INVITATION, language, created_by=invited_by)
    enqueue(mail.invitation(user, token, language, invited_by))


def get_invited_user(user_id: int) -> User:
    user = services.get_user(user_id)
    if user.has_password:
        raise NotFoundError(_("This account has no pending invitation."))
    return user


def resend_invitation(user: User, invited_by: User) -> None:
    """A fresh link (a new expiry) in a new mail; the previous link stops working."""
    latest = latest_invitation(user)
    language = latest.language if latest is not None else current_app.config["LANGUAGES"][0]
    user.active = True
    _send_invitation(user, language, invited_by)


def revoke_invitation(user: User) -> None:
    """The link stops working (its page says the invitation was withdrawn) and the account
    stays unusable; inviting the address again starts over."""
    services.revoke_links(user, AccountLinkPurpose.INVITATION)
    user.active = False


def latest_invitation(user: User) -> AccountLink | None:
    return db.session.scalar(
        select(AccountLink)
        .where(
            AccountLink.user_id == user.id,
            AccountLink.purpose == AccountLinkPurpose.INVITATION.value,
        )
        .order_by(AccountLink.created_at.desc(), AccountLink.id.desc())
        .limit(1)
    )


def pending_invitations() -> list[tuple[User, AccountLink | None]]:
    """Invited accounts without a password yet, each with its latest invitation link."""
    users = db.session.scalars(select(User).where(User.password_hash == "").order_by(User.name))
    pending = list(users)
    newest: dict[int, AccountLink] = {}
    links = db.session.scalars(
        select(AccountLink)
        .where(
            AccountLink.user_id.in_([user.id for user in pending]),
            AccountLink.purpose == AccountLinkPurpose.INVITATION.value,
        )
        .order_by(AccountLink.created_at, AccountLink.id)
    )
    for link in links:
        newest[link.user_id] = link
    return [(user, newest.get(user.id)) for user in pending]


# --- using a link ------------------------------------------------------------------------------


def link_state(link: AccountLink) -> str:
    """'live', 'used', 'revoked' or 'expired'."""
    if link.used_at is not None:
        return "used"
    if link.revoked_at is not None:
        return "revoked"
    if link.expires_at <= utcnow():
        return "expired"
    return "live"


def usable_link(token: str | None, purpose: AccountLinkPurpose) -> AccountLink:
    """The live link of ``purpose`` the token opens; 404 for no such link, 410 (saying why)
    for one used, withdrawn or expired."""
    link = lookup(
        select(AccountLink).where(AccountLink.purpose == purpose.value),
        AccountLink.token_hash,
        token,
    )
    if link is None:
        raise NotFoundError(_("This link is not valid. Check that it was copied whole."))
    state = link_state(link)
    if state == "live" and not (link.user.active or purpose is AccountLinkPurpose.INVITATION):
        state = "revoked"
    if state != "live":
        raise LinkGoneError(_gone_message(purpose, state))
    return link


def _gone_message(purpose: AccountLinkPurpose, state: str) -> str:
    if purpose is AccountLinkPurpose.INVITATION:
        return {
            "used": _("This invitation has already been accepted. Sign in with your password."),
            "revoked": _("This invitation was withdrawn. Ask the administrator for a new one."),
            "expired": _("This invitation has expired. Ask the administrator to send it again."),
        }[state]
    return {
        "used": _("This link has already been used. Request a new one if you need it."),
        "revoked": _("This link no longer works. Request a new one if you need it."),
        "expired": _("This link has expired (it works for one hour). Request a new one."),
    }[state]


def choose_password(link: AccountLink, password: str) -> User:
    """Set the account's password through ``link``: the link is used up, the account's other
    links stop working and every session of the account ends."""
    user = link.user
    link.used_at = utcnow()
    db.session.flush()  # used before the account's other links are revoked
    services.reset_password(user, password)
    user.active = True
    db.session.flush()
    return user
