"""The demo's open round table: its registration form, and the people who answered it."""

from datetime import date, timedelta

from sqlalchemy import func, select

from eventhub.demo.loader import demo_login_file, load_demo
from eventhub.demo.questions import OPEN_ROUND_TABLE, REGISTRANTS, SESSION_PLACES
from eventhub.events.models import Event
from eventhub.extensions import db
from eventhub.questions import services as questions
from eventhub.questions.models import Answer, AnswerChoice, Question, QuestionChoice
from eventhub.registrations.models import Registration
from tests.conftest import login

TABLES = (Question, QuestionChoice, Answer, AnswerChoice, Registration)


def _counts() -> list[int]:
    return [db.session.scalar(select(func.count()).select_from(m)) for m in TABLES]


def _round_table() -> Event:
    return db.session.scalars(select(Event).where(Event.title == OPEN_ROUND_TABLE)).one()


def test_the_open_round_table_asks_its_own_questions(app, runner):
    assert runner.invoke(args=["demo"]).exit_code == 0
    with app.app_context():
        event = _round_table()
        asked = {q.key or q.label_es: q for q in questions.event_questions(event.id)}
        form = questions.event_form(event.id)
        assert form.purpose_es and form.purpose_en
        assert {k: q.sensitive for k, q in asked.items() if q.key} == {
            "comuna_of_residence": False,
            "interpretation": False,
            "gender": True,
            "nationality": True,
        }
        assert asked["interpretation"].show_at_checkin
        other = asked["¿Qué otra interpretación necesita?"]
        assert other.condition_question_id == asked["interpretation"].id
        assert other.condition_value == "other"
        session = asked["¿A qué taller asistirá?"]
        assert [c.places for c in session.choices] == [SESSION_PLACES, SESSION_PLACES]
        counts = _counts()
    assert runner.invoke(args=["demo"]).exit_code == 0
    with app.app_context():
        assert _counts() == counts  # idempotent


def test_demo_registrants_answered_and_some_came(app, runner):
    assert runner.invoke(args=["demo"]).exit_code == 0
    with app.app_context():
        event = _round_table()
        people = db.session.scalars(
            select(Registration).where(Registration.event_id == event.id)
        ).all()
        assert len(people) == len(REGISTRANTS)
        assert {p.status for p in people} == {"confirmed"}
        came = [p for p in people if p.checked_in_at is not None]
        assert len(came) == sum(r.checked_in for r in REGISTRANTS) > 0
        asked = questions.event_questions(event.id)
        texts = questions.answer_texts(asked, [p.id for p in people], "es")
        by_label = {q.label_es: q.id for q in asked}
        sessions = [texts[p.id][by_label["¿A qué taller asistirá?"]] for p in people]
        assert 0 < sessions.count("Taller 1: acceso a la salud primaria") <= SESSION_PLACES
        assert 0 < sessions.count("Taller 2: matrícula escolar") <= SESSION_PLACES
        interpretation = [texts[p.id].get(by_label["¿Necesita interpretación?"]) for p in people]
        assert "Creole haitiano" in interpretation
        assert "Lengua de señas chilena" in interpretation
        others = [t[by_label["¿Qué otra interpretación necesita?"]] for t in texts.values()
                  if by_label["¿Qué otra interpretación necesita?"] in t]  # fmt: skip
        assert others == ["Quechua"]
        # Sensitive answers only with consent, and consent recorded on the registration.
        gender = by_label["Género"]
        consented = {p.id for p in people if p.sensitive_consent_at is not None}
        assert {p.id for p in people if gender in texts.get(p.id, {})} <= consented
        assert 0 < len(consented) < len(people)
        round_table_id = event.id
        password = demo_login_file().read_text().strip()
    client = app.test_client()
    assert login(client, "organizadora@example.org", password).status_code == 302
    page = client.get(f"/events/{round_table_id}/participants").text
    assert "Jean-Baptiste Pierre" in page and "Comunidad haitiana de Quilicura" in page


def test_a_demo_loaded_after_the_round_table_took_place_gets_the_form_only(app_ctx):
    load_demo(today=date.today() - timedelta(days=60))
    event = _round_table()
    assert len(questions.event_questions(event.id)) == 6
    assert not db.session.scalar(select(func.count()).where(Registration.event_id == event.id))
