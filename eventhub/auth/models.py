from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING

from flask import current_app, has_app_context
from flask_login import UserMixin
from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from eventhub.orm import Base, TimestampMixin, utcnow

MIN_PASSWORD_LENGTH = 10
DEFAULT_HASH_METHOD = "scrypt"


def password_hash_method() -> str:
    """The app's PASSWORD_HASH_METHOD (config.py: scrypt unless a test cheapens it)."""
    if has_app_context():
        return str(current_app.config.get("PASSWORD_HASH_METHOD") or DEFAULT_HASH_METHOD)
    return DEFAULT_HASH_METHOD


class User(UserMixin, TimestampMixin, Base):
    """An organiser account. Invitees and registrants never have one."""

    __tablename__ = "user"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    password_hash: Mapped[str] = mapped_column(String(255))
    is_admin: Mapped[bool] = mapped_column(default=False)
    active: Mapped[bool] = mapped_column(default=True)

    # The token of the session this object was loaded for (not stored): Flask-Login keeps
    # ``get_id()`` in the cookie, so the cookie names one row of ``user_session``. Its type is
    # declared for the checker only: declarative mapping takes an annotation for a column.
    if TYPE_CHECKING:
        session_token: str | None
    session_token = None

    @property
    def is_active(self) -> bool:
        return self.active

    def get_id(self) -> str:
        return f"{self.id}.{self.session_token or ''}"

    @property
    def has_password(self) -> bool:
        """False for an invited organiser who has not chosen a password yet."""
        return bool(self.password_hash)

    def set_password(self, password: str) -> None:
        self.password_hash = generate_password_hash(password, method=password_hash_method())

    def check_password(self, password: str) -> bool:
        return self.has_password and check_password_hash(self.password_hash, password)

    def __repr__(self) -> str:
        return f"<User {self.id}>"


class UserSession(Base):
    """One signed-in browser. The cookie carries a random token; only its SHA-256 is kept,
    so a leaked database opens no session. Deleting the row signs that browser out."""

    __tablename__ = "user_session"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_agent: Mapped[str] = mapped_column(String(400), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(default=utcnow)

    user: Mapped[User] = relationship()

    def __repr__(self) -> str:
        return f"<UserSession {self.id} of user {self.user_id}>"


class AccountLinkPurpose(StrEnum):
    PASSWORD_RESET = "password-reset"  # noqa: S105 (a purpose, not a password)
    INVITATION = "invitation"


class AccountLink(Base):
    """A link mailed to an account holder to choose a password: a forgotten password's reset,
    or an admin's invitation. Single use, expiring, and stored only as the token's SHA-256."""

    __tablename__ = "account_link"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    purpose: Mapped[str] = mapped_column(String(20))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    # The mail's language, so a resent invitation speaks as the first one did.
    language: Mapped[str] = mapped_column(String(8))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))

    user: Mapped[User] = relationship(foreign_keys=[user_id])

    def __repr__(self) -> str:
        return f"<AccountLink {self.id} {self.purpose} of user {self.user_id}>"
