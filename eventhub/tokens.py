"""Personal link tokens: 256-bit, derived from the secret key, stored only as a hash.

A token is HMAC-SHA256(SECRET_KEY, purpose:owner:salt). The database keeps the salt and the
token's SHA-256, never the token: a leaked database reveals no working link, yet the app can
show a feed's address again or put an invitation's link in a reminder. Changing the salt
(or revoking the row) kills the old link at once.
"""

import base64
import hashlib
import hmac
import secrets
from typing import TypeGuard

from flask import current_app
from sqlalchemy import Select

from eventhub.extensions import db


def new_salt() -> str:
    return secrets.token_urlsafe(32)


def derive_token(purpose: str, owner_id: int | str, salt: str) -> str:
    key = current_app.config["SECRET_KEY"].encode()
    mac = hmac.new(key, f"{purpose}:{owner_id}:{salt}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(mac).decode().rstrip("=")


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def plausible(token: str | None) -> TypeGuard[str]:
    """Cheap shape check before any lookup: 43 url-safe characters."""
    return token is not None and len(token) == 43 and all(c.isalnum() or c in "-_" for c in token)


def lookup(stmt: Select, hash_column, token: str | None):
    """The row whose stored hash matches the token; None for unknown or malformed tokens.

    Looked up by hash: the database never holds the token, and equality on a digest of a
    secret leaks nothing useful through timing.
    """
    if not plausible(token):
        return None
    return db.session.scalar(stmt.where(hash_column == token_hash(token)))
