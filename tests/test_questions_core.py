"""The rules of an event's own questions: defining, conditions, checking, limited choices."""

import pytest
from sqlalchemy import func, select
from werkzeug.datastructures import MultiDict

from eventhub.errors import DomainError
from eventhub.extensions import db
from eventhub.questions import services
from eventhub.questions.models import Answer, QuestionKind
from eventhub.questions.services import ChoiceSpec, QuestionSpec
from eventhub.registrations import services as registrations
from eventhub.registrations.models import Registration
from tests.factories import EventFactory


@pytest.fixture
def event(app_ctx):
    event = EventFactory(published=True, registration_mode="open")
    db.session.commit()
    return event


def _workshop_form(event):
    form = services.ensure_event_form(event)
    interpretation = services.add_question(
        form,
        QuestionSpec(
            kind=QuestionKind.YES_NO.value,
            label_es="¿Necesita interpretación?",
            label_en="Do you need interpretation?",
        ),
    )
    language = services.add_question(
        form,
        QuestionSpec(
            kind=QuestionKind.SINGLE_CHOICE.value,
            label_es="¿Qué lengua?",
            required=True,
            choices=[ChoiceSpec("Creole haitiano", "Haitian Creole"), ChoiceSpec("Señas")],
            condition_question_id=interpretation.id,
            condition_value="yes",
        ),
    )
    session = services.add_question(
        form,
        QuestionSpec(
            kind=QuestionKind.SINGLE_CHOICE.value,
            label_es="Taller",
            required=True,
            choices=[ChoiceSpec("Mañana", places=1), ChoiceSpec("Tarde")],
        ),
    )
    db.session.commit()
    return form, interpretation, language, session


def test_a_hidden_question_is_neither_required_nor_stored(event):
    _form, interpretation, language, session = _workshop_form(event)
    questions = services.event_questions(event.id)
    assert [q.id for q in questions] == [interpretation.id, language.id, session.id]
    sent = MultiDict(
        {interpretation.field_name: "no", language.field_name: "senas", session.field_name: "tarde"}
    )
    sheet = services.read_answers(questions, sent)
    assert sheet.valid, sheet.errors
    assert language.id not in sheet.applicable and language.id not in sheet.choices

    shown = services.read_answers(questions, MultiDict({interpretation.field_name: "yes"}))
    assert set(shown.errors) == {language.id, session.id}


def test_a_limited_choice_is_refused_once_full_and_nothing_is_written(event):
    _form, interpretation, _language, session = _workshop_form(event)
    questions = services.event_questions(event.id)

    def data(email):
        sheet = services.read_answers(
            questions, MultiDict({interpretation.field_name: "no", session.field_name: "manana"})
        )
        return registrations.RegistrantData(
            name="Ana", email=email, questions=questions, answers=sheet
        )

    registrations.register_publicly(event, data("ana@example.org"))
    db.session.commit()
    with pytest.raises(services.AnswersRefusedError) as refused:
        registrations.register_publicly(event, data("bea@example.org"))
    db.session.rollback()
    assert session.id in refused.value.errors
    assert db.session.scalar(select(func.count(Registration.id))) == 1
    assert db.session.scalar(select(func.count(Answer.id))) == 2  # Ana's two answers

    first = db.session.scalar(select(Registration))
    registrations.cancel(first)
    db.session.commit()
    registrations.register_publicly(event, data("bea@example.org"))  # the place is free again
    db.session.commit()


def test_conditions_point_to_earlier_choice_questions(event):
    _form, interpretation, language, _session = _workshop_form(event)
    with pytest.raises(DomainError):
        services.update_question(
            interpretation,
            QuestionSpec(
                kind=QuestionKind.YES_NO.value,
                label_es="x",
                condition_question_id=language.id,
                condition_value="senas",
            ),
        )
    db.session.rollback()
    with pytest.raises(DomainError):
        services.move_question(language, -1)  # above the question it depends on
    db.session.rollback()
    texts = services.answer_texts(services.event_questions(event.id), [], "es")
    assert texts == {}


def test_sensitive_answers_need_consent(event):
    form = services.ensure_event_form(event)
    gender = services.add_standard_question(form, "gender")
    db.session.commit()
    questions = services.event_questions(event.id)
    refused = services.read_answers(questions, MultiDict({gender.field_name: "female"}))
    assert services.CONSENT_FIELD in refused.errors
    assert gender.id not in refused.choices
    taken = services.read_answers(
        questions, MultiDict({gender.field_name: "female", services.CONSENT_FIELD: "y"})
    )
    assert taken.valid and taken.choices[gender.id]


def test_typed_answers_are_checked(event):
    form = services.ensure_event_form(event)
    rut = services.add_question(form, QuestionSpec(kind=QuestionKind.RUT.value, label_es="RUT"))
    phone = services.add_question(form, QuestionSpec(kind=QuestionKind.PHONE.value, label_es="T"))
    day = services.add_question(form, QuestionSpec(kind=QuestionKind.DATE.value, label_es="D"))
    db.session.commit()
    questions = services.event_questions(event.id)
    bad = services.read_answers(
        questions,
        MultiDict({rut.field_name: "12.345.678-9", phone.field_name: "abc", day.field_name: "x"}),
    )
    assert set(bad.errors) == {rut.id, phone.id, day.id}
    good = services.read_answers(
        questions,
        MultiDict(
            {
                rut.field_name: "12.345.678-5",
                phone.field_name: "+56 9 1234 5678",
                day.field_name: "2026-12-03",
            }
        ),
    )
    assert good.valid and good.values[rut.id] == "12345678-5"


def test_reading_many_answers_back_takes_one_query(event, app, count_queries):
    """No batches that grow with the answers (the ORM's selectin loads 500 ids a query)."""
    from eventhub.questions.models import AnswerChoice

    form = services.ensure_event_form(event)
    language = services.add_standard_question(form, "interpretation")
    comment = services.add_question(
        form, QuestionSpec(kind=QuestionKind.SHORT_TEXT.value, label_es="Comentario")
    )
    people = [
        Registration(event_id=event.id, name=f"P{n}", email=f"p{n}@example.org") for n in range(600)
    ]
    db.session.add_all(people)
    db.session.flush()
    creole, signs = language.choices[0].id, language.choices[1].id
    for person in people:
        chosen = Answer(registration_id=person.id, question_id=language.id)
        chosen.choices = [AnswerChoice(choice_id=signs), AnswerChoice(choice_id=creole)]
        db.session.add_all(
            [chosen, Answer(registration_id=person.id, question_id=comment.id, value="ok")]
        )
    db.session.commit()
    questions = services.event_questions(event.id)
    ids = [person.id for person in people]
    with count_queries(app) as statements:
        texts = services.answer_texts(questions, ids, "es")
    assert len(statements) == 1
    assert texts[ids[0]] == {
        language.id: "Creole haitiano, Lengua de señas chilena",  # in the form's order
        comment.id: "ok",
    }
