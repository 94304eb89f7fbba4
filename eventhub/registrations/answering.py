"""The event's own questions where a person registers: the public form, their page
``/r/<token>`` and, through invitations, the personal invitation link.

The questions domain checks and keeps answers; registrations knows who holds a place, so the
places left of a limited choice (and the lock under which they are counted) are composed here.
``AnswerFields`` is what ``templates/questions/_fields.html`` draws.
"""

from dataclasses import dataclass, field

from flask_babel import get_locale
from werkzeug.datastructures import MultiDict

from eventhub.events.models import Event
from eventhub.questions import reference
from eventhub.questions import services as question_services
from eventhub.questions.models import CHOICE_KINDS, Question, QuestionKind
from eventhub.questions.services import CONSENT_FIELD, AnswerSheet
from eventhub.registrations.models import Registration
from eventhub.registrations.services import answers_closed_reason, holding_query


@dataclass
class Condition:
    """Shown only when ``field_name`` has ``value``; the note says so to a page without
    script."""

    field_name: str
    value: str
    question_label: str
    value_label: str


@dataclass
class AnswerFields:
    questions: list[Question]
    language: str
    # What the inputs show: the form as sent, or the stored answers in the form's words.
    values: MultiDict = field(default_factory=MultiDict)
    errors: dict[int | str, str] = field(default_factory=dict)
    places_left: dict[int, int] = field(default_factory=dict)
    purpose: str = ""
    # Why the answers are shown read-only (deadline passed, event started), or None.
    closed_reason: str | None = None
    # Read-only view: question id → the answer as text.
    texts: dict[int, str] = field(default_factory=dict)

    @property
    def open_questions(self) -> list[Question]:
        return [question for question in self.questions if not question.sensitive]

    @property
    def sensitive_questions(self) -> list[Question]:
        return [question for question in self.questions if question.sensitive]

    @property
    def consent_field(self) -> str:
        return CONSENT_FIELD

    @property
    def consent_given(self) -> bool:
        return bool(self.values.get(CONSENT_FIELD))

    @property
    def has_errors(self) -> bool:
        return bool(self.errors)

    def chosen(self, question: Question) -> list[str]:
        return self.values.getlist(question.field_name)

    def value(self, question: Question) -> str:
        return self.values.get(question.field_name, "")

    def condition(self, question: Question) -> Condition | None:
        if question.condition_question_id is None:
            return None
        parent = next((q for q in self.questions if q.id == question.condition_question_id), None)
        if parent is None or question.condition_value is None:
            return None
        return Condition(
            parent.field_name,
            question.condition_value,
            parent.label(self.language),
            question_services.answer_text(
                parent,
                question.condition_value,
                [c.id for c in parent.choices if c.value == question.condition_value],
                self.language,
            ),
        )

    def countries(self) -> list[tuple[str, str]]:
        return reference.countries(self.language)

    def comunas_by_region(self) -> list[tuple[str, list[tuple[str, str]]]]:
        return reference.comunas_by_region()


def language() -> str:
    return str(get_locale())


def event_questions(event: Event) -> list[Question]:
    """Two queries however many questions (none when the event asks nothing more)."""
    return question_services.event_questions(event.id)


def read(questions: list[Question], formdata) -> AnswerSheet | None:
    """The answers the form sent, checked; None when the event asks no questions (stored
    answers stay as they are)."""
    return question_services.read_answers(questions, formdata) if questions else None


def fields(
    event: Event,
    questions: list[Question],
    *,
    formdata=None,
    sheet: AnswerSheet | None = None,
    registration: Registration | None = None,
    errors: dict[int | str, str] | None = None,
) -> AnswerFields | None:
    """What the form draws: ``formdata`` as sent (a refused form shown again), else the
    registration's stored answers, else empty. The places left exclude the registration's own
    (one query, only when a choice is limited)."""
    if not questions:
        return None
    lang = language()
    form = questions[0].form if any(q.sensitive for q in questions) else None
    answers = AnswerFields(
        questions=questions,
        language=lang,
        errors=dict(errors if errors is not None else (sheet.errors if sheet else {})),
        purpose=form.purpose(lang) if form is not None else "",
    )
    if registration is not None:
        reason = answers_closed_reason(event)
        if reason:
            answers.closed_reason = reason
            stored = question_services.stored_sheet(questions, registration.id)
            answers.texts = _texts(questions, stored, lang)
            return answers
    if formdata is not None:
        answers.values = MultiDict(formdata)
    elif registration is not None:
        stored = question_services.stored_sheet(questions, registration.id)
        answers.values = form_values(questions, stored)
        if registration.sensitive_consent_at is not None:
            answers.values[CONSENT_FIELD] = "yes"
    answers.places_left = question_services.places_left(
        questions, holding_query(event, exclude=registration.id if registration else None)
    )
    return answers


def form_values(questions: list[Question], sheet: AnswerSheet) -> MultiDict:
    """A stored sheet in the words the form sends (choice values, a RUT as people write it)."""
    values: MultiDict = MultiDict()
    for question in questions:
        if question.kind in CHOICE_KINDS:
            chosen = set(sheet.choices.get(question.id, ()))
            for choice in question.choices:
                if choice.id in chosen:
                    values.add(question.field_name, choice.value)
            continue
        value = sheet.values.get(question.id)
        if not value:
            continue
        if question.kind == QuestionKind.RUT:
            value = reference.format_rut(value)
        values.add(question.field_name, value)
    return values


def _texts(questions: list[Question], sheet: AnswerSheet, lang: str) -> dict[int, str]:
    texts = {}
    for question in questions:
        text = question_services.answer_text(
            question, sheet.values.get(question.id), sheet.choices.get(question.id, []), lang
        )
        if text:
            texts[question.id] = text
    return texts
