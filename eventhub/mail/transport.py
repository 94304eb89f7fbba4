"""SMTP with smtplib: one connection per batch, a timeout on its socket, errors sorted.

Flask-Mail 0.10 has no timeout: the worker used to set a process-wide default timeout around
its connect. Here the timeout is smtplib's own (``timeout=``), so it reaches the socket of
this connection only, the STARTTLS socket that wraps it included.

The settings keep Flask-Mail's names: MAIL_SERVER, MAIL_PORT, MAIL_USE_TLS (STARTTLS),
MAIL_USE_SSL, MAIL_USERNAME, MAIL_PASSWORD, MAIL_DEBUG, MAIL_SUPPRESS_SEND (on by default
under TESTING: the connection then opens nothing and every send succeeds), and ours,
MAIL_SEND_TIMEOUT.
"""

from __future__ import annotations

import smtplib
from dataclasses import dataclass
from types import TracebackType

from flask import current_app

from eventhub.mail.mime import WireMessage


class DeliveryFailed(Exception):
    """The server refused the message, or the connection failed under it.

    ``permanent``: a 5xx; retrying will not help. ``connection_lost``: the connection
    cannot carry the rest of the batch."""

    def __init__(self, text: str, *, permanent: bool, connection_lost: bool):
        super().__init__(text)
        self.text = text
        self.permanent = permanent
        self.connection_lost = connection_lost


@dataclass(frozen=True)
class SmtpSettings:
    host: str
    port: int
    timeout: float
    use_ssl: bool = False
    use_tls: bool = False
    username: str | None = None
    password: str | None = None
    debug: int = 0
    suppress: bool = False

    @classmethod
    def from_config(cls) -> SmtpSettings:
        app = current_app
        config = app.config
        return cls(
            host=config.get("MAIL_SERVER", "127.0.0.1"),
            port=int(config.get("MAIL_PORT", 25)),
            timeout=float(config["MAIL_SEND_TIMEOUT"]),
            use_ssl=bool(config.get("MAIL_USE_SSL", False)),
            use_tls=bool(config.get("MAIL_USE_TLS", False)),
            username=config.get("MAIL_USERNAME"),
            password=config.get("MAIL_PASSWORD"),
            debug=int(config.get("MAIL_DEBUG", app.debug)),
            suppress=bool(config.get("MAIL_SUPPRESS_SEND", app.testing)),
        )


def describe(error: BaseException, timeout: float) -> tuple[int | None, str]:
    """(SMTP reply code or None, the text for last_error)."""
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        code, reply = next(iter(error.recipients.values()), (None, b""))
        return code, f"{code} {_decode(reply)}".strip()
    if isinstance(error, smtplib.SMTPResponseException):
        return error.smtp_code, f"{error.smtp_code} {_decode(error.smtp_error)}".strip()
    if isinstance(error, TimeoutError) or isinstance(error.__context__, TimeoutError):
        return None, f"The mail server did not answer within {timeout:g} seconds."
    if isinstance(error, smtplib.SMTPServerDisconnected):
        return None, f"The mail server closed the connection: {error}"
    if isinstance(error, ConnectionRefusedError):
        return None, f"The mail server refused the connection: {error}"
    return None, f"{type(error).__name__}: {error}"


def _decode(value) -> str:
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return str(value)


class SmtpConnection:
    """One SMTP session; ``open()`` connects, says STARTTLS and logs in as configured."""

    def __init__(self, settings: SmtpSettings):
        self.settings = settings
        self._smtp: smtplib.SMTP | None = None

    @classmethod
    def open(cls, settings: SmtpSettings) -> SmtpConnection:
        """Raises OSError (``smtplib.SMTPException`` among them) when the server cannot be
        reached or refuses us; nothing stays open then."""
        connection = cls(settings)
        if settings.suppress:
            return connection
        smtp_class = smtplib.SMTP_SSL if settings.use_ssl else smtplib.SMTP
        smtp = smtp_class(settings.host, settings.port, timeout=settings.timeout)
        connection._smtp = smtp
        try:
            smtp.set_debuglevel(settings.debug)
            if settings.use_tls:
                # smtplib's default context, as under Flask-Mail: encrypted, but the relay's
                # certificate is not verified (relays with self-signed ones work today).
                smtp.starttls()
            if settings.username and settings.password:
                smtp.login(settings.username, settings.password)
        except BaseException:
            connection.close()
            raise
        return connection

    @property
    def socket_timeout(self) -> float | None:
        """The timeout on this connection's socket (None when nothing is open)."""
        if self._smtp is None or self._smtp.sock is None:
            return None
        return self._smtp.sock.gettimeout()

    @property
    def is_open(self) -> bool:
        # smtplib drops its socket when the server closes the session (a 421, say).
        return self.settings.suppress or (self._smtp is not None and self._smtp.sock is not None)

    def send(self, message: WireMessage) -> None:
        """Hand ``message`` to the server; returns once the server accepted it.

        Raises ``DeliveryFailed`` for the failures the worker knows how to sort; anything
        else (we cannot tell whether the message arrived) goes up as it is."""
        if self._smtp is None:
            if self.settings.suppress:
                return
            raise DeliveryFailed(
                "The connection to the mail server is closed.",
                permanent=False,
                connection_lost=True,
            )
        timeout = self.settings.timeout
        try:
            self._smtp.sendmail(message.envelope_from, message.envelope_to, message.data)
        except (smtplib.SMTPRecipientsRefused, smtplib.SMTPResponseException) as error:
            code, text = describe(error, timeout)
            raise DeliveryFailed(
                text,
                permanent=code is not None and 500 <= code < 600,
                connection_lost=not self.is_open,
            ) from error
        except OSError as error:  # timeouts, resets, SMTPServerDisconnected, other SMTPException
            raise DeliveryFailed(
                describe(error, timeout)[1], permanent=False, connection_lost=True
            ) from error

    def close(self) -> None:
        """QUIT if the session still stands, then close the socket; never raises."""
        smtp, self._smtp = self._smtp, None
        if smtp is None:
            return
        try:
            if smtp.sock is not None:
                smtp.quit()
        except (smtplib.SMTPException, OSError):
            pass
        finally:
            smtp.close()

    def __enter__(self) -> SmtpConnection:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()
