"""Configuration: defaults here, then ``instance/config.py``, then the environment."""

import ipaddress
import os
import secrets
from pathlib import Path
from urllib.parse import urlsplit

ENV_SETTINGS = (
    "DATABASE_URL",
    "SECRET_KEY",
    "MAIL_SERVER",
    "MAIL_PORT",
    "MAIL_USE_TLS",
    "MAIL_USERNAME",
    "MAIL_PASSWORD",
    "MAIL_DEFAULT_SENDER",
    "MAIL_MESSAGE_ID_DOMAIN",
    "EVENTHUB_BASE_URL",
)
INTEGER_SETTINGS = {
    "MAIL_PORT",
    "MAIL_SEND_TIMEOUT",
    "MAIL_MAX_ATTEMPTS",
    "MAIL_RETRY_BASE_SECONDS",
    "MAIL_BATCH_SIZE",
    "MAIL_CLAIM_LEASE_SECONDS",
    "MAIL_CONCURRENCY",
    "MAX_CONTENT_LENGTH",
    "EVENTS_PER_PAGE",
    "ORGANISATIONS_PER_PAGE",
    "SPEAKERS_PER_PAGE",
    "UPLOAD_MAX_BYTES",
    "EVENT_IMAGE_MAX_BYTES",
    "COMMITMENT_REMINDER_DAYS",
    "PROXY_FIX_X_FOR",
    "PROXY_FIX_X_PROTO",
    "PROXY_FIX_X_HOST",
    "PROXY_FIX_X_PORT",
    "PROXY_FIX_X_PREFIX",
    "AUDIT_PER_PAGE",
    "PARTICIPANTS_PER_PAGE",
    "CACHE_TTL",
    "FEED_CACHE_BYTES",
    "SESSION_IDLE_HOURS",
    "SESSION_TOUCH_SECONDS",
    "PASSWORD_RESET_LINK_MINUTES",
    "INVITATION_LINK_DAYS",
    "READINESS_TIMEOUT",
    "REGISTRATION_HOLD_MINUTES",
    "REMINDER_GRACE_HOURS",
    "SENSITIVE_ANSWER_RETENTION_DAYS",
}
BOOLEAN_SETTINGS = {"MAIL_USE_TLS", "SESSION_COOKIE_SECURE"}


class Defaults:
    SQLALCHEMY_ENGINE_OPTIONS: dict = {"pool_pre_ping": True}
    MAX_CONTENT_LENGTH = 5 * 1024 * 1024
    # Materials (slides, agreements, photos) may be larger than any form;
    # see followup/minutes/routes.py.
    UPLOAD_MAX_BYTES = 25 * 1000 * 1000
    # An event's image goes into every invitation email (events/images.py): a header, not
    # a photo album. Within MAX_CONTENT_LENGTH, so a larger upload is a form message.
    EVENT_IMAGE_MAX_BYTES = 1_000_000
    UPLOAD_FOLDER = None  # None: instance/uploads
    # "local": UPLOAD_FOLDER on the machine that received the upload (one machine);
    # "database": chunks in the database, for several machines (followup/minutes/storage.py).
    FILE_STORAGE = "local"
    COMMITMENT_REMINDER_DAYS = 7
    BABEL_DEFAULT_LOCALE = "es"
    BABEL_DEFAULT_TIMEZONE = "America/Santiago"
    LANGUAGES = ("es", "en")
    DEFAULT_EVENT_TIMEZONE = "America/Santiago"
    EVENTS_PER_PAGE = 20
    ORGANISATIONS_PER_PAGE = 25
    SPEAKERS_PER_PAGE = 25
    AUDIT_PER_PAGE = 50
    # A page of the participants list: short enough to stay light with ten answer columns.
    PARTICIPANTS_PER_PAGE = 50
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SECURE = None  # None: decided from EVENTHUB_BASE_URL (https → secure)
    SESSION_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_HTTPONLY = True
    # Sign-in sessions live in the database (auth/sessions.py): one unused this long ends;
    # last-seen is written at most once per SESSION_TOUCH_SECONDS.
    SESSION_IDLE_HOURS = 12
    SESSION_TOUCH_SECONDS = 60
    # Mailed links to choose a password (auth/links.py): how long each one works.
    PASSWORD_RESET_LINK_MINUTES = 60
    INVITATION_LINK_DAYS = 7
    # /readyz answers 503 when the database takes longer than this many seconds.
    READINESS_TIMEOUT = 2
    WTF_CSRF_TIME_LIMIT = None
    # "smtp" delivers through MAIL_SERVER; "sink" keeps mail in the outbox, readable by
    # organisers, for demos and machines without a mail server. Unset: smtp when
    # MAIL_SERVER is configured, else sink.
    MAIL_BACKEND = None
    MAIL_SEND_TIMEOUT = 30
    MAIL_MAX_ATTEMPTS = 6
    MAIL_RETRY_BASE_SECONDS = 60
    MAIL_BATCH_SIZE = 200
    MAIL_CLAIM_LEASE_SECONDS = 600
    # Senders per worker run, each over its own SMTP connection and database connection.
    MAIL_CONCURRENCY = 1
    MAIL_SERVER = "localhost"
    MAIL_PORT = 25
    # Unset: "EventHub <eventhub@HOST>" and Message-IDs ending in @HOST, HOST being the host
    # of EVENTHUB_BASE_URL (see mail_identity).
    MAIL_DEFAULT_SENDER = None
    MAIL_MESSAGE_ID_DOMAIN = None
    EVENTHUB_BASE_URL = "http://127.0.0.1:5000"
    # Behind a reverse proxy: how many proxies set each X-Forwarded-* header (0: trust none).
    # Without X_FOR every client has the proxy's address, and login throttling per address
    # would lock everyone out at once; without X_PROTO https is not recognised.
    PROXY_FIX_X_FOR = 0
    PROXY_FIX_X_PROTO = 0
    PROXY_FIX_X_HOST = 0
    PROXY_FIX_X_PORT = 0
    PROXY_FIX_X_PREFIX = 0
    # memory:// counts per process; several gunicorn processes share redis://host:6379/0.
    RATELIMIT_STORAGE_URI = "memory://"
    RATELIMIT_HEADERS_ENABLED = True
    LOGIN_RATE_LIMIT = "10 per minute"  # per client address
    # How passwords are hashed (werkzeug's generate_password_hash method): scrypt, about a
    # quarter of a second per sign-in on purpose. The tests set a cheap one (tests/conftest.py).
    PASSWORD_HASH_METHOD = "scrypt"  # noqa: S105 (a method's name, not a password)
    LOGIN_ACCOUNT_RATE_LIMIT = "20 per 10 minutes"  # per account, from any address
    # Requests for a link to choose a new password: per client address, and per account.
    RESET_LINK_RATE_LIMIT = "10 per hour"
    RESET_LINK_ACCOUNT_RATE_LIMIT = "3 per hour"  # per account, from any address
    # Public registration: per client address (all events), and per event from any address.
    REGISTRATION_RATE_LIMIT = "10 per hour"
    REGISTRATION_EVENT_RATE_LIMIT = "300 per hour"
    # Events that confirm addresses: how long an unconfirmed registration holds its place.
    REGISTRATION_HOLD_MINUTES = 60
    # An event reminder found more than this many hours after its time (cron was down) is
    # recorded as skipped, not sent: "tomorrow morning" read in the evening misleads.
    REMINDER_GRACE_HOURS = 6
    # Answers to sensitive questions are deleted this many days after their event ends
    # (``flask questions delete-sensitive``, run from cron).
    SENSITIVE_ANSWER_RETENTION_DAYS = 90
    # Calendar polls and anonymous pages are answered from memory (eventhub/cache.py): a
    # change committed by another process shows within this many seconds (0: no cache).
    CACHE_TTL = 5
    FEED_CACHE_BYTES = 16 * 1024 * 1024


