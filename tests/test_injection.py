"""CR/LF typed into names and titles cannot add email headers or calendar properties.

Everything goes in through the forms people use (event, agenda item, public registration,
invitation by typed address); the mail comes out through a real SMTP server and the calendars
through the .ics routes, and both are read back with independent parsers.
"""

import re

from icalendar import Calendar
from sqlalchemy import select, update

from eventhub.events.models import Event
from eventhub.extensions import db
from eventhub.mail.worker import deliver_due
from tests.conftest import login
from tests.factories import UserFactory

INJECTED_HEADER = "\r\nBcc: victim@evil.example\r\nX-Injected: 1"
INJECTED_ICS = "\r\nATTENDEE:mailto:victim@evil.example\r\nX-INJECTED:1"
ESCAPE_VEVENT = "\r\nEND:VEVENT\r\nBEGIN:VEVENT\r\nUID:fake@evil.example\r\nSUMMARY:Fake"


def create_event(client) -> int:
    response = client.post(
        "/events/new",
        data={
            "title": "Mesa" + INJECTED_HEADER + INJECTED_ICS,
            "kind": "round_table",
            "summary": "Resumen" + INJECTED_ICS,
            "description": "Programa" + ESCAPE_VEVENT,
            "timezone": "America/Santiago",
            "starts_at": "2027-07-15T09:30",
            "ends_at": "2027-07-15T13:00",
            "venue_name": "Sala" + INJECTED_ICS,
            "venue_address": "Calle 1" + ESCAPE_VEVENT,
            "capacity": "40",
            "registration_mode": "open",
            "is_public": "y",
        },
    )
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    event_id = int(response.headers["Location"].rstrip("/").rsplit("/", 1)[1])
    assert client.post(f"/events/{event_id}/publish").status_code == 302
    return event_id


def test_crlf_cannot_inject_mail_headers(make_app, smtp_sink):
    app = make_app(**smtp_sink.app_config())
    with app.app_context():
        UserFactory(email="organiser@example.org")
        db.session.commit()
    organiser_client = app.test_client()
    assert login(organiser_client, "organiser@example.org").status_code == 302
    event_id = create_event(organiser_client)
    visitor = app.test_client()
    response = visitor.post(
        f"/events/{event_id}/register",
        data={
            "name": "Ana" + INJECTED_HEADER,
            "email": "ana@example.org",
            "organisation_name": "Org" + INJECTED_HEADER,
            "job_title": "Jefa" + INJECTED_HEADER,
        },
    )
    assert response.status_code == 302
    response = organiser_client.post(
        f"/events/{event_id}/invitations/new",
        data={
            "extra": '"Eve\r\nBcc: victim@evil.example" <eve@example.org>\n'
            "Bob\rCc: victim@evil.example <bob@example.org>",
            "extra_language": "es",
            "whom": "primary",
            "send": "1",
        },
    )
    assert response.status_code in (200, 302)

    # Data that never went through a form (an older row, a direct import): the mail layer
    # itself must keep the line breaks out of the headers.
    with app.app_context():
        db.session.execute(
            update(Event).where(Event.id == event_id).values(title="Raw" + INJECTED_HEADER)
        )
        db.session.commit()
    response = visitor.post(
        f"/events/{event_id}/register", data={"name": "Bea", "email": "bea@example.org"}
    )
    assert response.status_code == 302

    with app.app_context():
        report = deliver_due()
    messages = smtp_sink.messages
    assert len(messages) >= 2, report.summary()
    for envelope in smtp_sink.envelopes:
        assert not any("evil.example" in to for to in envelope.rcpt_tos)
    for message in messages:
        names = {name.lower() for name in message}
        assert not names & {"bcc", "cc", "x-injected"}, (names, message["Subject"])
        raw = message.as_bytes().split(b"\n\n", 1)[0]
        unfolded = re.sub(rb"\r?\n[ \t]", b" ", raw)
        assert not re.search(rb"^(bcc|cc|x-injected)\s*:", unfolded, re.I | re.M)
    subjects = [str(m["Subject"]) for m in messages]
    assert any("Mesa Bcc: victim@evil.example X-Injected: 1" in s for s in subjects), subjects
    assert any("Raw Bcc: victim@evil.example X-Injected: 1" in s for s in subjects), subjects


def vevents(text: str) -> list:
    return list(Calendar.from_ical(text).walk("VEVENT"))


def test_crlf_cannot_inject_calendar_properties(app, organiser_client):
    event_id = create_event(organiser_client)
    response = organiser_client.post(
        f"/events/{event_id}/agenda/new",
        data={
            "title": "Panel" + INJECTED_ICS + ESCAPE_VEVENT,
            "kind": "panel",
            "starts_at": "2027-07-15T10:00",
            "ends_at": "2027-07-15T11:00",
            "location": "Sala B" + INJECTED_ICS,
            "description": "Notas" + ESCAPE_VEVENT,
        },
    )
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    with app.app_context():
        title = db.session.scalars(select(Event.title).where(Event.id == event_id)).one()
    assert "\r" not in title and "\n" not in title

    visitor = app.test_client()
    for url, expected in (
        (f"/events/{event_id}.ics", 1),
        (f"/events/{event_id}.ics?detailed=1", 2),
        ("/calendar.ics", 1),
    ):
        response = visitor.get(url)
        assert response.status_code == 200, url
        text = response.get_data(as_text=True)
        events = vevents(text)
        assert len(events) == expected, url
        for component in Calendar.from_ical(text).walk():
            assert "ATTENDEE" not in component, url
            assert "X-INJECTED" not in component, url
            assert component.get("UID") != "fake@evil.example", url
        unfolded = re.sub(r"\r\n[ \t]", "", text)
        assert not re.search(r"^(ATTENDEE|X-INJECTED)", unfolded, re.M), url
        assert len(re.findall(r"^BEGIN:VEVENT\r?$", unfolded, re.M)) == expected, url
        main = next(e for e in events if "Mesa" in str(e["SUMMARY"]))
        assert str(main["SUMMARY"]) == title
        assert "END:VEVENT" in str(main.get("DESCRIPTION", "END:VEVENT"))
