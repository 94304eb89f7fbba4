"""Duplicating an event ("Duplicar"): what the copy takes, what it leaves, its times, who may.

The copy is made through the route, as an organiser does, on SQLite and PostgreSQL. Dates are
chosen relative to today (a copy goes to today or later), in next year's Chilean winter and
spring so that the change of offset in September lies between the original and the copy.
"""

import io
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from eventhub.agenda.models import AgendaItem, AgendaItemSpeaker
from eventhub.audit.models import AuditEntry
from eventhub.auth.models import User
from eventhub.calendar.feeds import FeedKind
from eventhub.events import cloning, signals
from eventhub.events.models import Event, EventManager, EventOrganisation
from eventhub.events.routes import EVENT_FIELDS
from eventhub.extensions import db
from eventhub.followup.commitments import services as commitments
from eventhub.followup.minutes import services as minutes
from eventhub.invitations import services as invitations
from eventhub.questions import services as questions
from eventhub.questions.models import Question, QuestionForm
from eventhub.registrations import services as registrations
from eventhub.reminders import services as reminders
from tests.conftest import login
from tests.factories import (
    ContactFactory,
    EventFactory,
    OrganisationFactory,
    ProgrammeFactory,
    SpeakerFactory,
    UserFactory,
    png_bytes,
)
from tests.world import snapshot

SANTIAGO = ZoneInfo("America/Santiago")
YEAR = date.today().year + 1
AUGUST = date(YEAR, 8, 20)  # winter: UTC-4
OCTOBER = date(YEAR, 10, 15)  # after the first Sunday of September: UTC-3


def _at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=SANTIAGO).astimezone(UTC)


def _local(instant: datetime) -> datetime:
    return instant.astimezone(SANTIAGO).replace(tzinfo=None)


def _round_table(app, day: date = AUGUST, hour: int = 9) -> dict:
    """Ana's monthly round table with one of everything, Bea as co-organiser."""
    with app.app_context(), app.test_request_context():
        ana = UserFactory(email="ana@example.org", name="Ana")
        bea = UserFactory(email="bea@example.org", name="Bea")
        UserFactory(email="carla@example.org", name="Carla")
        host, guest = OrganisationFactory(name="Municipalidad de Quilicura"), OrganisationFactory()
        ContactFactory(organisation=guest, email="oficina@example.org")
        speaker, moderator = SpeakerFactory(name="Rosa Economista"), SpeakerFactory()
        programme = ProgrammeFactory(name="Migrantes y Ciudades")
        event = EventFactory(
            title="Mesa intermunicipal de agosto",
            kind="round_table",
            summary="Oficinas de migrantes de la región",
            description="**Orden del día** en la sala",
            starts_at=_at(day, hour),
            ends_at=_at(day, hour + 3),
            venue_name="Sala del Concejo",
            venue_address="Av. Libertador 1234, Quilicura",
            host_organisation_id=host.id,
            programme_id=programme.id,
            capacity=40,
            registration_mode="open",
            registration_deadline=_at(day - timedelta(days=3), 18),
            requires_approval=True,
            confirm_email=True,
            is_public=True,
            published=True,
            created_by_id=ana.id,
        )
        db.session.flush()
        event.participations.extend(
            [
                EventOrganisation(organisation_id=host.id, role="host"),
                EventOrganisation(organisation_id=guest.id, role="invited"),
            ]
        )
        db.session.add(EventManager(event_id=event.id, user_id=bea.id))
        opening = AgendaItem(
            title="Apertura",
            kind="opening",
            location="Sala A",
            starts_at=_at(day, hour),
            ends_at=_at(day, hour, 30),
            speakers=[AgendaItemSpeaker(speaker_id=speaker.id, role="speaker", position=0)],
        )
        panel = AgendaItem(
            title="Panel",
            kind="panel",
            description="Experiencias",
            starts_at=_at(day, hour + 1),
            ends_at=_at(day, hour + 2),
            speakers=[
                AgendaItemSpeaker(speaker_id=moderator.id, role="moderator", position=0),
                AgendaItemSpeaker(speaker_id=speaker.id, role="panellist", position=1),
            ],
        )
        event.agenda_items.extend([opening, panel])
        form = questions.ensure_event_form(event)
        workshop = questions.add_question(
            form,
            questions.QuestionSpec(
                kind="single_choice",
                label_es="Taller",
                label_en="Workshop",
                required=True,
                choices=[
                    questions.ChoiceSpec("Mañana", "Morning", places=20),
                    questions.ChoiceSpec("Tarde", "Afternoon"),
                ],
            ),
        )
        questions.add_question(
            form,
            questions.QuestionSpec(
                kind="short_text",
                label_es="¿Qué taller de la mañana prefiere?",
                condition_question_id=workshop.id,
                condition_value=workshop.choices[0].value,
            ),
        )
        questions.add_standard_question(form, "gender")
        questions.set_purpose(form, "Para las cifras del programa", "For the programme figures")
        reminders.add_reminder(event, reminders.Timing(7, time(10, 0)))
        # What belongs to the event that takes place: none of it goes with the copy.
        registrations.register(
            event, registrations.RegistrantData(name="Participante", email="p@example.org")
        )
        plan = invitations.plan_invitations(event, [guest.id], True, [], "")
        invitations.send_invitations(event, plan, ana)
        minutes.save_minutes(event, "Acuerdos de la mesa", "participants", ana)
        commitments.create_commitment(
            event, commitments.CommitmentData("Mapear oficinas", guest.id), ana
        )
        db.session.commit()
        return {
            "event_id": event.id,
            "ana": ana.id,
            "bea": bea.id,
            "host": host.id,
            "guest": guest.id,
            "programme": programme.id,
            "speaker": speaker.id,
            "moderator": moderator.id,
        }