def _coerce(name: str, value: str):
    if name in INTEGER_SETTINGS:
        return int(value)
    if name in BOOLEAN_SETTINGS:
        return value.strip().lower() in {"1", "true", "yes", "on"}
    return value


def settings_from_environment(environ=os.environ) -> dict:
    """Stable contract: the named variables, plus any setting as ``EVENTHUB_<NAME>``."""
    found = {name: _coerce(name, environ[name]) for name in ENV_SETTINGS if name in environ}
    for key, value in environ.items():
        if key.startswith("EVENTHUB_") and key != "EVENTHUB_BASE_URL":
            name = key.removeprefix("EVENTHUB_")
            found[name] = _coerce(name, value)
    return found


def mail_host(host: str) -> str:
    """A host as the domain of a mail address: IDNA for names, an address literal for an IP
    address (RFC 5321, 4.1.3)."""
    try:
        address = ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return host if host.isascii() else host.encode("idna").decode("ascii")
    return f"[{address}]" if address.version == 4 else f"[IPv6:{address}]"


def mail_domain(base_url: str) -> str:
    """The host of the external URL as a mail domain."""
    return mail_host(urlsplit(base_url).hostname or "localhost")


def mail_identity(config) -> None:
    """Sender and Message-ID domain, when not configured, from EVENTHUB_BASE_URL's host: mail
    from eventhub@localhost or with @eventhub.local Message-IDs looks forged to spam filters."""
    domain = mail_domain(config["EVENTHUB_BASE_URL"])
    if not config.get("MAIL_DEFAULT_SENDER"):
        config["MAIL_DEFAULT_SENDER"] = f"EventHub <eventhub@{domain}>"
    if not config.get("MAIL_MESSAGE_ID_DOMAIN"):
        config["MAIL_MESSAGE_ID_DOMAIN"] = domain


def database_uri(config: dict, instance_path: Path) -> str:
    url = config.get("SQLALCHEMY_DATABASE_URI") or config.get("DATABASE_URL")
    if not url:
        return f"sqlite:///{instance_path / 'eventhub.sqlite'}"
    # Hosting platforms hand out postgres:// URLs; SQLAlchemy wants the driver spelled out.
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url.removeprefix(prefix)
    return url


def persistent_secret_key(instance_path: Path) -> str:
    """A key generated once per installation, so sessions survive restarts without a repo secret."""
    key_file = instance_path / "secret_key"
    try:
        fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return key_file.read_text().strip()
    with os.fdopen(fd, "w") as handle:
        key = secrets.token_hex(32)
        handle.write(key)
    return key
