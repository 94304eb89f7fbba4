"""A claimed outbox row → the exact bytes that go on the wire, and the envelope.

The MIME tree has the shape Flask-Mail 0.10 gave it (plain text; or text and attachments in
multipart/mixed; or multipart/alternative of text and HTML inside multipart/mixed), built here
with the email package so that nothing relies on Flask-Mail's private ``_message()``. The
headers people read (Subject, From, To, Reply-To and ours) are written by
``eventhub.mail.headers``, already folded (see that module for why).

Bytes must not change between releases: mail clients, filters and tests read them.
``tests/test_mail_wire.py`` holds them to what the worker wrote before this module existed.
"""

from __future__ import annotations

import base64
import io
import re
import time
import unicodedata
from dataclasses import dataclass
from email.charset import SHORTEST, Charset
from email.encoders import encode_base64
from email.generator import BytesGenerator
from email.message import Message
from email.mime.base import MIMEBase
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from email.policy import EmailPolicy, compat32
from email.utils import formatdate

from flask import current_app
from flask_mail import sanitize_address, sanitize_subject

from eventhub.mail import headers
from eventhub.mail.claims import ClaimedMessage


class BadHeaderError(ValueError):
    """A line break in an address or the subject: it would inject headers."""


@dataclass(frozen=True)
class WireMessage:
    """What one SMTP transaction carries: MAIL FROM, RCPT TO and DATA."""

    envelope_from: str
    envelope_to: list[str]
    data: bytes


class _WirePolicy(EmailPolicy):
    """``policy.SMTP``, except for two things:

    * headers are written as stored (``refold_source="none"``): ours come folded from
      ``eventhub.mail.headers``, and the SMTP policy's refolding is what turned long values
      into encoded words cut inside words;
    * reading a header back returns the stored text instead of parsing it with the header
      registry. The generator reads the Content-Type of the message a dozen times while
      writing it, and those parses were half the worker's time per message."""

    def header_fetch_parse(self, name, value):
        return compat32.header_fetch_parse(name, value)


WIRE_POLICY = _WirePolicy(linesep="\r\n", refold_source="none")

# Text parts go out as 8-bit UTF-8, as Flask-Mail registered utf-8 process-wide; a charset
# of our own keeps the bytes the same whether or not Flask-Mail was imported.
_UTF8 = Charset("utf-8")
_UTF8.header_encoding = SHORTEST
_UTF8.body_encoding = None  # type: ignore[assignment]  # None: no transfer encoding
_SPACES = re.compile(r"\s+")


def _has_line_break(value: str) -> bool:
    return "\n" in value or "\r" in value


def _check_headers(sender: str, recipient: str, reply_to: str | None, subject: str) -> None:
    """Flask-Mail's rule: no line break in an address; in the subject, only folding ones."""
    if any(_has_line_break(value) for value in (sender, recipient, reply_to or "")):
        raise BadHeaderError("a header contains a line break")
    if subject and _has_line_break(subject):
        for number, line in enumerate(subject.split("\r\n")):
            if not line.strip() or (number > 0 and line[0] not in "\t ") or _has_line_break(line):
                raise BadHeaderError("a header contains a line break")


def _text(text: str, subtype: str = "plain") -> MIMEText:
    # The stubs say a charset name; MIMEText takes a Charset too, and that is what keeps ours.
    return MIMEText(text, _subtype=subtype, _charset=_UTF8)  # type: ignore[arg-type]


@dataclass(frozen=True)
class _Attachment:
    filename: str | None
    content_type: str
    data: bytes
    content_id: str | None = None  # an image the HTML shows (multipart/related)

    @classmethod
    def from_stored(cls, stored: dict) -> _Attachment:
        data = stored.get("data") or ""
        content_type = stored.get("content_type") or "application/octet-stream"
        if stored.get("encoding") == "base64":
            data = base64.b64decode(data)
        if isinstance(data, str):
            # Bytes, so that non-ASCII text is sent as UTF-8 (a str payload would be mangled).
            data = data.encode("utf-8")
            if content_type.startswith("text/") and "charset" not in content_type.lower():
                content_type = f"{content_type}; charset=utf-8"
        return cls(stored.get("filename"), content_type, data, stored.get("content_id"))

    def part(self, ascii_filename: bool) -> MIMEBase:
        part = MIMEBase(*self.content_type.split("/"))
        part.set_payload(self.data)
        encode_base64(part)
        filename = self.filename
        if filename is not None:
            if ascii_filename:  # MAIL_ASCII_ATTACHMENTS, Flask-Mail's setting
                filename = unicodedata.normalize("NFKD", filename)
                filename = _SPACES.sub(" ", filename.encode("ascii", "ignore").decode()).strip()
            disposition = "inline" if self.content_id else "attachment"
            if filename.isascii():
                part.add_header("Content-Disposition", disposition, filename=filename)
            else:
                part.add_header("Content-Disposition", disposition, filename=("UTF8", "", filename))
        if self.content_id:
            part["Content-ID"] = f"<{self.content_id}>"
        return part