def _clone(client, event_id: int, starts_on, title: str | None = None, **more):
    data = {"starts_on": str(starts_on), **more}
    if title is not None:
        data["title"] = title
    return client.post(f"/events/{event_id}/clone", data=data)


def _copy_id(response) -> int:
    assert response.status_code == 302, response.get_data(as_text=True)
    return int(response.headers["Location"].rsplit("/", 1)[1])


# Rows keyed by an event that a copy may have: everything else stays with the original.
COPIED_TABLES = {
    "event_organisation",
    "event_manager",
    "agenda_item",
    "question_form",
    "reminder_schedule",
    "reminder",
    "audit_entry",
    "event_image",
}


def _rows_by_table(event_id: int) -> dict[str, int]:
    counts = {}
    for table in db.metadata.sorted_tables:
        if "event_id" in table.columns and table.name != "event":
            number = db.session.scalar(
                select(func.count()).select_from(table).where(table.c.event_id == event_id)
            )
            if number:
                counts[table.name] = number
    return counts


def test_the_copy_takes_the_event_its_agenda_organisations_settings_and_questions(app, client):
    world = _round_table(app)
    login(client, "ana@example.org")
    page = client.get(f"/events/{world['event_id']}")
    assert f'href="/events/{world["event_id"]}/clone"' in page.get_data(as_text=True)
    form = client.get(f"/events/{world['event_id']}/clone").get_data(as_text=True)
    assert 'value="Mesa intermunicipal de agosto (copia)"' in form  # natural Spanish first
    copy_id = _copy_id(_clone(client, world["event_id"], OCTOBER, "Mesa intermunicipal de octubre"))
    shown = client.get(f"/events/{copy_id}").get_data(as_text=True)
    assert "Copia creada como borrador" in shown

    with app.app_context():
        source, copy = db.session.get(Event, world["event_id"]), db.session.get(Event, copy_id)
        assert copy.title == "Mesa intermunicipal de octubre"
        # Every field of the event form but its times and title, whatever it comes to hold.
        same = [f for f in EVENT_FIELDS if f not in {"title", "starts_at", "ends_at"}]
        same.remove("registration_deadline")
        assert {name: getattr(copy, name) for name in same} == {
            name: getattr(source, name) for name in same
        }
        assert copy.programme_id == world["programme"]  # the monthly table stays in it
        assert copy.uid != source.uid and copy.sequence == 0
        assert copy.created_by_id == world["ana"]
        assert sorted((p.organisation_id, p.role) for p in copy.participations) == sorted(
            [(world["host"], "host"), (world["guest"], "invited")]
        )
        assert [m.user_id for m in copy.managers] == [world["bea"]]
        # The agenda, item by item, with the speakers in their roles and order.
        assert [
            (
                _local(i.starts_at).time(),
                _local(i.ends_at).time(),
                i.title,
                i.kind,
                i.location,
                i.description,
                [(b.speaker_id, b.role, b.position) for b in i.speakers],
            )
            for i in copy.agenda_items
        ] == [
            (
                time(9),
                time(9, 30),
                "Apertura",
                "opening",
                "Sala A",
                None,
                [(world["speaker"], "speaker", 0)],
            ),
            (
                time(10),
                time(11),
                "Panel",
                "panel",
                None,
                "Experiencias",
                [(world["moderator"], "moderator", 0), (world["speaker"], "panellist", 1)],
            ),
        ]
        assert {i.uid for i in copy.agenda_items}.isdisjoint(i.uid for i in source.agenda_items)
        # The questions: choices with their limits, the condition pointing at the copy's own
        # question, the standard question's key, the purpose of the sensitive ones.
        asked = questions.event_questions(copy_id)
        assert [(q.label_es, q.kind, q.required, q.key) for q in asked] == [
            ("Taller", "single_choice", True, None),
            ("¿Qué taller de la mañana prefiere?", "short_text", False, None),
            *[
                (q.label_es, q.kind, q.required, q.key)
                for q in questions.event_questions(source.id)
            ][2:],
        ]
        assert asked[2].key == "gender"
        assert [(c.label_es, c.label_en, c.places) for c in asked[0].choices] == [
            ("Mañana", "Morning", 20),
            ("Tarde", "Afternoon", None),
        ]
        assert asked[1].condition_question_id == asked[0].id
        assert asked[1].condition_value == asked[0].choices[0].value
        form_row = questions.event_form(copy_id)
        assert (form_row.purpose_es, form_row.purpose_en) == (
            "Para las cifras del programa",
            "For the programme figures",
        )
        schedule = reminders.timings(copy)
        assert reminders.Timing(7, time(10, 0)) in schedule  # the organiser's own schedule
        assert sorted(schedule, key=str) == sorted(reminders.timings(source), key=str)
        # Nothing of what happened at the original: registrations, invitations, minutes,
        # materials, commitments, messages, reminders sent.
        assert set(_rows_by_table(copy_id)) <= COPIED_TABLES
        assert {"registration", "invitation", "minutes", "commitment"} <= set(
            _rows_by_table(source.id)
        )
        assert db.session.scalar(
            select(func.count(Question.id))
            .join(QuestionForm)
            .where(QuestionForm.event_id == source.id)
        ) == len(asked)  # the original keeps its own


