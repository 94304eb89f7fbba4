"""Server-side sessions of organisers: started at sign-in, checked on every request, ended by
signing out, by a password change or reset, by deactivation, from the account page, or by
staying idle longer than ``SESSION_IDLE_HOURS``.

The signed cookie alone cannot be taken back once copied; a row per session can. The cookie
holds ``<user id>.<token>`` (Flask-Login's user id, also what a remember-me cookie would hold),
the table the token's SHA-256.
"""

import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import cast

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import CursorResult, delete, select
from sqlalchemy.orm import contains_eager

from eventhub.auth.models import User, UserSession
from eventhub.errors import NotFoundError
from eventhub.extensions import db
from eventhub.orm import utcnow
from eventhub.tokens import plausible, token_hash


def _idle_limit() -> datetime:
    return utcnow() - timedelta(hours=float(current_app.config["SESSION_IDLE_HOURS"]))


def start_session(user: User, user_agent: str | None) -> str:
    """A new session for ``user``; its token, also set on ``user`` for Flask-Login's cookie."""
    # Each sign-in clears the account's idle sessions, so the table does not grow forever.
    db.session.execute(
        delete(UserSession).where(
            UserSession.user_id == user.id, UserSession.last_seen_at < _idle_limit()
        )
    )
    token = secrets.token_urlsafe(32)
    now = utcnow()
    db.session.add(
        UserSession(
            user_id=user.id,
            token_hash=token_hash(token),
            user_agent=(user_agent or "")[:400],
            created_at=now,
            last_seen_at=now,
        )
    )
    db.session.flush()
    user.session_token = token
    return token


def load_session(session_id: str) -> UserSession | None:
    """The live session the cookie names, with its active user loaded; None otherwise."""
    user_id, _sep, token = session_id.partition(".")
    if not user_id.isdigit() or not plausible(token):
        return None
    row = db.session.scalar(
        select(UserSession)
        .join(UserSession.user)
        .options(contains_eager(UserSession.user))
        .where(UserSession.token_hash == token_hash(token))
    )
    if row is None or row.user_id != int(user_id) or not row.user.active:
        return None
    if row.last_seen_at < _idle_limit():
        return None
    row.user.session_token = token
    return row


def needs_touch(row: UserSession) -> bool:
    """Whether last-seen is old enough to be written again: at most once per
    ``SESSION_TOUCH_SECONDS``, so signed-in pages do not each cost a write."""
    interval = timedelta(seconds=int(current_app.config["SESSION_TOUCH_SECONDS"]))
    return utcnow() - row.last_seen_at >= interval


def touch(row: UserSession) -> None:
    row.last_seen_at = utcnow()
    db.session.flush()


def end_session(user: User) -> None:
    """End the session ``user`` was loaded for (signing out)."""
    if user.session_token:
        db.session.execute(
            delete(UserSession).where(UserSession.token_hash == token_hash(user.session_token))
        )
    user.session_token = None


def end_all_sessions(user: User) -> int:
    """End every session of the account; how many there were."""
    result = db.session.execute(delete(UserSession).where(UserSession.user_id == user.id))
    user.session_token = None
    return cast(CursorResult, result).rowcount or 0


def end_other_sessions(user: User) -> int:
    """End every session of the account but the one ``user`` was loaded for."""
    stmt = delete(UserSession).where(UserSession.user_id == user.id)
    if user.session_token:
        stmt = stmt.where(UserSession.token_hash != token_hash(user.session_token))
    # A DELETE's result is a CursorResult; Session.execute is typed for any statement.
    return cast(CursorResult, db.session.execute(stmt)).rowcount or 0


def end_own_session(user: User, session_id: int) -> None:
    """End one session of the account, found by its row id (from the account page)."""
    row = db.session.scalar(
        select(UserSession).where(UserSession.id == session_id, UserSession.user_id == user.id)
    )
    if row is None:
        raise NotFoundError(_("No such session."))
    db.session.delete(row)
    db.session.flush()


@dataclass
class SessionView:
    id: int
    device: str
    created_at: datetime
    last_seen_at: datetime
    current: bool


def active_sessions(user: User) -> list[SessionView]:
    """The account's sessions that have not gone idle, the current one first."""
    current_hash = token_hash(user.session_token) if user.session_token else None
    rows = db.session.scalars(
        select(UserSession)
        .where(UserSession.user_id == user.id, UserSession.last_seen_at >= _idle_limit())
        .order_by(UserSession.last_seen_at.desc(), UserSession.id.desc())
    )
    views = [
        SessionView(
            id=row.id,
            device=describe_device(row.user_agent),
            created_at=row.created_at,
            last_seen_at=row.last_seen_at,
            current=row.token_hash == current_hash,
        )
        for row in rows
    ]
    return sorted(views, key=lambda view: not view.current)


# --- the device, in plain words, from the User-Agent header -----------------------------------

# Order matters: Edge and Opera also say "Chrome", Chrome also says "Safari", and every
# Android also says "Linux".
_BROWSERS = (
    (re.compile(r"\bEdg(e|A|iOS)?/"), "Edge"),
    (re.compile(r"\b(OPR|Opera)/"), "Opera"),
    (re.compile(r"\bSamsungBrowser/"), "Samsung Internet"),
    (re.compile(r"\b(Firefox|FxiOS)/"), "Firefox"),
    (re.compile(r"\b(HeadlessChrome|Chrome|Chromium|CriOS)/"), "Chrome"),
    (re.compile(r"\bVersion/[\d.]+.*\bSafari/"), "Safari"),
)
_SYSTEMS = (
    (re.compile(r"\biPhone\b"), "iPhone"),
    (re.compile(r"\biPad\b"), "iPad"),
    (re.compile(r"\bAndroid\b"), "Android"),
    (re.compile(r"\bCrOS\b"), "ChromeOS"),
    (re.compile(r"\bWindows\b"), "Windows"),
    (re.compile(r"\bMac OS X\b|\bMacintosh\b"), "macOS"),
    (re.compile(r"\bLinux\b"), "Linux"),
)


def _first(patterns, user_agent: str) -> str | None:
    return next((name for pattern, name in patterns if pattern.search(user_agent)), None)


def describe_device(user_agent: str | None) -> str:
    """'Firefox on Windows', 'Safari on iPhone'; 'Unknown device' when nothing is recognised."""
    user_agent = user_agent or ""
    browser, system = _first(_BROWSERS, user_agent), _first(_SYSTEMS, user_agent)
    if browser and system:
        return _("%(browser)s on %(system)s", browser=browser, system=system)
    known = browser or system
    if known:
        return known
    return _("Unknown device")
