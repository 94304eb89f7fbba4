"""Headers as mail clients read them, checked on the bytes the SMTP server received:
List-Unsubscribe a plain ASCII URI beside List-Unsubscribe-Post; subjects and display names
that decode to exactly what was written (no encoded word inside a word, none split across a
word); the invitation's .ics read right by ical.js and vobject; and a sender and Message-ID
domain taken from EVENTHUB_BASE_URL when none is configured."""

import email
import re
from datetime import UTC, datetime, timedelta
from email import policy
from email.header import decode_header, make_header

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from eventhub.extensions import db
from eventhub.mail import headers
from eventhub.mail.models import OutboxMessage
from eventhub.mail.worker import deliver_due
from eventhub.text import clean
from tests.calendar_clients import misread
from tests.conftest import login
from tests.factories import ContactFactory, EventFactory, OrganisationFactory, UserFactory
from tests.test_invitations import invite
from tests.test_outbox import enqueue, run

# A deployment under a path, as behind a shared proxy: its links are longer than a line.
BASE_URL = "https://eventos.oim-chile.example.org/coordinacion-intermunicipal"
# Titles and offices of the newsletter (shared/seeds), as long as organisers write them.
TITLES = [
    "Mesa intermunicipal sobre migración, salud y educación: experiencias de Lo Prado, "
    "Peñalolén, Ñuñoa y Estación Central",
    "Firma del convenio de cooperación OIM – Universidad Católica del Maule: investigación "
    "conjunta, seminarios y formación",
]
CONTACTS = [
    ("Oficina Municipal de Migrantes y Refugiados de Estación Central", "es"),
    ("Dirección General de Relaciones Económicas Internacionales (DIRECON)", "en"),
    ("Jefe de la Oficina de Migrantes de Peñalolén, Ñuñoa y Quinta Normal", "es"),
]
SUMMER = datetime(2028, 1, 20, 13, 0, tzinfo=UTC)  # 10:00 in Santiago (-03)


@pytest.fixture
def sent(make_app, smtp_sink):
    """Invitations to every contact for each title, delivered over SMTP: {address: (raw
    bytes, outbox row's subject, contact name)} per title."""
    sender = "Oficina de Coordinación – OIM Chile, Ñuñoa <eventos@oim-chile.example.org>"
    app = make_app(**smtp_sink.app_config(EVENTHUB_BASE_URL=BASE_URL, MAIL_DEFAULT_SENDER=sender))
    with app.app_context():
        UserFactory(email="organiser@example.org", name="Ana Organiser")
        organisation = OrganisationFactory(name="Municipalidad de Estación Central")
        for number, (name, language) in enumerate(CONTACTS):
            ContactFactory(
                organisation=organisation,
                name=name,
                email=f"contacto{number}@example.org",
                language=language,
            )
        events = [
            EventFactory(
                title=title,
                published=True,
                starts_at=SUMMER + timedelta(days=number),
                ends_at=SUMMER + timedelta(days=number, hours=3),
            )
            for number, title in enumerate(TITLES)
        ]
        db.session.commit()
        event_ids, organisation_id = [e.id for e in events], organisation.id
        expected_times = {e.uid: (e.starts_at, e.ends_at) for e in events}
    client = app.test_client()
    login(client, "organiser@example.org")
    for event_id in event_ids:
        response = invite(client, event_id, whom="all", organisation_ids=[organisation_id])
        assert response.status_code == 302
    with app.app_context():
        assert deliver_due().sent == len(TITLES) * len(CONTACTS)
        rows = db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)).all()
        names = dict(
            db.session.execute(select(OutboxMessage.to_address, OutboxMessage.to_name)).all()
        )
        subjects = [(row.message_id, row.subject, row.to_address) for row in rows]
    by_id = {}
    for envelope in smtp_sink.envelopes:
        raw = envelope.original_content
        message_id = re.search(rb"\r\nMessage-ID: (<[^>]+>)", raw).group(1).decode()
        by_id[message_id] = raw
    return {
        "sender": sender,
        "mails": [(by_id[mid], subject, names[to]) for mid, subject, to in subjects],
        "times": expected_times,
    }


def header_lines(raw: bytes, name: str) -> list[bytes]:
    """The physical lines of one header, folded as they travelled."""
    head = raw.split(b"\r\n\r\n", 1)[0]
    match = re.search(rb"(?m)^" + name.encode() + rb": [^\r\n]*(?:\r\n[ \t][^\r\n]*)*", head)
    assert match, f"no {name} header"
    return match.group(0).split(b"\r\n")


def test_list_unsubscribe_is_a_plain_ascii_uri(sent):
    for raw, _, _ in sent["mails"]:
        [line] = header_lines(raw, "List-Unsubscribe")  # no reason to fold: one URI
        assert re.fullmatch(
            rb"List-Unsubscribe: <" + re.escape(BASE_URL.encode()) + rb"/unsubscribe/[\w.-]{20,}>",
            line,
        ), line
        assert len(line) > 78  # the case the email package used to encode
        assert header_lines(raw, "List-Unsubscribe-Post") == [
            b"List-Unsubscribe-Post: List-Unsubscribe=One-Click"
        ]


ENCODED_WORD = rb"=\?utf-8\?[qbQB]\?[^?\s]*\?="


