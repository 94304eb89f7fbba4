"""Reminders before the event: the schedule, who is reminded and when, what they receive.

Time is passed to the sending run (``send_due_reminders(now=...)``): events start a few days
from the real now, registrations are made at the real now, and the run is told it is the
reminder's time.
"""

import email
import re
import threading
from datetime import UTC, datetime, time, timedelta
from email import policy
from zoneinfo import ZoneInfo

import pytest
from icalendar import Calendar
from sqlalchemy import func, select

from eventhub.agenda.models import AgendaItem
from eventhub.audit.models import AuditEntry
from eventhub.events import services as event_services
from eventhub.events.models import Event
from eventhub.events.timezones import utc_to_local
from eventhub.extensions import db
from eventhub.mail.models import OutboxMessage
from eventhub.mail.worker import deliver_due
from eventhub.registrations import services as registrations
from eventhub.registrations.models import Registration
from eventhub.reminders.models import (
    DeliveryStatus,
    Reminder,
    ReminderDelivery,
    due_at,
    wall_clock_instant,
)
from eventhub.reminders.sending import send_due_reminders
from tests.factories import EventFactory, RegistrationFactory

ZONE = "America/Santiago"
TITLE = "Mesa de Lo Prado: migración y salud"


def _start_in(days: int, hour: int = 10) -> datetime:
    """``hour`` o'clock in Santiago, ``days`` from today there."""
    local_today = datetime.now(UTC).astimezone(ZoneInfo(ZONE)).date()
    return wall_clock_instant(local_today + timedelta(days=days), time(hour), ZONE)


def _event(**fields) -> Event:
    starts = fields.pop("starts_at", None) or _start_in(5)
    event = EventFactory(
        published=True,
        registration_mode="open",
        starts_at=starts,
        ends_at=starts + timedelta(hours=3),
        **fields,
    )
    db.session.flush()
    return event


def _two_days_before(event: Event) -> datetime:
    return due_at(event, 2, None)


def _move(event: Event, offset: timedelta) -> None:
    event_services.update_event(
        event,
        event_services.EventData(
            title=event.title,
            kind=event.kind,
            timezone=event.timezone,
            starts_at=utc_to_local(event.starts_at + offset, event.timezone),
            ends_at=utc_to_local(event.ends_at + offset, event.timezone),
            registration_mode=event.registration_mode,
        ),
        notify_registrants=False,
    )


def _count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


# --- when ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("sunday", "friday_utc"),
    [
        # 6 Sep 2026: Santiago's clocks go forward at midnight (−04 → −03). 10:00 on Sunday is
        # 13:00Z; two days before on the clock is Friday 10:00 at −04: 14:00Z, 47 hours before.
        (datetime(2026, 9, 6, 13, 0, tzinfo=UTC), datetime(2026, 9, 4, 14, 0, tzinfo=UTC)),
        # 4 Apr 2027: the clocks go back at midnight (−03 → −04). 10:00 on Sunday is 14:00Z;
        # Friday 10:00 is at −03: 13:00Z, 49 hours before.
        (datetime(2027, 4, 4, 14, 0, tzinfo=UTC), datetime(2027, 4, 2, 13, 0, tzinfo=UTC)),
    ],
)
def test_two_days_before_a_sunday_of_clock_change_is_friday_at_the_same_local_time(
    app_ctx, sunday, friday_utc
):
    event = Event(starts_at=sunday, ends_at=sunday + timedelta(hours=3), timezone=ZONE)
    assert due_at(event, 2, None) == friday_utc
    # The morning of the event at 08:00, on the new clock.
    morning = due_at(event, 0, time(8, 0))
    assert morning == sunday - timedelta(hours=2)


def test_a_time_the_clocks_skip_lands_past_the_gap(app_ctx):
    # 00:30 on 6 Sep 2026 does not exist in Santiago (00:00 → 01:00): read as 01:30 (−03).
    instant = wall_clock_instant(datetime(2026, 9, 6).date(), time(0, 30), ZONE)
    assert instant == datetime(2026, 9, 6, 4, 30, tzinfo=UTC)


def test_the_dst_reminder_goes_out_at_its_instant_and_not_before(app):
    sunday = datetime(2026, 9, 6, 13, 0, tzinfo=UTC)
    with app.app_context():
        event = _event(starts_at=sunday)
        RegistrationFactory(event=event, created_at=sunday - timedelta(days=10))
        db.session.commit()
        friday = datetime(2026, 9, 4, 14, 0, tzinfo=UTC)
        assert send_due_reminders(now=friday - timedelta(minutes=1)).queued == 0
        assert send_due_reminders(now=friday).queued == 1
        assert send_due_reminders(now=friday + timedelta(minutes=5)).queued == 0  # once


