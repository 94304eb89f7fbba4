"""Change, cancellation and withdrawal notices as a mail client receives them.

Delivered by the outbox worker to a real SMTP server (tests/smtp.py); each test reads the raw
bytes the server received and parses the attached .ics with icalendar and vobject.
"""

import email
from datetime import UTC, datetime, timedelta
from email import policy

import pytest
import vobject
from icalendar import Calendar
from sqlalchemy import select

from eventhub.events.models import Event
from eventhub.extensions import db
from eventhub.invitations import services as invitations
from eventhub.mail.models import OutboxMessage
from eventhub.mail.worker import deliver_due
from eventhub.registrations import services as registrations
from eventhub.registrations.models import Registration
from tests.conftest import login
from tests.factories import EventFactory, UserFactory

START = datetime(2027, 7, 15, 14, 0, tzinfo=UTC)  # 10:00 in Santiago (winter, UTC-4)
TITLE = "Mesa de Lo Prado: migración y salud"


@pytest.fixture
def smtp_app(make_app, smtp_sink):
    return make_app(**smtp_sink.app_config())


@pytest.fixture
def people(smtp_app, smtp_sink):
    """One place (Ana holds it), Bob waiting, Carla awaiting approval, Dora invited and
    silent, Elena who declined; their earlier mail already delivered."""
    with smtp_app.app_context(), smtp_app.test_request_context():
        organiser = UserFactory(email="organiser@example.org")
        event = EventFactory(
            title=TITLE,
            published=True,
            registration_mode="open",
            capacity=1,
            starts_at=START,
            ends_at=START + timedelta(hours=3),
            venue_name="Municipalidad de Lo Prado",
        )
        db.session.commit()
        for name, address, language in [("Ana", "ana", "es"), ("Bob", "bob", "en")]:
            registrations.register(
                event,
                registrations.RegistrantData(
                    name=name, email=f"{address}@example.org", language=language
                ),
            )
        event.requires_approval = True
        registrations.register_publicly(
            event, registrations.RegistrantData(name="Carla", email="carla@example.org")
        )
        plan = invitations.plan_invitations(
            event, [], False, [], "Dora <dora@example.org>\nElena <elena@example.org>", "en"
        )
        invitations.send_invitations(event, plan, organiser)
        db.session.commit()
        elena = db.session.scalar(
            select(invitations.Invitation).where(
                invitations.Invitation.email == "elena@example.org"
            )
        )
        invitations.decline(elena, None)
        db.session.commit()
        deliver_due()
        event_id = event.id
    smtp_sink.clear()
    return event_id


def organiser_client(app):
    client = app.test_client()
    assert login(client, "organiser@example.org").status_code == 302
    return client


def deliver(app, smtp_sink) -> tuple[dict, dict]:
    """Deliver what is queued: (parsed message, raw bytes) of each recipient, as the SMTP
    server received them."""
    with app.app_context():
        deliver_due()
    raw = {}
    for envelope in smtp_sink.envelopes:
        [recipient] = envelope.rcpt_tos
        raw[recipient] = envelope.original_content
    smtp_sink.clear()
    received = {a: email.message_from_bytes(r, policy=policy.default) for a, r in raw.items()}
    return received, raw


def parts(message) -> tuple[str, str]:
    return (
        message.get_body(("plain",)).get_content(),
        message.get_body(("html",)).get_content(),
    )


def calendars(message) -> list[tuple[str, str]]:
    """(method parameter of the part, text) of each attached .ics."""
    return [
        (part.get_param("method", "").upper(), part.get_content())
        for part in message.iter_attachments()
        if part.get_content_type() == "text/calendar"
    ]


def only_vevent(text: str):
    """The one VEVENT, read by icalendar and by vobject, which must agree."""
    calendar = Calendar.from_ical(text)
    [vevent] = calendar.walk("VEVENT")
    parsed = vobject.readOne(text)
    assert parsed.vevent.uid.value == str(vevent["UID"])
    assert int(parsed.vevent.sequence.value) == int(vevent["SEQUENCE"])
    assert parsed.vevent.status.value == str(vevent["STATUS"])
    # The wall-clock time and its zone: vobject keeps the first VTIMEZONE it read for a TZID
    # for the whole process, so its instants depend on what other tests parsed before (the
    # VTIMEZONE itself is tested in tests/test_calendar.py).
    start = vevent.decoded("DTSTART")
    assert parsed.vevent.dtstart.value.replace(tzinfo=None) == start.replace(tzinfo=None)
    assert parsed.vevent.dtstart.params["X-VOBJ-ORIGINAL-TZID"] == [str(start.tzinfo)]
    return calendar, vevent


def event_uid(app, event_id) -> str:
    with app.app_context():
        return db.session.get(Event, event_id).uid