def test_times_keep_the_wall_clock_across_the_chilean_change_of_offset(app, client):
    world = _round_table(app, AUGUST, hour=9)
    login(client, "ana@example.org")
    copy_id = _copy_id(_clone(client, world["event_id"], OCTOBER))
    with app.app_context():
        source, copy = db.session.get(Event, world["event_id"]), db.session.get(Event, copy_id)
        # The precondition: the offset changed in between (UTC-4 in August, UTC-3 in October).
        assert source.starts_at.astimezone(SANTIAGO).utcoffset() == timedelta(hours=-4)
        assert copy.starts_at.astimezone(SANTIAGO).utcoffset() == timedelta(hours=-3)
        assert source.starts_at.astimezone(UTC).hour == 13
        assert copy.starts_at.astimezone(UTC).hour == 12  # 09:00 local, not 10:00
        assert _local(copy.starts_at) == datetime.combine(OCTOBER, time(9))
        assert _local(copy.ends_at) == datetime.combine(OCTOBER, time(12))
        assert [_local(i.starts_at) for i in copy.agenda_items] == [
            datetime.combine(OCTOBER, time(9)),
            datetime.combine(OCTOBER, time(10)),
        ]
        # The deadline, three days before at 18:00, moves by the same number of days.
        assert _local(copy.registration_deadline) == datetime.combine(
            OCTOBER - timedelta(days=3), time(18)
        )
        assert copy.title == "Mesa intermunicipal de agosto (copia)"  # left empty: marked