# --- who ------------------------------------------------------------------------------------


def test_confirmed_registrants_are_reminded_once_and_others_not(app):
    with app.app_context():
        event = _event(capacity=2)
        confirmed = [RegistrationFactory(event=event) for _ in range(2)]
        RegistrationFactory(event=event, status="waiting")
        RegistrationFactory(event=event, status="pending", confirmed_at=None)
        RegistrationFactory(event=event, status="cancelled", confirmed_at=None)
        db.session.commit()
        due = _two_days_before(event)
        run = send_due_reminders(now=due + timedelta(minutes=1))
        assert (run.queued, run.skipped_late) == (2, 0)
        addresses = set(db.session.scalars(select(OutboxMessage.to_address)))
        assert addresses == {r.email for r in confirmed}
        assert send_due_reminders(now=due + timedelta(minutes=30)).queued == 0
        assert _count(OutboxMessage) == 2


def test_a_walk_in_without_an_address_is_not_reminded(app):
    with app.app_context():
        event = _event()
        confirmed = RegistrationFactory(event=event)
        RegistrationFactory(event=event, email=None, walk_in=True)
        db.session.commit()
        run = send_due_reminders(now=_two_days_before(event) + timedelta(minutes=1))
        assert run.queued == 1
        assert list(db.session.scalars(select(OutboxMessage.to_address))) == [confirmed.email]


def test_who_registered_after_the_reminders_time_does_not_get_that_one(app):
    with app.app_context():
        event = _event()
        due = _two_days_before(event)
        early = RegistrationFactory(event=event)
        RegistrationFactory(event=event, created_at=due + timedelta(minutes=1))
        db.session.commit()
        assert send_due_reminders(now=due + timedelta(minutes=10)).queued == 1
        assert db.session.scalars(select(OutboxMessage.to_address)).all() == [early.email]


def test_a_late_reminder_is_recorded_as_skipped_and_never_sent(make_app):
    app = make_app(REMINDER_GRACE_HOURS=6)
    with app.app_context():
        event = _event()
        RegistrationFactory(event=event)
        RegistrationFactory(event=event)
        db.session.commit()
        due = _two_days_before(event)
        run = send_due_reminders(now=due + timedelta(hours=6, minutes=1))
        assert (run.queued, run.skipped_late) == (0, 2)
        assert _count(OutboxMessage) == 0
        statuses = db.session.scalars(select(ReminderDelivery.status)).all()
        assert statuses == [DeliveryStatus.SKIPPED_LATE.value] * 2
        # Still late later, and recorded once.
        assert send_due_reminders(now=due + timedelta(hours=7)).skipped_late == 0
        # Within the grace period it would have gone.
        other = _event()
        RegistrationFactory(event=other)
        db.session.commit()
        assert send_due_reminders(now=_two_days_before(other) + timedelta(hours=5)).queued == 1


@pytest.mark.parametrize("state", ["cancelled", "past", "draft"])
def test_a_cancelled_past_or_draft_event_reminds_nobody(app, state):
    with app.app_context():
        event = _event()
        RegistrationFactory(event=event)
        db.session.commit()
        due = _two_days_before(event)
        if state == "cancelled":
            event_services.cancel_event(event, notify_registrants=False)
            now = due + timedelta(minutes=1)
        elif state == "past":
            now = event.starts_at + timedelta(minutes=1)
        else:
            event.status = "draft"
            now = due + timedelta(minutes=1)
        db.session.commit()
        run = send_due_reminders(now=now)
        assert (run.queued, run.skipped_late) == (0, 0)
        assert _count(ReminderDelivery) == 0
        reminder_messages = db.session.scalar(
            select(func.count()).where(OutboxMessage.topic == "event-reminder")
        )
        assert reminder_messages == 0


def test_two_runs_at_once_send_one_message_per_person(app):
    with app.app_context():
        event = _event()
        for _ in range(30):
            RegistrationFactory(event=event)
        db.session.commit()
        now = _two_days_before(event) + timedelta(minutes=1)
    errors, barrier, runs = [], threading.Barrier(2), []

    def run():
        with app.app_context():
            barrier.wait()
            try:
                runs.append(send_due_reminders(now=now))
            except Exception as error:  # reported below, not lost in the thread
                errors.append(repr(error))
            finally:
                db.session.remove()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert sum(r.queued for r in runs) == 30
    with app.app_context():
        assert _count(ReminderDelivery) == 30
        assert _count(OutboxMessage) == 30
        assert _count(Reminder) == 2  # the default schedule, written once
        per_person = db.session.execute(
            select(OutboxMessage.to_address, func.count()).group_by(OutboxMessage.to_address)
        ).all()
        assert {n for _, n in per_person} == {1}


