"""The answers where organisers work: the participants page (columns, filter, sensitive marks,
retention), the door, the exports, and never on the public participant list."""

import csv
import io
from datetime import UTC, datetime, timedelta

import openpyxl
import pytest
from sqlalchemy import func, select
from werkzeug.datastructures import MultiDict

from eventhub.audit.models import AuditEntry
from eventhub.events.models import Event
from eventhub.extensions import db
from eventhub.questions import services as questions
from eventhub.questions.models import Answer, Question, QuestionKind
from eventhub.questions.services import CONSENT_FIELD, QuestionSpec
from eventhub.registrations import services as registrations
from eventhub.registrations.models import Registration
from tests.conftest import recorded_statements
from tests.factories import EventFactory

SECRET = "SECRETO-MIGRATORIO: visa en trámite desde marzo"
LONG = "Llego desde Valparaíso en bus; " * 6  # longer than the table shows


@pytest.fixture
def app(make_app):
    return make_app(CACHE_TTL=0, FEED_CACHE_BYTES=0)


def _register(event, name: str, email: str, answers: dict, consent: bool = True) -> int:
    event_questions = questions.event_questions(event.id)
    sent = MultiDict()
    for question_id, value in answers.items():
        field = f"q-{question_id}"
        for one in value if isinstance(value, list) else [value]:
            sent.add(field, one)
    if consent:
        sent[CONSENT_FIELD] = "y"
    sheet = questions.read_answers(event_questions, sent)
    assert sheet.valid, sheet.errors
    registration = registrations.register(
        event,
        registrations.RegistrantData(
            name=name, email=email, listed=True, questions=event_questions, answers=sheet
        ),
    )
    db.session.flush()
    return registration.id


def _build(app, people: int = 2, extra_questions: int = 0) -> dict:
    with app.app_context():
        event = EventFactory(published=True, registration_mode="open", title="Mesa de Quilicura")
        form = questions.ensure_event_form(event)
        interpretation = questions.add_standard_question(form, "interpretation")
        gender = questions.add_standard_question(form, "gender")
        nationality = questions.add_standard_question(form, "nationality")
        comment = questions.add_question(
            form,
            QuestionSpec(
                kind=QuestionKind.LONG_TEXT.value, label_es="Comentarios", label_en="Notes"
            ),
        )
        status = questions.add_question(
            form,
            QuestionSpec(
                kind=QuestionKind.SHORT_TEXT.value,
                label_es="Situación migratoria",
                label_en="Migration status",
                sensitive=True,
            ),
        )
        for n in range(extra_questions):
            questions.add_question(
                form, QuestionSpec(kind=QuestionKind.YES_NO.value, label_es=f"Pregunta {n}")
            )
        ids = {
            "event": event.id,
            "interpretation": interpretation.id,
            "gender": gender.id,
            "nationality": nationality.id,
            "comment": comment.id,
            "status": status.id,
        }
        ids["ana"] = _register(
            event,
            "Ana Joseph",
            "ana@example.org",
            {
                interpretation.id: ["haitian_creole", "sign_language"],
                gender.id: "female",
                nationality.id: "HT",
                comment.id: LONG,
                status.id: SECRET,
            },
        )
        ids["bea"] = _register(
            event,
            "Bea Rojas",
            "bea@example.org",
            {gender.id: "male", nationality.id: "VE", comment.id: "Sin comentarios"},
        )
        for n in range(people - 2):
            _register(
                event,
                f"Persona {n}",
                f"persona{n}@example.org",
                {
                    interpretation.id: ["english"],
                    gender.id: "other",
                    nationality.id: "PE",
                    status.id: f"estado {n}",
                },
            )
        db.session.commit()
        return ids


@pytest.fixture
def survey(app):
    return _build(app)


def test_the_participants_page_shows_every_answer_and_marks_the_sensitive_ones(
    organiser_client, survey
):
    page = organiser_client.get(f"/events/{survey['event']}/participants").text
    for header in ("¿Necesita interpretación?", "Género", "Nacionalidad", "Comentarios"):
        assert header in page
    assert "Creole haitiano, Lengua de señas chilena" in page
    assert "Haití" in page and "Venezuela" in page
    assert SECRET in page  # managers see it, marked
    assert 'class="answer sensitive"' in page and "badge-sensitive" in page
    # A long answer is cut in the cell, whole in the details below it.
    assert '<details class="long-answer">' in page and LONG.strip() in page
    assert "2 personas" in page or "2 people" in page