@pytest.mark.parametrize("header", ["Subject", "From", "To"])
def test_encoded_words_stand_alone_and_lines_stay_short(sent, header):
    for raw, _, _ in sent["mails"]:
        lines = header_lines(raw, header)
        value = b" ".join(line.strip() for line in lines).split(b": ", 1)[1]
        # Every encoded word is a word of its own: white space (or the start) before it,
        # white space (or the end, or an address) after it, never glued to letters.
        for match in re.finditer(ENCODED_WORD, value):
            before = value[match.start() - 1 : match.start()]
            after = value[match.end() : match.end() + 1]
            assert before in (b"", b" "), value
            assert after in (b"", b" "), value
        assert b"=?" not in re.sub(ENCODED_WORD, b"", value)
        # Two encoded words in a row are read as one text: the first must end a word, or
        # the word is cut in two ("educaci ón" in Python's parser, in names).
        for first, _ in re.findall(rb"(" + ENCODED_WORD + rb") (?=" + ENCODED_WORD + rb")", value):
            assert str(make_header(decode_header(first.decode()))).endswith(" "), value
        assert all(len(line) <= 78 for line in lines), lines


def test_subjects_and_names_decode_to_what_was_written(sent):
    seen_languages = set()
    for raw, subject, name in sent["mails"]:
        message = email.message_from_bytes(raw, policy=policy.default)
        assert str(message["Subject"]) == subject
        assert any(title in subject for title in TITLES)
        seen_languages.add(subject.split(":")[0])
        [to] = message["To"].addresses
        assert to.display_name == name
        [sender] = message["From"].addresses
        assert sender.display_name == "Oficina de Coordinación – OIM Chile, Ñuñoa"
        assert sender.addr_spec == "eventos@oim-chile.example.org"
        assert not message.defects and not message["To"].defects
    assert seen_languages == {"Invitación", "Invitation"}


def test_the_invitations_calendar_reads_right_in_every_client(sent):
    attachments = []
    for raw, _, _ in sent["mails"]:
        message = email.message_from_bytes(raw, policy=policy.default)
        [calendar] = [
            part
            for part in message.iter_attachments()
            if part.get_content_type() == "text/calendar"
        ]
        attachments.append(calendar.get_content().encode())
    assert misread(sent["times"], *attachments) == []


def test_without_a_configured_sender_mail_comes_from_the_base_urls_host(make_app, smtp_sink):
    config = smtp_sink.app_config(EVENTHUB_BASE_URL=BASE_URL)
    del config["MAIL_DEFAULT_SENDER"]  # neither it nor MAIL_MESSAGE_ID_DOMAIN is configured
    app = make_app(**config)
    enqueue(app)
    assert run(app).sent == 1
    [envelope] = smtp_sink.envelopes
    raw = envelope.original_content
    assert header_lines(raw, "From") == [b"From: EventHub <eventhub@eventos.oim-chile.example.org>"]
    [line] = header_lines(raw, "Message-ID")
    assert re.fullmatch(rb"Message-ID: <[^@<>]+@eventos\.oim-chile\.example\.org>", line), line
    assert envelope.mail_from == "eventhub@eventos.oim-chile.example.org"


def test_configured_sender_and_message_id_domain_are_kept(make_app):
    app = make_app(
        MAIL_DEFAULT_SENDER="Eventos <eventos@example.org>",
        MAIL_MESSAGE_ID_DOMAIN="mail.example.org",
    )
    assert app.config["MAIL_DEFAULT_SENDER"] == "Eventos <eventos@example.org>"
    assert app.config["MAIL_MESSAGE_ID_DOMAIN"] == "mail.example.org"


@pytest.mark.parametrize(
    ("base_url", "domain"),
    [
        ("http://127.0.0.1:5000", "[127.0.0.1]"),
        ("http://[::1]:5000/", "[IPv6:::1]"),
        ("https://Eventos.Example.ORG:8443/hub", "eventos.example.org"),
        ("https://eventos.ñuñoa.example/", "eventos.xn--uoa-6mab.example"),
    ],
)
def test_mail_domain_of_a_base_url(base_url, domain):
    from eventhub.config import mail_domain

    assert mail_domain(base_url) == domain


words = st.one_of(
    st.sampled_from(["Mesa", "de", "la", "OIM", "(DIRECON)", "Sr.", '"Lo', 'Prado"', "–", "y:"]),
    st.sampled_from(["migración,", "educación", "Peñalolén", "Ñuñoa", "«Región»", "=?x?="]),
    st.text(st.characters(blacklist_categories=("Cs", "Cc", "Zs", "Zl", "Zp")), min_size=1),
)


@settings(max_examples=200, deadline=None)
@given(st.lists(words, min_size=1, max_size=30))
def test_any_subject_and_name_decode_to_what_was_written(parts):
    text = clean(" ".join(parts))
    raw = (
        f"Subject: {headers.unstructured('Subject', text)}\r\n"
        f"To: {headers.mailbox('To', text, 'ana@example.org')}\r\n\r\n"
    ).encode("ascii")
    message = email.message_from_bytes(raw, policy=policy.default)
    assert str(message["Subject"]) == text
    [to] = message["To"].addresses
    assert to.addr_spec == "ana@example.org"
    # Python's parser keeps the space between two encoded words of a name (RFC 2047 drops
    # it): only a run of non-ASCII words too long for one encoded word has them.
    glued = re.search(rb"\?=(\r\n)? =\?", raw.split(b"\r\nTo: ")[1])
    if not glued:
        assert to.display_name == text