def test_the_send_command_queues_event_reminders_beside_commitments(app):
    with app.app_context():
        # Two days before was four hours ago: within the grace period.
        event = _event(starts_at=datetime.now(UTC) + timedelta(days=1, hours=20))
        RegistrationFactory(event=event, created_at=datetime.now(UTC) - timedelta(days=3))
        db.session.commit()
    result = app.test_cli_runner().invoke(args=["reminders", "send"])
    assert result.exit_code == 0, result.output
    assert "Reminders queued: 0;" in result.output  # the commitments' line, unchanged
    assert "Event reminders queued: 1; skipped, too late: 0." in result.output


def test_the_sending_run_costs_the_same_queries_for_5_or_50_registrants(app, count_queries):
    def statements(registrants: int) -> int:
        with app.app_context():
            event = _event()
            db.session.add(
                AgendaItem(
                    event=event,
                    title="Apertura",
                    kind="opening",
                    starts_at=event.starts_at,
                    ends_at=event.starts_at + timedelta(minutes=30),
                )
            )
            for _ in range(registrants):
                RegistrationFactory(event=event)
            db.session.commit()
            now = _two_days_before(event) + timedelta(minutes=1)
            with count_queries(app) as recorded:
                assert send_due_reminders(now=now).queued == registrants
            # Later events of the next call must not be due at this ``now``.
            event.status = "cancelled"
            db.session.commit()
            return len(recorded)

    assert statements(5) == statements(50)


# --- the event moves or is cancelled ----------------------------------------------------------


def test_a_reminder_sent_goes_out_again_when_the_event_moves_later(app):
    with app.app_context(), app.test_request_context():
        event = _event()
        RegistrationFactory(event=event)
        db.session.commit()
        first = _two_days_before(event)
        assert send_due_reminders(now=first + timedelta(minutes=1)).queued == 1
        deliver_due()
        week = timedelta(days=7)
        _move(event, week)
        db.session.commit()
        assert send_due_reminders(now=first + timedelta(minutes=2)).queued == 0
        assert send_due_reminders(now=first + week + timedelta(minutes=1)).queued == 1
        removed = db.session.scalars(select(Reminder).where(Reminder.removed_at.is_not(None)))
        assert len(removed.all()) == 1  # kept for what it sent


def test_a_queued_reminder_the_move_took_back_goes_out_again_with_the_new_time(app):
    with app.app_context(), app.test_request_context():
        event = _event()
        RegistrationFactory(event=event, created_at=datetime.now(UTC) - timedelta(days=30))
        db.session.commit()
        first = _two_days_before(event)
        assert send_due_reminders(now=first + timedelta(minutes=1)).queued == 1
        # Not delivered yet; the event moves an hour earlier (its new time has passed too).
        hour = timedelta(hours=1)
        _move(event, -hour)
        db.session.commit()
        assert db.session.scalars(select(OutboxMessage.topic)).all() == []
        assert send_due_reminders(now=first + timedelta(minutes=2)).queued == 1
        [text] = db.session.scalars(select(OutboxMessage.text_body)).all()
        assert "09:00" in text  # the new start, in Santiago


def test_a_queued_reminder_is_taken_back_when_the_event_is_cancelled(app):
    with app.app_context():
        event = _event()
        RegistrationFactory(event=event)
        db.session.commit()
        assert send_due_reminders(now=_two_days_before(event) + timedelta(minutes=1)).queued
        event_services.cancel_event(event, notify_registrants=False)
        db.session.commit()
        topics = db.session.scalars(select(OutboxMessage.topic)).all()
        assert "event-reminder" not in topics
        [status] = db.session.scalars(select(ReminderDelivery.status)).all()
        assert status == DeliveryStatus.WITHDRAWN.value


# --- what they receive ----------------------------------------------------------------------


@pytest.fixture
def smtp_app(make_app, smtp_sink):
    return make_app(**smtp_sink.app_config())