def test_the_filter_narrows_by_an_answer_combined_with_search_and_status(organiser_client, survey):
    path = f"/events/{survey['event']}/participants"
    page = organiser_client.get(path).text
    # Choices of the choice questions, yes/no, and only the countries someone answered.
    assert f'value="{survey["gender"]}:female"' in page
    assert f'value="{survey["nationality"]}:HT"' in page
    assert f'value="{survey["nationality"]}:CL"' not in page

    creole = organiser_client.get(
        path, query_string={"answer": f"{survey['interpretation']}:haitian_creole"}
    ).text
    assert "Ana Joseph" in creole and "Bea Rojas" not in creole
    assert 'id="shown-count"' in creole and ("1 persona" in creole or "1 person" in creole)
    assert f'value="{survey["interpretation"]}:haitian_creole" selected' in creole

    venezuela = organiser_client.get(
        path, query_string={"answer": f"{survey['nationality']}:VE", "q": "bea"}
    ).text
    assert "Bea Rojas" in venezuela and "Ana Joseph" not in venezuela
    nobody = organiser_client.get(
        path, query_string={"answer": f"{survey['nationality']}:VE", "q": "ana"}
    ).text
    assert "Bea Rojas" not in nobody and "Ana Joseph" not in nobody
    assert "0 personas" in nobody or "0 people" in nobody
    waiting = organiser_client.get(
        path, query_string={"answer": f"{survey['gender']}:female", "status": "waiting"}
    ).text
    assert "Ana Joseph" not in waiting

    # An answer that is not on offer is no filter, never an error.
    for junk in ("x", "9999:female", f"{survey['gender']}:nope", f"{survey['comment']}:a", ":"):
        response = organiser_client.get(path, query_string={"answer": junk})
        assert response.status_code == 200
        assert "Ana Joseph" in response.text and "Bea Rojas" in response.text


def test_the_public_participant_list_never_shows_an_answer(app, client, organiser_client, survey):
    anonymous = app.test_client()
    event = f"/events/{survey['event']}"
    # The manager's summary lists nobody; its view as a visitor is the visitor's page.
    managing = organiser_client.get(event).text
    assert SECRET not in managing and LONG.strip()[:30] not in managing
    for visitor, path in ((anonymous, event), (organiser_client, f"{event}?view=public")):
        whole = visitor.get(path).text
        assert SECRET not in whole and LONG.strip()[:30] not in whole
        # The registration form lists every country, and managers see the figures by answer
        # (counts per choice, never per person): the participant list is what names people.
        page = whole[whole.index('<section id="participants"') :]
        page = page[: page.index("</section>")]
        assert "Ana Joseph" in page  # listed
        assert SECRET not in page and "Haití" not in page and "Creole haitiano, " not in page
        assert LONG.strip()[:30] not in page


def test_exports_have_one_column_per_question_and_sensitive_ones_only_when_asked(
    app, organiser_client, survey
):
    path = f"/events/{survey['event']}/participants"
    plain = organiser_client.get(f"{path}.csv")
    assert plain.status_code == 200
    header, *rows = list(csv.reader(io.StringIO(plain.data.decode("utf-8-sig"))))
    # Gender and nationality are sensitive in the library, like the migration status.
    assert header[9:] == ["¿Necesita interpretación?", "Comentarios"]
    ana = next(row for row in rows if row[1] == "ana@example.org")
    assert ana[9:] == ["Creole haitiano, Lengua de señas chilena", LONG.strip()]
    for hidden in (SECRET, "Femenino", "Haití"):
        assert hidden.encode() not in plain.data
    with app.app_context():
        assert db.session.scalar(select(func.count(AuditEntry.id))) == 0

    sensitive = organiser_client.post(f"{path}.csv", data={"sensitive": "1"})
    assert "participants-event-" in sensitive.headers["Content-Disposition"]
    header, *rows = list(csv.reader(io.StringIO(sensitive.data.decode("utf-8-sig"))))
    assert header[9:] == [
        "¿Necesita interpretación?",
        "Género",
        "Nacionalidad",
        "Comentarios",
        "Situación migratoria",
    ]
    ana = next(row for row in rows if row[1] == "ana@example.org")
    assert ana[10] == "Femenino" and ana[13] == SECRET
    bea = next(row for row in rows if row[1] == "bea@example.org")
    assert bea[9] == "" and bea[13] == ""

    book = organiser_client.post(f"{path}.xlsx", data={"sensitive": "1"})
    sheet = openpyxl.load_workbook(io.BytesIO(book.data)).active
    values = [[cell.value for cell in row] for row in sheet.iter_rows()]
    assert values[0][9:] == header[9:]
    ana_row = next(row for row in values if row[1] == "ana@example.org")
    assert ana_row[9] == "Creole haitiano, Lengua de señas chilena" and ana_row[13] == SECRET
    plain_book = organiser_client.get(f"{path}.xlsx")
    plain_sheet = openpyxl.load_workbook(io.BytesIO(plain_book.data)).active
    assert [c.value for c in next(plain_sheet.iter_rows())][9:] == [
        "¿Necesita interpretación?",
        "Comentarios",
    ]

    with app.app_context():
        entries = db.session.scalars(select(AuditEntry).order_by(AuditEntry.id)).all()
        assert [e.action for e in entries] == ["registration.export_sensitive"] * 2
        assert entries[0].event_id == survey["event"] and entries[0].user_email
        assert "sensitive" in entries[0].summary