def _write_headers(
    mime: Message,
    message: ClaimedMessage,
    sender: str,
    recipient: tuple[str, str],
    extra: dict[str, str],
    date: float | None,
) -> None:
    """The headers, in Flask-Mail's order, with the values of ``eventhub.mail.headers``."""
    # The parts are built with compat32, which stores header values as they are given.
    if message.subject:
        mime["Subject"] = headers.unstructured("Subject", message.subject)
    mime["From"] = headers.address("From", sender)
    mime["To"] = headers.mailbox("To", *recipient)
    mime["Date"] = formatdate(time.time() if date is None else date, localtime=True)
    mime["Message-ID"] = message.message_id
    if message.reply_to:
        mime["Reply-To"] = headers.address("Reply-To", message.reply_to)
    # Appended as given, then the first header of each name rewritten: a name that appears
    # twice (case aside) comes out in the order and with the values it always had.
    for name, value in extra.items():
        mime[name] = value
    for name, value in extra.items():
        mime.replace_header(name, headers.unstructured(name, value))


def build_mime(message: ClaimedMessage, date: float | None = None) -> Message:
    """The MIME tree of ``message``, dated ``date`` (now by default), ready for ``to_bytes``.

    Call inside an application context (the sender is MAIL_DEFAULT_SENDER)."""
    config = current_app.config
    sender = config["MAIL_DEFAULT_SENDER"]
    extra = {str(k): "" if v is None else str(v) for k, v in message.headers.items()}
    extra["Auto-Submitted"] = "auto-generated"
    stored = [_Attachment.from_stored(attachment) for attachment in message.attachments]
    # Images the HTML shows travel with it; without an HTML body they are plain attachments.
    shown = message.html_body is not None
    inline = [a for a in stored if shown and a.content_id]
    stored = [a for a in stored if not (shown and a.content_id)]
    recipient = (message.to_name or "", message.to_address)
    _check_headers(sender, "{} <{}>".format(*recipient), message.reply_to, message.subject)

    mime: Message
    if message.html_body is not None:
        mime = MIMEMultipart()
        alternative = MIMEMultipart("alternative")
        alternative.attach(_text(message.text_body))
        if inline:
            # RFC 2387: the HTML first, then the images its cid: addresses name.
            related = MIMEMultipart("related")
            related.attach(_text(message.html_body, "html"))
            for image in inline:
                related.attach(image.part(ascii_filename=True))
            alternative.attach(related)
        else:
            alternative.attach(_text(message.html_body, "html"))
        mime.attach(alternative)
    elif stored:
        mime = MIMEMultipart()
        mime.attach(_text(message.text_body))
    else:
        mime = _text(message.text_body)
    # Flask-Mail formatted these for its own headers and failed the message on what it cannot
    # write (a non-ASCII local part): they still fail it, with the same error, at that point.
    if message.subject:
        sanitize_subject(message.subject)
    sanitize_address(sender)
    sanitize_address(recipient)
    if message.reply_to:
        sanitize_address(message.reply_to)
    ascii_filenames = bool(config.get("MAIL_ASCII_ATTACHMENTS"))
    attachments = [attachment.part(ascii_filenames) for attachment in stored]

    _write_headers(mime, message, sender, recipient, extra, date)
    for part in attachments:
        mime.attach(part)
    mime.policy = WIRE_POLICY  # so that ``mime.as_bytes()`` writes the wire bytes too
    return mime


def to_bytes(mime: Message) -> bytes:
    """``mime.as_bytes()`` with the wire policy, CRLF line ends."""
    buffer = io.BytesIO()
    BytesGenerator(buffer, mangle_from_=False, policy=WIRE_POLICY).flatten(mime)
    return buffer.getvalue()


def build(message: ClaimedMessage, date: float | None = None) -> WireMessage:
    """Everything SMTP needs for ``message``; any encoding problem shows here, before
    anything is sent.

    MAIL FROM is our reading of MAIL_DEFAULT_SENDER's address: Flask-Mail's would cut a
    display name with a comma in it and take its first word for the address."""
    data = to_bytes(build_mime(message, date))
    sender_address = headers.split_address(current_app.config["MAIL_DEFAULT_SENDER"])[1]
    return WireMessage(
        envelope_from=sanitize_address(("", sender_address)),
        envelope_to=[sanitize_address((message.to_name or "", message.to_address))],
        data=data,
    )