def _received(app, smtp_sink) -> dict[str, tuple[email.message.EmailMessage, bytes]]:
    with app.app_context():
        deliver_due()
    received = {}
    for envelope in smtp_sink.envelopes:
        [recipient] = envelope.rcpt_tos
        message = email.message_from_bytes(envelope.original_content, policy=policy.default)
        received[recipient] = (message, envelope.original_content)
    smtp_sink.clear()
    return received


def test_the_reminder_in_each_language_as_the_mail_server_receives_it(smtp_app, smtp_sink):
    with smtp_app.app_context():
        event = _event(
            title=TITLE,
            venue_name="Municipalidad de Lo Prado",
            venue_address="San Pablo 5959, Lo Prado",
        )
        for minutes, title in enumerate(["Apertura", "Salud", "Vivienda", "Trabajo", "Cierre"]):
            db.session.add(
                AgendaItem(
                    event=event,
                    title=title,
                    kind="talk",
                    starts_at=event.starts_at + timedelta(minutes=30 * minutes),
                    ends_at=event.starts_at + timedelta(minutes=30 * minutes + 30),
                )
            )
        ana = RegistrationFactory(event=event, name="Ana Pérez", email="ana@example.org")
        bob = RegistrationFactory(
            event=event, name="Bob Smith", email="bob@example.org", language="en"
        )
        db.session.commit()
        tokens = {r.email: registrations.registration_token(r) for r in (ana, bob)}
        uid, event_id = event.uid, event.id
        assert send_due_reminders(now=_two_days_before(event) + timedelta(minutes=1)).queued == 2
    received = _received(smtp_app, smtp_sink)
    assert set(received) == {"ana@example.org", "bob@example.org"}

    spanish, raw = received["ana@example.org"]
    assert re.search(rb"Content-Type: text/calendar;[^\r\n]*method=\"?PUBLISH", raw)
    assert re.search(rb"filename=\"?event\.ics", raw)
    assert spanish["Subject"].startswith(f"Recordatorio: {TITLE}, ")
    text = spanish.get_body(("plain",)).get_content()
    html = spanish.get_body(("html",)).get_content()
    assert "Estimada/o Ana Pérez" in text or "Ana Pérez" in text
    assert "(America/Santiago)" in text and "10:00" in text
    assert "Municipalidad de Lo Prado, San Pablo 5959, Lo Prado" in text
    assert "https://www.openstreetmap.org/search?query=Municipalidad+de+Lo+Prado" in text
    # The agenda's first four lines, then the way to the rest.
    assert "- 10:00–10:30 Apertura" in text and "Trabajo" in text and "Cierre" not in text
    assert f"http://eventhub.test/events/{event_id}" in text
    assert f"http://eventhub.test/r/{tokens['ana@example.org']}" in text.splitlines()
    assert f"http://eventhub.test/r/{tokens['ana@example.org']}/cancel" in text
    assert "¿No puede asistir?" in text
    assert '<html lang="es">' in html and "Libere su cupo" in html
    assert f'href="http://eventhub.test/r/{tokens["ana@example.org"]}/cancel"' in html

    english, _raw = received["bob@example.org"]
    assert english["Subject"].startswith(f"Reminder: {TITLE}, ")
    text = english.get_body(("plain",)).get_content()
    html = english.get_body(("html",)).get_content()
    assert "Dear Bob Smith," in text and "Can't come?" in text
    assert f"http://eventhub.test/r/{tokens['bob@example.org']}/cancel" in text
    assert '<html lang="en">' in html and "Free your place" in html

    for message, _raw in received.values():
        [ics] = [
            part.get_content()
            for part in message.iter_attachments()
            if part.get_content_type() == "text/calendar"
        ]
        [vevent] = Calendar.from_ical(ics).walk("VEVENT")
        assert str(vevent["UID"]) == uid
        start = vevent.decoded("DTSTART")
        assert str(start.tzinfo) == ZONE and start.hour == 10


def test_free_your_place_asks_first_then_moves_the_waiting_list_up(app):
    with app.app_context():
        event = _event(capacity=1)
        holder = RegistrationFactory(event=event)
        waiting = RegistrationFactory(event=event, status="waiting")
        db.session.commit()
        send_due_reminders(now=_two_days_before(event) + timedelta(minutes=1))
        text = db.session.scalars(
            select(OutboxMessage.text_body).where(OutboxMessage.topic == "event-reminder")
        ).one()
        holder_id, waiting_id = holder.id, waiting.id
    cancel = re.search(r"http://eventhub\.test(/r/[\w-]+/cancel)", text).group(1)
    client = app.test_client()
    page = client.get(cancel)
    assert page.status_code == 200
    assert "Sí, liberar mi cupo" in page.get_data(as_text=True)
    assert page.headers["Cache-Control"] == "private, no-store"
    with app.app_context():
        assert db.session.get(Registration, holder_id).status == "confirmed"  # GET: nothing
    response = client.post(cancel)
    assert response.status_code == 302
    with app.app_context():
        assert db.session.get(Registration, holder_id).status == "cancelled"
        assert db.session.get(Registration, waiting_id).status == "confirmed"
    # Once cancelled, the link leads to the personal page.
    assert client.get(cancel).status_code == 302