def test_the_copy_is_a_draft_nobody_outside_sees(app, client):
    world = _round_table(app)
    login(client, "ana@example.org")
    copy_id = _copy_id(_clone(client, world["event_id"], OCTOBER))
    with app.app_context():
        copy = db.session.get(Event, copy_id)
        assert (copy.status, copy.published_at, copy.registration_closed) == ("draft", None, False)
        uid = copy.uid
    client.post("/logout")
    assert client.get(f"/events/{copy_id}").status_code == 404
    assert client.get(f"/events/{world['event_id']}").status_code == 200  # the original is
    assert uid not in client.get("/calendar.ics").get_data(as_text=True)
    assert f"/events/{copy_id}" not in client.get("/events/").get_data(as_text=True)
    with app.app_context(), app.test_request_context():
        from eventhub.calendar.services import rotate_feed_token

        token = rotate_feed_token(FeedKind.ORGANISATION, world["host"])
        db.session.commit()
    feed = client.get(f"/feeds/{token}.ics").get_data(as_text=True)
    assert uid not in feed


def test_a_co_organiser_duplicates_and_the_team_comes_along(app, client):
    world = _round_table(app)
    login(client, "bea@example.org")
    copy_id = _copy_id(_clone(client, world["event_id"], OCTOBER))
    with app.app_context():
        copy = db.session.get(Event, copy_id)
        assert copy.created_by_id == world["bea"]  # the one who duplicated
        assert [m.user_id for m in copy.managers] == [world["ana"]]  # the original's creator
        entry = db.session.scalars(select(AuditEntry).where(AuditEntry.event_id == copy_id)).one()
        assert (entry.action, entry.user_id) == ("event.clone", world["bea"])
        assert entry.details == {"subject": "Mesa intermunicipal de agosto"}
    history = client.get(f"/admin/audit?event={copy_id}")  # the copy's managers read it
    assert "Evento duplicado de otro" in history.get_data(as_text=True)


def test_only_the_event_managers_duplicate_it(app, client):
    world = _round_table(app)
    before = snapshot(app, ["event"])
    assert client.get(f"/events/{world['event_id']}/clone").status_code == 302  # sign in
    assert _clone(client, world["event_id"], OCTOBER).status_code == 302
    assert snapshot(app, ["event"]) == before
    login(client, "carla@example.org")  # an organiser, not of this event
    before = snapshot(app)
    page = client.get(f"/events/{world['event_id']}").get_data(as_text=True)
    assert f"/events/{world['event_id']}/clone" not in page
    refused = client.get(f"/events/{world['event_id']}/clone")
    assert refused.status_code == 403
    assert "Usted no gestiona este evento" in refused.get_data(as_text=True)
    assert _clone(client, world["event_id"], OCTOBER).status_code == 403
    assert client.get("/events/99999/clone").status_code == 404
    assert snapshot(app) == before


@pytest.mark.parametrize(
    ("starts_on", "title", "message"),
    [
        ("", None, "Indique la fecha de la copia."),
        ("no es una fecha", None, "fecha"),
        ("2026-02-30", None, "fecha"),
        # Yesterday on the event's clocks: "today" is the event zone's day, not the machine's.
        (
            datetime.now(SANTIAGO).date() - timedelta(days=1),
            None,
            "Elija una fecha de hoy en adelante.",
        ),
        (date.today() + timedelta(days=366 * 11), None, "próximos 10 años"),
        (OCTOBER, "x" * 201, "200"),
    ],
)
def test_bad_input_is_told_beside_the_field_and_writes_nothing(
    app, client, starts_on, title, message
):
    world = _round_table(app)
    login(client, "ana@example.org")
    before = snapshot(app)
    response = _clone(client, world["event_id"], starts_on, title)
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert snapshot(app) == before