def test_a_change_tells_everyone_who_holds_an_entry_or_a_place_in_line(smtp_app, smtp_sink, people):
    client = organiser_client(smtp_app)
    page = client.get(f"/events/{people}/edit").get_data(as_text=True)
    assert "4 personas inscritas o invitadas" in page  # Ana, Bob, Carla and Dora; not Elena
    response = client.post(
        f"/events/{people}/edit",
        data={
            "title": TITLE,
            "kind": "round_table",
            "timezone": "America/Santiago",
            "starts_at": "2027-07-15T11:00",
            "ends_at": "2027-07-15T14:00",
            "venue_name": "Municipalidad de Lo Prado",
            "registration_mode": "open",
            "capacity": "1",
            "requires_approval": "y",
            "is_public": "y",
            "notify_registrants": "y",
        },
    )
    assert response.status_code == 302
    with smtp_app.app_context():
        # Each notice belongs to its event, so the event's managers can read it in the outbox.
        topics = db.session.execute(select(OutboxMessage.topic, OutboxMessage.event_id)).all()
        assert {event_id for topic, event_id in topics if topic == "event-changed"} == {people}
    received, raw = deliver(smtp_app, smtp_sink)
    assert set(received) == {
        "ana@example.org",
        "bob@example.org",
        "carla@example.org",
        "dora@example.org",
    }
    uid = event_uid(smtp_app, people)

    ana = received["ana@example.org"]
    assert ana["Subject"] == f"Cambio: {TITLE}"
    assert b"Content-Type: multipart/alternative" in raw["ana@example.org"]
    text, html = parts(ana)
    assert "10:00–13:00" in text and "11:00–14:00" in text
    assert "actualiza la entrada en su calendario" in text
    assert '<html lang="es">' in html and "<s>" in html and "11:00–14:00" in html
    assert "/r/" in text and 'href="http://eventhub.test/r/' in html
    [(method, ics)] = calendars(ana)
    assert method == "PUBLISH"
    assert b"Content-Type: text/calendar; method=PUBLISH;" in raw["ana@example.org"]
    calendar, vevent = only_vevent(ics)
    assert str(calendar["METHOD"]) == "PUBLISH"
    assert str(vevent["UID"]) == uid and int(vevent["SEQUENCE"]) >= 1
    assert vevent.decoded("DTSTART").astimezone(UTC) == START + timedelta(hours=1)

    # On the waiting list, or awaiting approval: told, but no calendar entry to update.
    for address, subject, words in [
        ("bob@example.org", f"Changed: {TITLE}", "calendar"),
        ("carla@example.org", f"Cambio: {TITLE}", "calendario"),
    ]:
        message = received[address]
        assert message["Subject"] == subject
        text, html = parts(message)
        assert "11:00" in text and "11:00" in html
        assert words not in text.lower() and words not in html.lower()
        assert calendars(message) == []
        assert b"text/calendar" not in raw[address]

    # Invited, no answer yet: the invitation's .ics is in her calendar; this one updates it.
    dora = received["dora@example.org"]
    assert dora["Subject"] == f"Changed: {TITLE}"
    text, html = parts(dora)
    assert "Your invitation: http://eventhub.test/i/" in text
    assert "updates the entry in your calendar" in text and '<html lang="en">' in html
    [(method, ics)] = calendars(dora)
    _calendar, vevent = only_vevent(ics)
    assert str(vevent["UID"]) == uid
    assert vevent.decoded("DTSTART").astimezone(UTC) == START + timedelta(hours=1)


def test_cancellation_reaches_invitees_and_carries_the_reason_escaped(smtp_app, smtp_sink, people):
    client = organiser_client(smtp_app)
    page = client.get(f"/events/{people}/cancel").get_data(as_text=True)
    assert "a las 4 personas inscritas o invitadas" in page
    assert 'name="reason"' in page
    reason = "Lluvia <b>intensa</b> & cortes de ruta"
    response = client.post(
        f"/events/{people}/cancel", data={"notify_registrants": "y", "reason": reason}
    )
    assert response.status_code == 302
    received, raw = deliver(smtp_app, smtp_sink)
    assert set(received) == {
        "ana@example.org",
        "bob@example.org",
        "carla@example.org",
        "dora@example.org",
    }
    ana = received["ana@example.org"]
    assert ana["Subject"] == f"Cancelado: {TITLE}"
    text, html = parts(ana)
    assert f"Motivo: {reason}" in text
    assert "Lluvia &lt;b&gt;intensa&lt;/b&gt; &amp; cortes de ruta" in html
    assert "<b>intensa</b>" not in html
    [(method, ics)] = calendars(ana)
    assert method == "PUBLISH"  # the event itself is cancelled: its entry says so
    _calendar, vevent = only_vevent(ics)
    assert str(vevent["STATUS"]) == "CANCELLED"

    dora = received["dora@example.org"]
    text, html = parts(dora)
    assert f"Reason: {reason}" in text and "/i/" in text
    [(_method, ics)] = calendars(dora)
    assert str(only_vevent(ics)[1]["STATUS"]) == "CANCELLED"
    for address in ("bob@example.org", "carla@example.org"):
        assert calendars(received[address]) == []
        assert b"text/calendar" not in raw[address]
        assert "calendar" not in parts(received[address])[1].lower().replace("calendario", "")

    event_page = client.get(f"/events/{people}").get_data(as_text=True)
    assert "Motivo: Lluvia &lt;b&gt;intensa&lt;/b&gt; &amp; cortes de ruta" in event_page