# --- the organisers' pages --------------------------------------------------------------------


def _managed_event(app) -> int:
    with app.app_context():
        event = _event()
        db.session.commit()
        return event.id


def test_the_schedule_page_shows_the_defaults_and_writes_nothing(app, organiser_client):
    event_id = _managed_event(app)
    page = organiser_client.get(f"/events/{event_id}/reminders")
    assert page.status_code == 200
    body = page.get_data(as_text=True)
    assert "2 días antes, a la hora de inicio del evento" in body
    assert "El día del evento, a las 08:00" in body
    assert 'id="default-schedule"' in body
    with app.app_context():
        assert _count(Reminder) == 0
    event_page = organiser_client.get(f"/events/{event_id}").get_data(as_text=True)
    assert f'href="/events/{event_id}/reminders"' in event_page


def test_organisers_add_and_remove_reminders(app, organiser_client):
    event_id = _managed_event(app)
    url = f"/events/{event_id}/reminders"
    response = organiser_client.post(
        url, data={"days_before": "1", "at": "fixed", "local_time": "18:30"}
    )
    assert response.status_code == 302
    response = organiser_client.post(f"{url}/remove", data={"days_before": "2", "local_time": ""})
    assert response.status_code == 302
    with app.app_context():
        active = db.session.execute(
            select(Reminder.days_before, Reminder.local_time)
            .where(Reminder.removed_at.is_(None))
            .order_by(Reminder.days_before)
        ).all()
        assert active == [(0, time(8, 0)), (1, time(18, 30))]
        actions = db.session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)).all()
        assert actions == ["reminder.add", "reminder.remove"]
    body = organiser_client.get(url).get_data(as_text=True)
    assert "1 día antes, a las 18:30" in body and 'id="default-schedule"' not in body
    # Removing every reminder leaves none, not the defaults again.
    for days, at in (("0", "08:00"), ("1", "18:30")):
        organiser_client.post(f"{url}/remove", data={"days_before": days, "local_time": at})
    assert 'id="no-reminders"' in organiser_client.get(url).get_data(as_text=True)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"days_before": "2", "at": "start"}, "Este recordatorio ya está en el calendario"),
        ({"days_before": "0", "at": "fixed", "local_time": "23:00"}, "después de que comience"),
        ({"days_before": "40", "at": "start"}, "ya pasó"),
        ({"days_before": "61", "at": "start"}, ""),
        ({"days_before": "1", "at": "fixed", "local_time": ""}, "Indique la hora"),
        ({"days_before": "x", "at": "nonsense"}, ""),
    ],
)
def test_a_refused_reminder_is_said_beside_the_form(app, organiser_client, data, message):
    event_id = _managed_event(app)
    response = organiser_client.post(f"/events/{event_id}/reminders", data=data)
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    with app.app_context():
        assert _count(Reminder) == 0  # the defaults were not even written down


def test_removing_a_reminder_not_in_the_schedule_says_so(app, organiser_client):
    event_id = _managed_event(app)
    response = organiser_client.post(
        f"/events/{event_id}/reminders/remove",
        data={"days_before": "5", "local_time": "07:00"},
        follow_redirects=True,
    )
    assert "Este recordatorio no está en el calendario" in response.get_data(as_text=True)


def test_the_people_pages_say_what_was_sent_when_and_to_how_many(app, organiser_client):
    with app.app_context():
        event = _event()
        for _ in range(3):
            RegistrationFactory(event=event)
        db.session.commit()
        event_id = event.id
        send_due_reminders(now=_two_days_before(event) + timedelta(minutes=1))
    for page in ("participants", "invitations", "reminders"):
        body = organiser_client.get(f"/events/{event_id}/{page}").get_data(as_text=True)
        assert 'id="reminders-sent"' in body
        assert "2 días antes, a la hora de inicio del evento" in body
        assert "enviado a 3 personas" in body
