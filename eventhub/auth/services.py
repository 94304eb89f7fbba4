"""Organiser accounts: creation, sign-in checks, deactivation and password resets."""

from functools import cache

from flask_babel import gettext as _
from sqlalchemy import select, update
from werkzeug.security import check_password_hash, generate_password_hash

from eventhub.addresses import email_key
from eventhub.auth import sessions
from eventhub.auth.models import (
    MIN_PASSWORD_LENGTH,
    AccountLink,
    AccountLinkPurpose,
    User,
    password_hash_method,
)
from eventhub.errors import ConflictError, DomainError, NotFoundError
from eventhub.extensions import db
from eventhub.orm import utcnow


@cache
def _dummy_hash(method: str) -> str:
    """Checked against when the account does not exist, so both paths cost the same: made
    once per hash method, the one real accounts' passwords are hashed with."""
    return generate_password_hash("not-a-real-password", method=method)


class WeakPasswordError(DomainError):
    pass


def find_user_by_email(email: str) -> User | None:
    return db.session.scalar(select(User).where(User.email == email_key(email)))


def get_user(user_id: int) -> User:
    user = db.session.get(User, user_id)
    if user is None:
        raise NotFoundError(_("No such user."))
    return user


def _check_password_strength(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise WeakPasswordError(
            _("The password needs at least %(count)d characters.", count=MIN_PASSWORD_LENGTH),
            field="password",
        )


def create_user(email: str, name: str, password: str, is_admin: bool = False) -> User:
    email = email_key(email)
    if find_user_by_email(email) is not None:
        raise ConflictError(_("An account with this email already exists."), field="email")
    _check_password_strength(password)
    user = User(email=email, name=name.strip(), is_admin=is_admin)
    user.set_password(password)
    db.session.add(user)
    db.session.flush()
    return user


def authenticate(email: str, password: str) -> User | None:
    """The user when the email and password match an active account; None otherwise."""
    user = find_user_by_email(email)
    if user is None or not user.has_password:
        check_password_hash(_dummy_hash(password_hash_method()), password)
        return None
    if not user.check_password(password) or not user.active:
        return None
    return user


def reset_password(user: User, password: str) -> None:
    """A new password signs the account out everywhere (the route may sign this browser in
    again), and the account's mailed links to choose one stop working."""
    _check_password_strength(password)
    user.set_password(password)
    sessions.end_all_sessions(user)
    revoke_links(user)


def revoke_links(user: User, purpose: AccountLinkPurpose | None = None) -> None:
    """The account's unused links (of ``purpose``, or all) stop working."""
    stmt = update(AccountLink).where(
        AccountLink.user_id == user.id,
        AccountLink.used_at.is_(None),
        AccountLink.revoked_at.is_(None),
    )
    if purpose is not None:
        stmt = stmt.where(AccountLink.purpose == purpose.value)
    db.session.execute(stmt.values(revoked_at=utcnow()))


def set_active(user: User, active: bool, acting_user: User) -> None:
    if user.id == acting_user.id and not active:
        raise DomainError(_("You cannot deactivate your own account."))
    user.active = active
    if not active:
        sessions.end_all_sessions(user)
