"""Registrants hear about changes to the time or the place, and about cancellations."""

from datetime import UTC, datetime, timedelta

import pytest
from icalendar import Calendar
from sqlalchemy import select

from eventhub.extensions import db
from eventhub.mail.models import OutboxMessage
from eventhub.registrations import services as registrations
from tests.factories import EventFactory

START = datetime(2027, 7, 15, 14, 0, tzinfo=UTC)  # 10:00 in Santiago (winter, UTC-4)


@pytest.fixture
def event_id(app):
    with app.app_context(), app.test_request_context():
        event = EventFactory(
            title="Mesa de Lo Prado",
            published=True,
            registration_mode="open",
            starts_at=START,
            ends_at=START + timedelta(hours=3),
            venue_name="Municipalidad de Lo Prado",
        )
        db.session.commit()
        for name, email, language in [
            ("Ana", "ana@example.org", "es"),
            ("Bob", "bob@example.org", "en"),
        ]:
            registrations.register(
                event, registrations.RegistrantData(name=name, email=email, language=language)
            )
        db.session.commit()
        return event.id


def edit_form(**overrides):
    data = {
        "title": "Mesa de Lo Prado",
        "kind": "round_table",
        "timezone": "America/Santiago",
        "starts_at": "2027-07-15T10:00",
        "ends_at": "2027-07-15T13:00",
        "venue_name": "Municipalidad de Lo Prado",
        "registration_mode": "open",
        "is_public": "y",
        "notify_registrants": "y",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def notices(app, topic):
    with app.app_context():
        return list(
            db.session.scalars(
                select(OutboxMessage).where(OutboxMessage.topic == topic).order_by(OutboxMessage.id)
            )
        )


def test_time_change_tells_each_registrant_in_their_language(app, organiser_client, event_id):
    page = organiser_client.get(f"/events/{event_id}/edit").get_data(as_text=True)
    assert "2 personas inscritas" in page
    response = organiser_client.post(
        f"/events/{event_id}/edit",
        data=edit_form(starts_at="2027-07-15T11:00", ends_at="2027-07-15T14:00"),
    )
    assert response.status_code == 302
    spanish, english = notices(app, "event-changed")
    assert spanish.subject == "Cambio: Mesa de Lo Prado"
    assert english.subject == "Changed: Mesa de Lo Prado"
    assert "10:00–13:00" in spanish.text_body and "11:00–14:00" in spanish.text_body
    assert "/r/" in spanish.text_body
    [vevent] = Calendar.from_ical(spanish.attachments[0]["data"]).walk("VEVENT")
    assert vevent["SEQUENCE"] >= 1
    assert vevent.decoded("DTSTART").astimezone(UTC) == START + timedelta(hours=1)


def test_venue_change_is_told_but_a_typo_fix_can_stay_quiet(app, organiser_client, event_id):
    organiser_client.post(
        f"/events/{event_id}/edit", data=edit_form(venue_name="Centro Cultural de Lo Prado")
    )
    [notice, _] = notices(app, "event-changed")
    assert "Municipalidad de Lo Prado" in notice.text_body
    assert "Centro Cultural de Lo Prado" in notice.text_body
    organiser_client.post(
        f"/events/{event_id}/edit",
        data=edit_form(venue_name="Centro Cultural Lo Prado", notify_registrants=None),
    )
    organiser_client.post(
        f"/events/{event_id}/edit",
        data=edit_form(title="Mesa de Lo Prado (2027)", venue_name="Centro Cultural Lo Prado"),
    )  # nothing to tell
    assert len(notices(app, "event-changed")) == 2


def test_cancellation_tells_registrants_with_a_cancelled_calendar_entry(
    app, organiser_client, event_id
):
    page = organiser_client.get(f"/events/{event_id}/cancel").get_data(as_text=True)
    assert 'name="notify_registrants"' in page
    organiser_client.post(f"/events/{event_id}/cancel", data={"notify_registrants": "y"})
    spanish, english = notices(app, "event-cancelled")
    assert english.subject == "Cancelled: Mesa de Lo Prado"
    [vevent] = Calendar.from_ical(spanish.attachments[0]["data"]).walk("VEVENT")
    assert vevent["STATUS"] == "CANCELLED"


def test_cancellation_without_notice(app, organiser_client, event_id):
    organiser_client.post(f"/events/{event_id}/cancel")
    assert notices(app, "event-cancelled") == []