def test_cancel_form_refuses_a_reason_too_long(smtp_app, people):
    client = organiser_client(smtp_app)
    response = client.post(
        f"/events/{people}/cancel", data={"notify_registrants": "y", "reason": "x" * 1001}
    )
    assert response.status_code == 422
    assert "1000" in response.get_data(as_text=True)
    with smtp_app.app_context():
        event = db.session.get(Event, people)
        assert not event.is_cancelled and event.cancellation_reason is None


def _token(app, address) -> str:
    with app.app_context():
        registration = db.session.scalar(select(Registration).where(Registration.email == address))
        return registrations.registration_token(registration)


def test_a_cancelled_place_withdraws_its_calendar_entry(smtp_app, smtp_sink, people):
    uid = event_uid(smtp_app, people)
    with smtp_app.app_context():
        held = db.session.get(Event, people).sequence  # what Ana's confirmation carried

    # Ana cancels herself; Bob takes her place.
    client = smtp_app.test_client()
    response = client.post(f"/r/{_token(smtp_app, 'ana@example.org')}/cancel")
    assert response.status_code == 302
    received, raw = deliver(smtp_app, smtp_sink)
    ana = received["ana@example.org"]
    assert ana["Subject"] == f"Inscripción cancelada: {TITLE}"
    text, html = parts(ana)
    assert "agréguela a su calendario" not in text and "agregarla" not in text
    assert "calendario" in text and "quita el evento de su calendario" in html
    [(method, ics)] = calendars(ana)
    assert method == "CANCEL"
    assert b"Content-Type: text/calendar; method=CANCEL;" in raw["ana@example.org"]
    calendar, vevent = only_vevent(ics)
    assert str(calendar["METHOD"]) == "CANCEL"
    assert str(vevent["UID"]) == uid
    assert int(vevent["SEQUENCE"]) > held
    assert str(vevent["STATUS"]) == "CANCELLED"
    cancel_sequence = int(vevent["SEQUENCE"])

    bob = received["bob@example.org"]  # promoted: his .ics must outrank Ana's CANCEL
    [(method, ics)] = calendars(bob)
    assert method == "PUBLISH"
    _calendar, vevent = only_vevent(ics)
    assert str(vevent["STATUS"]) == "CONFIRMED"
    assert int(vevent["SEQUENCE"]) > cancel_sequence

    # An organiser removes Bob: the same withdrawal.
    with smtp_app.app_context():
        bob_id = db.session.scalar(
            select(Registration.id).where(Registration.email == "bob@example.org")
        )
    organiser = organiser_client(smtp_app)
    response = organiser.post(f"/events/{people}/participants/{bob_id}/remove")
    assert response.status_code == 302
    bob = deliver(smtp_app, smtp_sink)[0]["bob@example.org"]
    assert "add it to your calendar" not in parts(bob)[0]
    [(method, ics)] = calendars(bob)
    _calendar, vevent = only_vevent(ics)
    assert method == "CANCEL" and str(vevent["STATUS"]) == "CANCELLED"
    assert int(vevent["SEQUENCE"]) > cancel_sequence


def test_a_cancelled_place_in_line_sends_no_calendar(smtp_app, smtp_sink, people):
    response = smtp_app.test_client().post(f"/r/{_token(smtp_app, 'bob@example.org')}/cancel")
    assert response.status_code == 302
    received, raw = deliver(smtp_app, smtp_sink)
    assert set(received) == {"bob@example.org"}  # nobody promoted: Ana keeps her place
    bob = received["bob@example.org"]
    assert bob["Subject"] == f"Registration cancelled: {TITLE}"
    text, html = parts(bob)
    assert "add it to your calendar" not in text and "add it to your calendar" not in html
    assert calendars(bob) == [] and b"text/calendar" not in raw["bob@example.org"]
    with smtp_app.app_context():
        assert db.session.get(Event, people).sequence == 0  # nothing withdrawn


def test_moving_a_place_to_the_waiting_list_withdraws_its_calendar_entry(
    smtp_app, smtp_sink, people
):
    with smtp_app.app_context():
        ana = db.session.scalar(select(Registration).where(Registration.email == "ana@example.org"))
        ana_id, held = ana.id, ana.event.sequence
    response = organiser_client(smtp_app).post(f"/events/{people}/participants/{ana_id}/wait")
    assert response.status_code == 302
    received, raw = deliver(smtp_app, smtp_sink)
    message = received["ana@example.org"]
    assert b"Content-Type: text/calendar; method=CANCEL;" in raw["ana@example.org"]
    [(method, ics)] = calendars(message)
    _calendar, vevent = only_vevent(ics)
    assert method == "CANCEL" and str(vevent["STATUS"]) == "CANCELLED"
    assert int(vevent["SEQUENCE"]) > held
    assert "quita el evento de su calendario" in parts(message)[0]
