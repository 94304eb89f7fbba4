"""The one form an email address is stored and compared in.

The same mailbox can be typed many ways: ``josé`` composed or decomposed, ``exámple.org`` or
its IDNA form ``xn--exmple-qta.org``, full-width ``ｅｘａｍｐｌｅ.org``, any mix of case. Every
place that stores or compares an address (registrations, contacts, invitations, opt-outs,
organiser accounts, the CSV import) goes through here, so each mailbox has one key.

The local part is lower-cased too: strictly it is case-sensitive, but no mail system people use
here treats ``Ana@`` and ``ana@`` as two mailboxes, and EventHub has always folded it.
"""

import contextlib
import unicodedata

from email_validator import EmailNotValidError, validate_email

EMAIL_MAX = 254


def normalise_email(text: str | None) -> str:
    """A valid address in its normal form; raises ``ValueError`` saying why it is not one.

    Normal form: the local part composed (NFC) and lower-cased, ``@``, the domain in ASCII
    (IDNA, after Unicode's mapping of full-width and other variants) and lower-cased. Only the
    syntax is checked, never DNS: validating must not depend on the network.
    """
    text = (text or "").strip()
    if not text or len(text) > EMAIL_MAX:
        raise ValueError("not an email address")
    try:
        result = validate_email(text, check_deliverability=False)
    except EmailNotValidError as error:
        raise ValueError(str(error)) from error
    local = unicodedata.normalize("NFC", result.local_part.lower())
    return f"{local}@{result.ascii_domain.lower()}"


def email_key(text: str | None) -> str:
    """What to look an address up by, whatever was typed; never raises.

    For a valid address, its normal form. Anything else (a sign-in with a typo, an account
    on an intranet name such as ``eventhub.local`` that email_validator refuses) is trimmed,
    composed and lower-cased, with the domain in IDNA where it converts: such a text then
    matches only the same text, however it was composed.
    """
    try:
        return normalise_email(text)
    except ValueError:
        pass
    text = unicodedata.normalize("NFC", (text or "").strip()).lower()
    local, at, domain = text.rpartition("@")
    if not at:
        return text
    with contextlib.suppress(UnicodeError):  # an empty or over-long label
        domain = domain.encode("idna").decode("ascii").lower()
    return f"{local}@{domain}"
