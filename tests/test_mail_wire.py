"""The bytes on the wire do not change: each message below is compared, byte for byte, with
tests/data/wire/, written by the Flask-Mail-based worker of the first releases. However the
worker builds its messages (``eventhub.mail.mime`` since issue 17), mail clients, spam
filters and the people who read the headers see exactly what they saw before."""

import random
import time
from email.utils import parseaddr
from pathlib import Path

import pytest

from eventhub.mail import mime
from eventhub.mail.claims import ClaimedMessage

WIRE = Path(__file__).parent / "data" / "wire"
SENDER = "Oficina de Coordinación – OIM Chile, Ñuñoa <eventos@oim-chile.example.org>"
ICS = (
    "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//EventHub//test//ES\r\nBEGIN:VEVENT\r\n"
    "UID:mesa@eventhub\r\nSUMMARY:Mesa intermunicipal\r\nLOCATION:Municipalidad de Peñalolén\r\n"
    "DTSTART:20261215T130000Z\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
)
BASE = {
    "id": 1,
    "attempts": 0,
    "to_address": "maria@example.org",
    "to_name": "María José Peñalolén-Ñuñoa, Jefa de la Oficina Municipal de Migrantes",
    "subject": "Invitación a la mesa intermunicipal de Peñalolén, Ñuñoa y Estación Central",
    "text_body": "Estimada María:\nLa invitamos a la mesa.\n",
    "html_body": None,
    "reply_to": None,
    "message_id": "<wire@eventhub.test>",
    "headers": {},
    "attachments": [],
}
# In this order: the position is the seed of the MIME boundaries.
CASES = {
    "plain": {},
    "plain_ascii_no_name": {"to_name": None, "subject": "Hello", "text_body": "Hello\n"},
    "no_subject": {"subject": "", "to_name": ""},
    "html": {
        "html_body": "<p>Estimada <strong>María</strong>: la invitamos.</p>",
        "reply_to": "Ana Organiser <ana@example.org>",
    },
    "empty_html": {"html_body": ""},
    "attachments": {
        "attachments": [
            {
                "filename": "invitación.ics",
                "content_type": "text/calendar; method=REQUEST",
                "data": ICS,
            },
            {
                "filename": "acta.pdf",
                "content_type": "application/pdf",
                "data": "JVBERi0=",
                "encoding": "base64",
            },
        ],
    },
    "everything": {
        "subject": "Invitación a la mesa intermunicipal de Peñalolén, Ñuñoa y Estación Central "
        * 3,
        "text_body": "Estimada María:\nLa invitamos.\n" * 40,
        "html_body": "<p>Estimada <strong>María</strong>: la invitamos.</p>" * 30,
        "reply_to": '"Oficina de Coordinación – OIM Chile, Ñuñoa" <eventos@oim-chile.example.org>',
        "headers": {
            "List-Unsubscribe": "<https://eventhub.test/invitations/opt-out/" + "x" * 120 + ">",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
            "X-EventHub-Event": "Mesa de Peñalolén",
            "X-Empty": None,
            # Named twice, case aside, with Auto-Submitted: kept in the order it always had.
            "auto-submitted": "auto-replied",
        },
        "attachments": [
            {"filename": "invitación.ics", "content_type": "text/calendar", "data": ICS},
            {"filename": None, "content_type": None, "data": "plain text, ñ"},
        ],
    },
}


@pytest.fixture
def santiago_time(monkeypatch):
    """The Date header is written in the machine's zone: the files were written in Santiago."""
    monkeypatch.setenv("TZ", "America/Santiago")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


@pytest.mark.parametrize("name", list(CASES))
def test_the_bytes_on_the_wire_are_those_of_the_first_releases(make_app, santiago_time, name):
    app = make_app(MAIL_DEFAULT_SENDER=SENDER)
    message = ClaimedMessage(**{**BASE, **CASES[name]})
    with app.app_context():
        random.seed(list(CASES).index(name))
        wire = mime.build(message, date=1_800_000_000)
    assert wire.data == (WIRE / f"{name}.eml").read_bytes()
    # What smtplib reads them as for MAIL FROM and RCPT TO.
    assert parseaddr(wire.envelope_from)[1] == "eventos@oim-chile.example.org"
    assert [parseaddr(address)[1] for address in wire.envelope_to] == ["maria@example.org"]


@pytest.mark.parametrize(
    ("field", "value", "error"),
    [
        ("subject", "Uno\nBcc: victim@example.org", "BadHeaderError: a header contains"),
        # A name is written as words, but a line break in it would start a header of its own.
        ("to_name", "Ana\r\nBcc: victim@example.org", "BadHeaderError: a header contains"),
        ("to_address", "josé@example.org", "UnicodeEncodeError"),  # no SMTPUTF8
        ("attachments", [{"filename": "a", "data": "JVBERi0", "encoding": "base64"}], "Error"),
        ("headers", {"List-Unsubscribe": "<https://ñ.example.org/>"}, "ValueError: the List"),
    ],
)
def test_what_cannot_be_written_fails_before_anything_is_sent(app, field, value, error):
    with app.app_context(), pytest.raises(Exception) as raised:
        mime.build(ClaimedMessage(**{**BASE, field: value}))
    assert f"{type(raised.value).__name__}: {raised.value}".startswith(error)