def test_a_time_the_clocks_skip_on_the_new_date_is_refused(app, client):
    """Chile skips 00:00–00:59 on the first Sunday of September: a 00:30 start cannot go
    there."""
    world = _round_table(app, date(YEAR, 8, 2), hour=0)
    with app.app_context():
        event = db.session.get(Event, world["event_id"])
        for item in event.agenda_items:
            item.starts_at += timedelta(minutes=30)
            item.ends_at += timedelta(minutes=30)
        event.starts_at += timedelta(minutes=30)
        db.session.commit()
    skipped = next(day for day in (date(YEAR, 9, d) for d in range(1, 8)) if day.weekday() == 6)
    login(client, "ana@example.org")
    before = snapshot(app)
    response = _clone(client, world["event_id"], skipped)
    assert response.status_code == 422
    text = response.get_data(as_text=True)
    assert f"{skipped.isoformat()} 00:30 no existe en America/Santiago" in text
    assert snapshot(app) == before
    assert _copy_id(_clone(client, world["event_id"], skipped + timedelta(days=7)))


def test_a_speaker_booked_elsewhere_then_stops_the_copy(app, client):
    world = _round_table(app)
    with app.app_context():
        other = EventFactory(starts_at=_at(OCTOBER, 8), ends_at=_at(OCTOBER, 12))
        db.session.flush()
        other.agenda_items.append(
            AgendaItem(
                title="Charla",
                starts_at=_at(OCTOBER, 9),
                ends_at=_at(OCTOBER, 9, 15),
                speakers=[AgendaItemSpeaker(speaker_id=world["speaker"], position=0)],
            )
        )
        db.session.commit()
    login(client, "ana@example.org")
    before = snapshot(app)
    response = _clone(client, world["event_id"], OCTOBER)
    assert response.status_code == 422
    assert "Rosa Economista" in response.get_data(as_text=True)
    assert snapshot(app) == before


def test_the_domains_above_copy_their_own_rows_through_the_signal(app):
    def listeners(signal) -> set[str]:
        return {receiver.__module__ for receiver in signal.receivers_for(object())}

    assert {"eventhub.agenda", "eventhub.questions", "eventhub.reminders"} <= listeners(
        signals.cloned
    )
    world = _round_table(app)
    sent = []

    def record(sender, **kwargs):
        sent.append((sender.id, kwargs["copy"].id, kwargs["shift"].days))

    with app.app_context(), app.test_request_context():
        signals.cloned.connect(record)
        try:
            source = db.session.get(Event, world["event_id"])
            by = db.session.get(User, world["ana"])
            copy = cloning.clone_event(source, cloning.CloneRequest(OCTOBER), by)
        finally:
            signals.cloned.disconnect(record)
        assert sent == [(source.id, copy.id, (OCTOBER - AUGUST).days)]
        db.session.rollback()


def test_a_long_title_is_cut_to_fit_its_copy_mark(app):
    with app.app_context(), app.test_request_context():
        marked = cloning.default_title("M" * 200)
        assert len(marked) <= 200
        assert marked.endswith("M… (copia)")
        assert cloning.default_title("Desayuno") == "Desayuno (copia)"


def test_a_cancelled_event_is_run_again_as_a_fresh_draft(app, client):
    world = _round_table(app)
    login(client, "ana@example.org")
    client.post(f"/events/{world['event_id']}/cancel", data={"reason": "Lluvia"})
    copy_id = _copy_id(_clone(client, world["event_id"], OCTOBER))
    with app.app_context():
        copy = db.session.get(Event, copy_id)
        assert (copy.status, copy.cancelled_at, copy.cancellation_reason) == ("draft", None, None)
        assert db.session.get(Event, world["event_id"]).status == "cancelled"


def test_the_image_comes_along_and_stays_the_originals_too(app, client):
    world = _round_table(app)
    login(client, "ana@example.org")
    poster = png_bytes(3, 2)
    posted = client.post(
        f"/events/{world['event_id']}/image",
        data={"alt_text": "Cartel de la mesa", "file": (io.BytesIO(poster), "cartel.png")},
        content_type="multipart/form-data",
    )
    assert posted.status_code == 302
    copy_id = _copy_id(_clone(client, world["event_id"], OCTOBER))
    with app.app_context():
        copy = db.session.get(Event, copy_id)
        assert copy.image.alt_text == "Cartel de la mesa"
        digest = copy.image.digest
    served = client.get(f"/events/{copy_id}/image/{digest}")
    assert served.status_code == 200 and served.data == poster
    # Removing the copy's image leaves the original's.
    assert client.post(f"/events/{copy_id}/image/delete").status_code == 302
    assert client.get(f"/events/{world['event_id']}/image/{digest}").data == poster