def test_the_participants_page_offers_the_sensitive_downloads(app, organiser_client, survey):
    path = f"/events/{survey['event']}/participants"
    page = organiser_client.get(path).text
    for download in ("csv", "xlsx"):
        assert f'<form method="post" action="{path}.{download}"' in page
    assert 'name="sensitive" value="1"' in page
    # A link (or a prefetcher following one) never gets them, and writes nothing.
    linked = organiser_client.get(f"{path}.csv?sensitive=1")
    assert linked.status_code == 200 and SECRET.encode() not in linked.data
    with app.app_context():
        assert db.session.scalar(select(func.count(AuditEntry.id))) == 0


def test_another_organiser_gets_no_sensitive_export(app, client, survey):
    from tests.conftest import login
    from tests.factories import UserFactory

    with app.app_context():
        UserFactory(email="other@example.org")
        db.session.commit()
    login(client, "other@example.org")
    assert client.post(
        f"/events/{survey['event']}/participants.csv", data={"sensitive": "1"}
    ).status_code in (
        403,
        404,
    )
    with app.app_context():
        assert db.session.scalar(select(func.count(AuditEntry.id))) == 0


def test_the_door_shows_the_answers_marked_for_check_in(app, organiser_client, survey):
    door = organiser_client.get(f"/events/{survey['event']}/checkin").text
    assert "¿Necesita interpretación?: Creole haitiano, Lengua de señas chilena" in door
    assert SECRET not in door and "Comentarios" not in door  # not marked for the door
    with app.app_context():
        registration = db.session.get(Registration, survey["ana"])
        code = registrations.checkin_code(registration)
    one = organiser_client.get(f"/checkin/{code}").text
    assert "Creole haitiano, Lengua de señas chilena" in one and 'id="checkin-answers"' in one


def _statements(app, client, path: str) -> int:
    client.get(path)
    with recorded_statements(app) as statements:
        assert client.get(path).status_code == 200, path
    return len(statements)


def test_query_counts_do_not_grow_with_registrants_or_questions(app, organiser_client):
    small = _build(app, people=2)
    large = _build(app, people=12, extra_questions=6)

    def pages(ids):
        base = f"/events/{ids['event']}"
        return {
            "participants": f"{base}/participants",
            "filtered": f"{base}/participants?answer={ids['gender']}:female&q=a",
            "door": f"{base}/checkin",
            "csv": f"{base}/participants.csv",
            "xlsx": f"{base}/participants.xlsx",
        }

    counts_small = {k: _statements(app, organiser_client, p) for k, p in pages(small).items()}
    counts_large = {k: _statements(app, organiser_client, p) for k, p in pages(large).items()}
    assert counts_small == counts_large


# --- retention ---------------------------------------------------------------------------------


def _end_event(app, event_id: int, days_ago: int) -> None:
    with app.app_context():
        event = db.session.get(Event, event_id)
        event.ends_at = datetime.now(UTC) - timedelta(days=days_ago)
        event.starts_at = event.ends_at - timedelta(hours=3)
        db.session.commit()


def _answers(app, question_id: int) -> int:
    with app.app_context():
        return db.session.scalar(
            select(func.count(Answer.id)).where(Answer.question_id == question_id)
        )


def test_retention_deletes_only_due_sensitive_answers_once(app, runner, survey):
    later = _build(app)  # an event still within its retention period
    _end_event(app, survey["event"], days_ago=91)
    _end_event(app, later["event"], days_ago=89)

    result = runner.invoke(args=["questions", "delete-sensitive"])
    assert result.exit_code == 0, result.output
    assert "answers deleted: 5" in result.output  # 2 genders, 2 nationalities, 1 status

    for key in ("gender", "nationality", "status"):
        assert _answers(app, survey[key]) == 0
        assert _answers(app, later[key]) > 0  # not due yet
    for key in ("interpretation", "comment"):
        assert _answers(app, survey[key]) > 0  # not sensitive: kept
    with app.app_context():
        entries = db.session.scalars(select(AuditEntry)).all()
        assert len(entries) == 1
        entry = entries[0]
        assert entry.action == "questions.delete_sensitive" and entry.event_id == survey["event"]
        assert entry.details["count"] == ["sensitive_answers", 5]
        assert entry.details["subject"] == "Género; Nacionalidad; Situación migratoria"
        assert entry.user_id is None
        form = questions.event_form(survey["event"])
        assert form is not None and form.sensitive_deleted_at is not None
        assert questions.event_form(later["event"]).sensitive_deleted_at is None

    again = runner.invoke(args=["questions", "delete-sensitive"])
    assert again.exit_code == 0 and "answers deleted: 0" in again.output
    with app.app_context():
        assert db.session.scalar(select(func.count(AuditEntry.id))) == 1


