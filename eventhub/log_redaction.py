"""Keep personal links' tokens and email addresses out of the logs.

Invitation, registration, feed and opt-out links carry their token in the path
(``/i/<token>``, ``/r/<token>``, ``/feeds/<token>.ics``, ``/unsubscribe/<token>``), and access
logs print the path; a token in a log file is a key to someone's registration. Email
addresses turn up in search queries and in mail servers' refusals.
"""

import logging
import re

REDACTED = "[redacted]"
# secrets.token_urlsafe(32) gives 43 characters; ids and slugs are far shorter.
TOKEN = re.compile(r"[A-Za-z0-9_-]{32,}")
# Also percent-encoded, as browsers send an @ in a query string.
EMAIL = re.compile(r"[A-Za-z0-9._%+-]+(?:@|%40)[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")

# Loggers that print request lines or text from outside (the dev server, gunicorn).
REQUEST_LOGGERS = ("werkzeug", "gunicorn.access", "gunicorn.error")


def redact(text: str) -> str:
    return TOKEN.sub(REDACTED, EMAIL.sub(REDACTED, text))


class RedactingFilter(logging.Filter):
    """Rewrites each record's message (and traceback) with tokens and addresses removed."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        redacted = redact(message)
        if redacted != message:
            record.msg, record.args = redacted, ()
        if record.exc_info and not record.exc_text:
            # Formatters use exc_text when it is set: SQL parameters can hold addresses.
            record.exc_text = redact(logging.Formatter().formatException(record.exc_info))
        return True


def install(app_logger_name: str) -> None:
    """Attach the filter to the request loggers and to every ``eventhub`` logger (a filter
    on a logger does not apply to its children's records, so each gets one)."""
    names = {*REQUEST_LOGGERS, app_logger_name}
    names.update(name for name in logging.root.manager.loggerDict if name.startswith("eventhub"))
    for name in names:
        logger = logging.getLogger(name)
        if not any(isinstance(f, RedactingFilter) for f in logger.filters):
            logger.addFilter(RedactingFilter())