def test_the_audit_log_tells_the_deletion(app, admin_client, survey):
    _end_event(app, survey["event"], days_ago=91)
    app.test_cli_runner().invoke(args=["questions", "delete-sensitive"])
    page = admin_client.get("/admin/audit").text
    assert "Respuestas sensibles eliminadas" in page or "Sensitive answers deleted" in page
    assert "5 respuestas sensibles" in page or "5 sensitive answers" in page


def test_a_run_that_finds_the_work_done_writes_nothing(app, survey):
    from eventhub.questions import retention

    _end_event(app, survey["event"], days_ago=100)
    with app.app_context():
        form_ids = retention.due_forms()
        assert form_ids == [questions.event_form(survey["event"]).id]
        db.session.commit()
        first = retention.delete_form_answers(form_ids[0])
        db.session.commit()
        assert first is not None and first.answers == 5
        # A second run that read the same list before the first committed.
        assert retention.delete_form_answers(form_ids[0]) is None
        db.session.rollback()
        assert db.session.scalar(select(func.count(AuditEntry.id))) == 1


def test_the_retention_days_come_from_the_configuration(make_app):
    app = make_app(SENSITIVE_ANSWER_RETENTION_DAYS=10)
    survey = _build(app)
    _end_event(app, survey["event"], days_ago=11)
    result = app.test_cli_runner().invoke(args=["questions", "delete-sensitive"])
    assert "answers deleted: 5" in result.output


def test_the_participants_page_says_when_sensitive_answers_go(app, organiser_client, survey):
    path = f"/events/{survey['event']}/participants"
    page = organiser_client.get(path).text
    assert 'id="sensitive-retention"' in page and "90" in page
    _end_event(app, survey["event"], days_ago=95)
    assert "90" in organiser_client.get(path).text
    app.test_cli_runner().invoke(args=["questions", "delete-sensitive"])
    after = organiser_client.get(path).text
    assert 'id="sensitive-retention"' in after and SECRET not in after


def test_an_event_without_sensitive_questions_says_nothing_about_retention(app, organiser_client):
    with app.app_context():
        event = EventFactory(published=True, registration_mode="open")
        form = questions.ensure_event_form(event)
        questions.add_standard_question(form, "interpretation")
        db.session.commit()
        event_id = event.id
        assert db.session.scalar(select(func.count(Question.id))) == 1
    page = organiser_client.get(f"/events/{event_id}/participants").text
    assert 'id="sensitive-retention"' not in page and 'name="sensitive"' not in page


def test_two_runs_at_once_delete_once_and_log_once(app, survey):
    import threading

    from eventhub.questions import retention

    _end_event(app, survey["event"], days_ago=100)
    start = threading.Barrier(2)
    results: list[list] = []
    errors: list[BaseException] = []

    def run() -> None:
        try:
            with app.app_context():
                start.wait(timeout=10)
                results.append(retention.delete_due_answers())
                db.session.remove()
        except BaseException as error:  # reported below, in the test's thread
            errors.append(error)

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert not errors, errors
    deleted = [item.answers for done in results for item in done]
    assert deleted == [5]  # the later run found nothing and wrote nothing
    with app.app_context():
        assert db.session.scalar(select(func.count(AuditEntry.id))) == 1
        assert _answers(app, survey["gender"]) == 0


def test_the_plain_question_rows_read_what_the_questions_hold(app, survey):
    """The participants page, the door and the exports read the questions as plain rows
    (questions/reading.py): in form order, each with its choices in order, and the same
    answers as text as the ORM questions give."""
    from eventhub.questions.reading import event_question_rows

    with app.test_request_context("/"):
        loaded = questions.event_questions(survey["event"])
        rows = event_question_rows(survey["event"])
        assert [row.id for row in rows] == [question.id for question in loaded]
        for row, question in zip(rows, loaded, strict=True):
            assert (row.kind, row.key, row.sensitive, row.show_at_checkin) == (
                question.kind,
                question.key,
                question.sensitive,
                question.show_at_checkin,
            )
            assert row.label("en") == question.label("en") and row.label("es") == question.label(
                "es"
            )
            assert [(c.id, c.value, c.label("es")) for c in row.choices] == [
                (c.id, c.value, c.label("es")) for c in question.choices
            ]
        people = [survey["ana"], survey["bea"]]
        assert questions.answer_texts(rows, people, "es") == questions.answer_texts(
            loaded, people, "es"
        )
        assert "haitian_creole" in {c.value for c in rows[0].choices}
        assert rows[0].choice_by_value("sign_language") is not None
