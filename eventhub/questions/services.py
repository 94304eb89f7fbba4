"""Questions: defining an event's form, and reading, checking and keeping the answers.

The server decides which questions apply: a conditional question counts only when the
question it depends on applies and was answered with the value it names. Questions that do
not apply are neither validated nor stored, whatever the browser sent.

Limited choices (a workshop session of 20) hold under concurrent registrations as capacity
does: the registrations service locks the event row before it calls ``save_answers``, which
only then counts who holds each choice.
"""

import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import cast

from flask_babel import get_locale
from flask_babel import gettext as _
from sqlalchemy import Select, Table, delete, func, insert, select
from sqlalchemy.orm import selectinload

from eventhub.errors import DomainError, NotFoundError
from eventhub.events.models import Event, Programme
from eventhub.extensions import db
from eventhub.orm import utcnow
from eventhub.questions import reference
from eventhub.questions.library import StandardQuestion, standard_question
from eventhub.questions.models import (
    CHOICE_KINDS,
    CHOICES_MAX,
    CONDITION_KINDS,
    HELP_MAX,
    LABEL_MAX,
    NO,
    QUESTIONS_MAX,
    TEXT_ANSWER_MAX,
    YES,
    Answer,
    AnswerChoice,
    ChoiceDisplay,
    Question,
    QuestionChoice,
    QuestionForm,
    QuestionKind,
)
from eventhub.questions.reading import AnyQuestion
from eventhub.text import clean

CONSENT_FIELD = "sensitive_consent"


class AnswersRefusedError(DomainError):
    """Some answers cannot be taken; ``errors`` maps question ids (or ``CONSENT_FIELD``) to
    what to tell the person beside each."""

    def __init__(self, errors: Mapping[int | str, str]):
        self.errors = dict(errors)
        super().__init__(_("Check the answers marked below."))


# --- the form ---------------------------------------------------------------------------------


def event_form(event_id: int) -> QuestionForm | None:
    return db.session.scalar(select(QuestionForm).where(QuestionForm.event_id == event_id))


def programme_form(programme_id: int) -> QuestionForm | None:
    return db.session.scalar(select(QuestionForm).where(QuestionForm.programme_id == programme_id))


def ensure_event_form(event: Event) -> QuestionForm:
    return event_form(event.id) or _new_form(QuestionForm(event_id=event.id))


def ensure_programme_form(programme: Programme) -> QuestionForm:
    return programme_form(programme.id) or _new_form(QuestionForm(programme_id=programme.id))


def _new_form(form: QuestionForm) -> QuestionForm:
    db.session.add(form)
    db.session.flush()
    return form


def _questions_query() -> Select:
    return (
        select(Question)
        .options(selectinload(Question.choices))
        .order_by(Question.position, Question.id)
    )


def event_questions(event_id: int) -> list[Question]:
    """The event's questions in order, choices loaded: two queries, however many."""
    return list(
        db.session.scalars(
            _questions_query()
            .join(QuestionForm, QuestionForm.id == Question.form_id)
            .where(QuestionForm.event_id == event_id)
        )
    )


def form_questions(form: QuestionForm) -> list[Question]:
    return list(db.session.scalars(_questions_query().where(Question.form_id == form.id)))


def get_question(form: QuestionForm, question_id: int) -> Question:
    question = db.session.get(Question, question_id)
    if question is None or question.form_id != form.id:
        raise NotFoundError(_("That question is not in this form."))
    return question


@dataclass
class ChoiceSpec:
    label_es: str
    label_en: str | None = None
    places: int | None = None
    # The value of an existing choice this keeps (answers and conditions refer to it).
    value: str | None = None


@dataclass
class QuestionSpec:
    kind: str
    label_es: str
    label_en: str | None = None
    help_es: str | None = None
    help_en: str | None = None
    required: bool = False
    sensitive: bool = False
    show_at_checkin: bool = False
    display: str = ChoiceDisplay.RADIO.value
    choices: list[ChoiceSpec] = field(default_factory=list)
    condition_question_id: int | None = None
    condition_value: str | None = None


def _slug(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    bare = "".join(ch for ch in decomposed if not unicodedata.combining(ch)).casefold()
    return re.sub(r"[^a-z0-9]+", "_", bare).strip("_")[:50] or "choice"


def _checked_text(value: str | None, limit: int, field_name: str, *, one_line=True) -> str | None:
    text = clean(value, one_line=one_line)
    if text and len(text) > limit:
        raise DomainError(_("Use at most %(num)d characters.", num=limit), field=field_name)
    return text


def _apply_spec(question: Question, spec: QuestionSpec, siblings: list[Question]) -> None:
    if QuestionKind.get(spec.kind) is None:
        raise DomainError(_("Choose a kind of question."), field="kind")
    label_es = _checked_text(spec.label_es, LABEL_MAX, "label_es")
    if not label_es:
        raise DomainError(_("Give the question in Spanish."), field="label_es")
    if question.key and spec.kind != question.kind:
        raise DomainError(
            _("A standard question keeps its kind: its figures depend on it."), field="kind"
        )
    question.kind = spec.kind
    question.label_es = label_es
    question.label_en = _checked_text(spec.label_en, LABEL_MAX, "label_en")
    question.help_es = _checked_text(spec.help_es, HELP_MAX, "help_es", one_line=False)
    question.help_en = _checked_text(spec.help_en, HELP_MAX, "help_en", one_line=False)
    question.required = bool(spec.required)
    question.sensitive = bool(spec.sensitive)
    question.show_at_checkin = bool(spec.show_at_checkin)
    question.display = (
        spec.display if ChoiceDisplay.get(spec.display) else ChoiceDisplay.RADIO.value
    )
    if spec.kind in CHOICE_KINDS:
        _apply_choices(question, spec.choices)
    else:
        question.choices = []
    _apply_condition(question, spec, siblings)


def _apply_choices(question: Question, specs: list[ChoiceSpec]) -> None:
    if not specs:
        raise DomainError(_("Give at least one choice."), field="choices")
    if len(specs) > CHOICES_MAX:
        raise DomainError(_("Give at most %(num)d choices.", num=CHOICES_MAX), field="choices")
    existing = {choice.value: choice for choice in question.choices}
    kept: list[QuestionChoice] = []
    used: set[str] = set()
    for position, spec in enumerate(specs):
        label_es = _checked_text(spec.label_es, 200, "choices")
        if not label_es:
            raise DomainError(_("Every choice needs a label in Spanish."), field="choices")
        if spec.places is not None and spec.places < 1:
            raise DomainError(_("A limit of places must be at least 1."), field="choices")
        choice = existing.get(spec.value) if spec.value else None
        if choice is None:
            # A choice typed again with the same label is the same choice (no-JS editing).
            choice = existing.get(_slug(label_es))
        if choice is None and spec.value and spec.value not in used:
            choice = QuestionChoice(value=_slug(spec.value))  # a standard choice's own value
        if choice is None or choice.value in used:
            value = base = _slug(label_es)
            number = 2
            while value in used or (value in existing and existing[value] in kept):
                value = f"{base}_{number}"
                number += 1
            choice = QuestionChoice(value=value)
        if choice.value in used:
            raise DomainError(_("Two choices have the same label."), field="choices")
        used.add(choice.value)
        choice.position = position
        choice.label_es = label_es
        choice.label_en = _checked_text(spec.label_en, 200, "choices")
        choice.places = spec.places
        kept.append(choice)
    question.choices = kept


def _apply_condition(question: Question, spec: QuestionSpec, siblings: list[Question]) -> None:
    if spec.condition_question_id is None:
        question.condition_question_id = None
        question.condition_value = None
        return
    parent = next((q for q in siblings if q.id == spec.condition_question_id), None)
    if parent is None or parent is question:
        raise DomainError(_("Choose an earlier question of this form."), field="condition")
    if parent.kind not in CONDITION_KINDS:
        raise DomainError(
            _("A condition can only depend on a choice or a yes/no question."),
            field="condition",
        )
    if _depends_on(parent, question, siblings):
        raise DomainError(_("The condition would go round in a circle."), field="condition")
    values = {YES, NO} if parent.kind == QuestionKind.YES_NO else {c.value for c in parent.choices}
    if spec.condition_value not in values:
        raise DomainError(_("Choose the answer that shows this question."), field="condition")
    question.condition_question_id = parent.id
    question.condition_value = spec.condition_value


def _depends_on(question: Question, ancestor: Question, siblings: list[Question]) -> bool:
    by_id = {q.id: q for q in siblings}
    seen: set[int] = set()
    current: Question | None = question
    while current is not None and current.condition_question_id is not None:
        if current.condition_question_id == ancestor.id or current.id in seen:
            return True
        seen.add(current.id)
        current = by_id.get(current.condition_question_id)
    return False


def add_question(form: QuestionForm, spec: QuestionSpec) -> Question:
    siblings = form_questions(form)
    if len(siblings) >= QUESTIONS_MAX:
        raise DomainError(_("A form takes at most %(num)d questions.", num=QUESTIONS_MAX))
    question = Question(form=form, position=_next_position(siblings))
    _apply_spec(question, spec, siblings)
    db.session.add(question)
    db.session.flush()
    _reorder_after_condition(form)
    return question


def update_question(question: Question, spec: QuestionSpec) -> None:
    _apply_spec(question, spec, form_questions(question.form))
    db.session.flush()
    _reorder_after_condition(question.form)


def delete_question(question: Question) -> None:
    form = question.form
    # The database clears the link (SET NULL); the value must go too, or the question would
    # look conditional on nothing.
    for dependent in dependents(question):
        dependent.condition_question_id = None
        dependent.condition_value = None
    db.session.delete(question)
    db.session.flush()
    _renumber(form_questions(form))


def dependents(question: Question) -> list[Question]:
    """The questions shown only on an answer to ``question``."""
    return list(
        db.session.scalars(
            select(Question)
            .where(Question.condition_question_id == question.id)
            .order_by(Question.position, Question.id)
        )
    )


def answer_count(question: Question) -> int:
    """How many registrations answered ``question`` (what deleting it deletes)."""
    return (
        db.session.scalar(select(func.count(Answer.id)).where(Answer.question_id == question.id))
        or 0
    )


def question_count(*, event_id: int | None = None, programme_id: int | None = None) -> int:
    """How many questions the event's (or the programme's template) form asks: one query."""
    owner = (
        QuestionForm.event_id == event_id
        if event_id is not None
        else QuestionForm.programme_id == programme_id
    )
    return (
        db.session.scalar(
            select(func.count(Question.id))
            .join(QuestionForm, QuestionForm.id == Question.form_id)
            .where(owner)
        )
        or 0
    )


def _counted_forms() -> Select:
    counts = (
        select(Question.form_id, func.count(Question.id).label("questions"))
        .group_by(Question.form_id)
        .subquery()
    )
    return select(QuestionForm, counts.c.questions).join(
        counts, counts.c.form_id == QuestionForm.id
    )


def event_forms_with_questions(event_ids: Select) -> list[tuple[QuestionForm, Event, int]]:
    """The forms of these events (a select of ids) that ask something, newest event first,
    with how many questions each: one query."""
    rows = db.session.execute(
        _counted_forms()
        .add_columns(Event)
        .join(Event, Event.id == QuestionForm.event_id)
        .where(Event.id.in_(event_ids))
        .order_by(Event.starts_at.desc(), Event.id)
    )
    return [(form, event, count) for form, count, event in rows.all()]


def programme_forms_with_questions() -> list[tuple[QuestionForm, Programme, int]]:
    """Programmes' template forms that ask something, by programme name: one query."""
    rows = db.session.execute(
        _counted_forms()
        .add_columns(Programme)
        .join(Programme, Programme.id == QuestionForm.programme_id)
        .order_by(Programme.name)
    )
    return [(form, programme, count) for form, count, programme in rows.all()]


def _next_position(questions: list[Question]) -> int:
    return max((q.position for q in questions), default=-1) + 1


def _renumber(questions: list[Question]) -> None:
    for position, question in enumerate(questions):
        question.position = position
    db.session.flush()


def _reorder_after_condition(form: QuestionForm) -> None:
    """A conditional question comes after the question it depends on: moved there if not."""
    questions = form_questions(form)
    ordered: list[Question] = []
    placed: set[int] = set()
    pending = list(questions)
    while pending:
        progress = False
        for question in list(pending):
            parent = question.condition_question_id
            if parent is None or parent in placed or parent not in {q.id for q in questions}:
                ordered.append(question)
                placed.add(question.id)
                pending.remove(question)
                progress = True
        if not progress:  # a circle cannot be stored; keep what is left as it is
            ordered.extend(pending)
            break
    _renumber(ordered)


def move_question(question: Question, offset: int) -> None:
    """Up (-1) or down (+1) by one place; a conditional question never goes above its
    condition, nor its condition below it."""
    questions = form_questions(question.form)
    index = questions.index(question)
    target = index + offset
    if not 0 <= target < len(questions):
        return
    other = questions[target]
    first, second = (question, other) if offset > 0 else (other, question)
    # After the swap ``second`` comes first: refused when ``second`` depends on ``first``.
    if second.condition_question_id == first.id:
        raise DomainError(_("A question shown on a condition stays below that question."))
    questions[index], questions[target] = questions[target], questions[index]
    _renumber(questions)


def reorder(form: QuestionForm, question_ids: list[int]) -> None:
    """The order a script sends after a drag: every question once, conditions respected."""
    questions = {q.id: q for q in form_questions(form)}
    if sorted(question_ids) != sorted(questions):
        raise DomainError(_("The order must name every question of the form once."))
    seen: set[int] = set()
    for question_id in question_ids:
        parent = questions[question_id].condition_question_id
        if parent is not None and parent not in seen:
            raise DomainError(_("A question shown on a condition stays below that question."))
        seen.add(question_id)
    _renumber([questions[question_id] for question_id in question_ids])


def add_standard_question(form: QuestionForm, key: str) -> Question:
    standard = standard_question(key)
    if standard is None:
        raise DomainError(_("There is no such standard question."), field="key")
    if db.session.scalar(
        select(Question.id).where(Question.form_id == form.id, Question.key == key)
    ):
        raise DomainError(_("This form already asks that question."), field="key")
    question = add_question(form, _standard_spec(standard))
    question.key = key
    db.session.flush()
    return question


def _standard_spec(standard: StandardQuestion) -> QuestionSpec:
    return QuestionSpec(
        kind=standard.kind,
        label_es=standard.es,
        label_en=standard.en,
        help_es=standard.help_es or None,
        help_en=standard.help_en or None,
        sensitive=standard.sensitive,
        show_at_checkin=standard.show_at_checkin,
        display=standard.display,
        choices=[ChoiceSpec(c.es, c.en, value=c.value) for c in standard.choices],
    )


def _copied_choice(choice: QuestionChoice) -> QuestionChoice:
    return QuestionChoice(
        position=choice.position,
        value=choice.value,
        label_es=choice.label_es,
        label_en=choice.label_en,
        places=choice.places,
    )


def copy_form(source: QuestionForm, target: QuestionForm) -> int:
    """Put a copy of ``source``'s questions after ``target``'s own; standard questions the
    target already asks are skipped. Returns how many were copied."""
    existing = form_questions(target)
    keys = {q.key for q in existing if q.key}
    position = _next_position(existing)
    copies: dict[int, Question] = {}
    pending_conditions: list[tuple[Question, Question]] = []
    copied = 0
    for original in form_questions(source):
        if original.key and original.key in keys:
            continue
        if len(existing) + copied >= QUESTIONS_MAX:
            raise DomainError(_("A form takes at most %(num)d questions.", num=QUESTIONS_MAX))
        copy = Question(
            form=target,
            position=position,
            kind=original.kind,
            key=original.key,
            label_es=original.label_es,
            label_en=original.label_en,
            help_es=original.help_es,
            help_en=original.help_en,
            required=original.required,
            sensitive=original.sensitive,
            show_at_checkin=original.show_at_checkin,
            display=original.display,
            condition_value=original.condition_value,
            choices=[_copied_choice(choice) for choice in original.choices],
        )
        db.session.add(copy)
        copies[original.id] = copy
        if original.condition_question_id is not None:
            pending_conditions.append((copy, original))
        position += 1
        copied += 1
    db.session.flush()
    for copy, original in pending_conditions:
        parent = copies.get(original.condition_question_id or 0)
        copy.condition_question_id = parent.id if parent else None
        copy.condition_value = original.condition_value if parent else None
    if not target.purpose_es and not target.purpose_en:
        target.purpose_es, target.purpose_en = source.purpose_es, source.purpose_en
    db.session.flush()
    return copied


def set_purpose(form: QuestionForm, purpose_es: str | None, purpose_en: str | None) -> None:
    form.purpose_es = _checked_text(purpose_es, HELP_MAX, "purpose_es", one_line=False)
    form.purpose_en = _checked_text(purpose_en, HELP_MAX, "purpose_en", one_line=False)
    db.session.flush()


# --- answers ----------------------------------------------------------------------------------


@dataclass
class AnswerSheet:
    """What a person answered, checked: only the questions that apply are in it."""

    values: dict[int, str] = field(default_factory=dict)
    choices: dict[int, list[int]] = field(default_factory=dict)
    applicable: set[int] = field(default_factory=set)
    consent: bool = False
    errors: dict[int | str, str] = field(default_factory=dict)

    @property
    def valid(self) -> bool:
        return not self.errors

    def answered(self, question: Question) -> bool:
        return bool(self.values.get(question.id) or self.choices.get(question.id))

    def condition_values(self, question: Question) -> set[str]:
        """The values a condition on ``question`` can match."""
        if question.kind == QuestionKind.YES_NO:
            value = self.values.get(question.id)
            return {value} if value else set()
        chosen = set(self.choices.get(question.id, ()))
        return {choice.value for choice in question.choices if choice.id in chosen}


def applies(question: Question, sheet: AnswerSheet, by_id: Mapping[int, Question]) -> bool:
    if question.condition_question_id is None:
        return True
    parent = by_id.get(question.condition_question_id)
    if parent is None:
        return True  # the condition's question is gone: ask it
    return parent.id in sheet.applicable and question.condition_value in sheet.condition_values(
        parent
    )


def _one(formdata, name: str) -> str:
    value = formdata.get(name)
    return value if isinstance(value, str) else ""


def _many(formdata, name: str) -> list[str]:
    getlist = getattr(formdata, "getlist", None)
    values = getlist(name) if getlist else [formdata.get(name)]
    return [value for value in values if isinstance(value, str) and value]


def read_answers(
    questions: list[Question], formdata, *, consent: bool | None = None
) -> AnswerSheet:
    """Check what the form sent for ``questions`` (in order). ``consent``: the box's state
    when the caller read it some other way; by default the form's ``sensitive_consent``."""
    sheet = AnswerSheet()
    sheet.consent = bool(_one(formdata, CONSENT_FIELD)) if consent is None else consent
    by_id = {question.id: question for question in questions}
    for question in questions:
        if not applies(question, sheet, by_id):
            continue
        sheet.applicable.add(question.id)
        error = _read_one(question, formdata, sheet)
        if error:
            sheet.errors[question.id] = error
        elif question.required and not sheet.answered(question):
            sheet.errors[question.id] = _("Answer this question.")
    sensitive_answered = any(
        by_id[question_id].sensitive and sheet.answered(by_id[question_id])
        for question_id in sheet.applicable
    )
    sensitive_required = any(
        by_id[question_id].sensitive and by_id[question_id].required
        for question_id in sheet.applicable
    )
    if (sensitive_answered or sensitive_required) and not sheet.consent:
        sheet.errors[CONSENT_FIELD] = _(
            "Tick the consent box to answer these questions, or leave them blank."
        )
    if not sheet.consent:
        # Nothing sensitive is kept without consent, even when the browser sent it.
        for question_id in list(sheet.values) + list(sheet.choices):
            if by_id[question_id].sensitive:
                sheet.values.pop(question_id, None)
                sheet.choices.pop(question_id, None)
    return sheet


def _read_one(question: Question, formdata, sheet: AnswerSheet) -> str | None:
    name = question.field_name
    kind = question.kind
    if kind in CHOICE_KINDS:
        sent = _many(formdata, name) if kind == QuestionKind.MULTIPLE_CHOICE else []
        if kind == QuestionKind.SINGLE_CHOICE and (one := _one(formdata, name)):
            sent = [one]
        ids: list[int] = []
        for sent_value in dict.fromkeys(sent):
            choice = question.choice_by_value(sent_value)
            if choice is None:
                return _("Choose one of the options.")
            ids.append(choice.id)
        if ids:
            sheet.choices[question.id] = ids
        return None
    raw = _one(formdata, name)
    value: str | None
    if kind == QuestionKind.LONG_TEXT or kind == QuestionKind.SHORT_TEXT:
        text = clean(raw, one_line=kind == QuestionKind.SHORT_TEXT)
        limit = TEXT_ANSWER_MAX[kind]
        if text and len(text) > limit:
            return _("Use at most %(num)d characters.", num=limit)
        value = text
    elif not raw.strip():
        value = None
    else:
        value, error = _typed_value(kind, raw.strip())
        if error:
            return error
    if value:
        sheet.values[question.id] = value
    return None


def _typed_value(kind: str, raw: str) -> tuple[str | None, str | None]:
    """The stored form of a typed answer, or the message that refuses it."""
    if kind == QuestionKind.NUMBER:
        try:
            number = Decimal(raw.replace(",", "."))
        except InvalidOperation:
            return None, _("Give a number.")
        if not number.is_finite() or abs(number) >= Decimal(10) ** 12:
            return None, _("Give a number.")
        return format(number.normalize(), "f"), None
    if kind == QuestionKind.DATE:
        try:
            day = date.fromisoformat(raw)
        except ValueError:
            return None, _("Give a date as YYYY-MM-DD.")
        if not 1900 <= day.year <= 2100:
            return None, _("Give a date between 1900 and 2100.")
        return day.isoformat(), None
    if kind == QuestionKind.YES_NO:
        if raw not in (YES, NO):
            return None, _("Answer yes or no.")
        return raw, None
    if kind == QuestionKind.PHONE:
        phone = reference.normalise_phone(raw)
        return (
            (phone, None) if phone else (None, _("Give a phone number, such as +56 9 1234 5678."))
        )
    if kind == QuestionKind.COUNTRY:
        code = raw.upper()
        return (code, None) if reference.is_country(code) else (None, _("Choose a country."))
    if kind == QuestionKind.COMUNA:
        return (raw, None) if reference.is_comuna(raw) else (None, _("Choose a comuna."))
    if kind == QuestionKind.RUT:
        rut = reference.normalise_rut(raw)
        return (rut, None) if rut else (None, _("Give a valid RUT, such as 12.345.678-5."))
    return None, _("This question cannot be answered.")


def stored_sheet(questions: list[Question], registration_id: int) -> AnswerSheet:
    """A registration's stored answers, as a sheet (to fill the form for editing)."""
    sheet = AnswerSheet()
    answers = _answers_of(registration_id)
    for question in questions:
        answer = answers.get(question.id)
        if answer is None:
            continue
        sheet.applicable.add(question.id)
        if answer.value:
            sheet.values[question.id] = answer.value
        if answer.choices:
            sheet.choices[question.id] = [link.choice_id for link in answer.choices]
    return sheet


def _answers_of(registration_id: int) -> dict[int, Answer]:
    return {
        answer.question_id: answer
        for answer in db.session.scalars(
            select(Answer)
            .options(selectinload(Answer.choices))
            .where(Answer.registration_id == registration_id)
        )
    }


def choice_counts(choice_ids: Iterable[int], holding: Select) -> dict[int, int]:
    """How many registrations in ``holding`` (a select of registration ids) hold each
    choice: one query."""
    ids = list(choice_ids)
    if not ids:
        return {}
    rows = db.session.execute(
        select(AnswerChoice.choice_id, func.count())
        .join(Answer, Answer.id == AnswerChoice.answer_id)
        .where(AnswerChoice.choice_id.in_(ids), Answer.registration_id.in_(holding))
        .group_by(AnswerChoice.choice_id)
    )
    return {choice_id: count for choice_id, count in rows.all()}  # noqa: C416  (typed rows)


def places_left(questions: list[Question], holding: Select) -> dict[int, int]:
    """Places left per limited choice of these questions (choice id → places)."""
    limited = {c.id: c.places for q in questions for c in q.choices if c.places is not None}
    taken = choice_counts(limited, holding)
    return {
        choice_id: max(places - taken.get(choice_id, 0), 0) for choice_id, places in limited.items()
    }


def save_answers(
    registration_id: int,
    questions: list[Question],
    sheet: AnswerSheet,
    holding: Select,
) -> None:
    """Keep ``sheet`` as the registration's answers (the caller holds the event's lock).

    A limited choice the registration does not hold yet is refused when ``holding`` (the
    registrations that count, this one excluded) already fills it. Answers to questions that
    no longer apply are deleted."""
    if not sheet.valid:
        raise AnswersRefusedError(sheet.errors)
    existing = _answers_of(registration_id)
    held = {link.choice_id for answer in existing.values() for link in answer.choices}
    check_places(questions, sheet, holding, held)
    _store(registration_id, questions, sheet, existing)


def store_first_answers(
    registration_id: int, questions: list[Question], sheet: AnswerSheet
) -> None:
    """Keep ``sheet`` for a registration that has no answers, whose limited choices
    ``check_places`` already accepted under the lock still held: nothing to load or count
    again."""
    _store(registration_id, questions, sheet, {})


def check_places(
    questions: list[Question], sheet: AnswerSheet, holding: Select, held: Iterable[int] = ()
) -> None:
    """Refuse the limited choices of ``sheet`` that ``holding`` already fills, except those
    in ``held`` (the registration's own). Call with the event's lock held: one query, and
    before anything costly is written, so a refusal under a rush is quick."""
    held = set(held)
    by_id = {question.id: question for question in questions}
    wanted_limited = {
        choice_id: question_id
        for question_id, choice_ids in sheet.choices.items()
        for choice_id in choice_ids
        if choice_id not in held and _choice(by_id[question_id], choice_id).places is not None
    }
    if wanted_limited:
        taken = choice_counts(wanted_limited, holding)
        errors: dict[int | str, str] = {}
        for choice_id, question_id in wanted_limited.items():
            choice = _choice(by_id[question_id], choice_id)
            if taken.get(choice_id, 0) >= (choice.places or 0):
                errors[question_id] = _(
                    "“%(choice)s” is full. Choose another option.",
                    choice=choice.label(str(get_locale())),
                )
        if errors:
            raise AnswersRefusedError(errors)


def _store(
    registration_id: int, questions: list[Question], sheet: AnswerSheet, existing: dict
) -> None:
    new: dict[int, tuple[str | None, list[int]]] = {}
    for question in questions:
        answer = existing.get(question.id)
        value = sheet.values.get(question.id)
        choice_ids = sheet.choices.get(question.id, [])
        keep = question.id in sheet.applicable and (value or choice_ids)
        if question.sensitive and not sheet.consent:
            keep = False
        if not keep:
            if answer is not None:
                db.session.delete(answer)
            continue
        if answer is None:
            new[question.id] = (value, choice_ids)
            continue
        answer.value = value
        current = {link.choice_id: link for link in answer.choices}
        answer.choices = [current.get(cid) or AnswerChoice(choice_id=cid) for cid in choice_ids]
    db.session.flush()
    _insert_answers(registration_id, new)


def _insert_answers(registration_id: int, new: Mapping[int, tuple[str | None, list[int]]]) -> None:
    """New answers in two statements however many: the unit of work would insert them one
    by one on SQLite (it cannot match generated ids to rows there), and registering is the
    busiest request of an event."""
    if not new:
        return
    now = utcnow()
    table = cast(Table, Answer.__table__)
    # The table, not the class: the ORM would split the rows by which values are None.
    rows = db.session.execute(
        insert(table).returning(table.c.id, table.c.question_id),
        [
            {
                "registration_id": registration_id,
                "question_id": question_id,
                "value": value,
                "created_at": now,
                "updated_at": now,
            }
            for question_id, (value, _choices) in new.items()
        ],
    )
    # question_id is unique per registration: it tells which id is whose.
    links = [
        {"answer_id": answer_id, "choice_id": choice_id}
        for answer_id, question_id in rows.all()
        for choice_id in new[question_id][1]
    ]
    if links:
        db.session.execute(insert(AnswerChoice), links)


def _choice(question: Question, choice_id: int) -> QuestionChoice:
    return next(choice for choice in question.choices if choice.id == choice_id)


# --- reading answers back ---------------------------------------------------------------------


def answer_text(
    question: AnyQuestion, sheet_value: str | None, choice_ids: list[int], language: str
) -> str:
    """An answer as a person reads it (lists, exports, the door)."""
    if question.kind in CHOICE_KINDS:
        chosen = set(choice_ids)
        return ", ".join(c.label(language) for c in question.choices if c.id in chosen)
    if not sheet_value:
        return ""
    if question.kind == QuestionKind.YES_NO:
        return _("Yes") if sheet_value == YES else _("No")
    if question.kind == QuestionKind.COUNTRY:
        return reference.country_name(sheet_value, language) or sheet_value
    if question.kind == QuestionKind.COMUNA:
        return reference.comuna_name(sheet_value) or sheet_value
    if question.kind == QuestionKind.RUT:
        return reference.format_rut(sheet_value)
    return sheet_value


# Kinds whose stored value is the text shown (answer_text returns it as it is).
_VERBATIM_KINDS = frozenset(
    kind.value
    for kind in QuestionKind
    if kind.value not in CHOICE_KINDS
    and kind
    not in (QuestionKind.YES_NO, QuestionKind.COUNTRY, QuestionKind.COMUNA, QuestionKind.RUT)
)


def answer_texts(
    questions: Sequence[AnyQuestion], registration_ids: Select | Iterable[int], language: str
) -> dict[int, dict[int, str]]:
    """registration id → question id → the answer as text, for many registrations in one
    query of plain rows (an answer with its chosen choices; no ORM objects, no batches that
    would grow with the answers)."""
    if not questions:
        return {}
    by_id = {question.id: question for question in questions}
    rows = db.session.execute(
        select(Answer.registration_id, Answer.question_id, Answer.value, AnswerChoice.choice_id)
        .outerjoin(AnswerChoice, AnswerChoice.answer_id == Answer.id)
        .where(Answer.question_id.in_(by_id), Answer.registration_id.in_(registration_ids))
    )
    # Each question's words once, not once per person, and each typed value's text once:
    # per answer a dict lookup (bench/PARTICIPANTS.md).
    kinds = {question.id: question.kind for question in questions}
    yes_no = {YES: _("Yes"), NO: _("No")}
    typed: dict[tuple[int, str], str] = {}
    chosen: dict[tuple[int, int], list[int]] = {}
    texts: dict[int, dict[int, str]] = {}
    for registration_id, question_id, value, choice_id in rows:
        kind = kinds[question_id]
        if kind in CHOICE_KINDS:
            if choice_id is not None:
                chosen.setdefault((registration_id, question_id), []).append(choice_id)
            continue
        if not value:
            continue
        if kind in _VERBATIM_KINDS:
            text = value
        elif kind == QuestionKind.YES_NO:
            text = yes_no.get(value, "")
        else:
            known = typed.get((question_id, value))
            if known is None:
                known = typed[question_id, value] = answer_text(
                    by_id[question_id], value, [], language
                )
            text = known
        if text:
            texts.setdefault(registration_id, {})[question_id] = text
    if chosen:
        orders = {}
        labels = {}
        for question in questions:
            if question.kind in CHOICE_KINDS:
                orders[question.id] = {c.id: at for at, c in enumerate(question.choices)}
                labels[question.id] = {c.id: c.label(language) for c in question.choices}
        for (registration_id, question_id), ids in chosen.items():
            if len(ids) > 1:
                ids.sort(key=orders[question_id].__getitem__)
            text = ", ".join([labels[question_id][choice_id] for choice_id in ids])
            if text:
                texts.setdefault(registration_id, {})[question_id] = text
    return texts


def delete_answers(question_ids: Iterable[int], registration_ids: Select) -> int:
    """Delete these questions' answers of these registrations; returns how many."""
    ids = list(question_ids)
    if not ids:
        return 0
    result = db.session.execute(
        delete(Answer).where(
            Answer.question_id.in_(ids), Answer.registration_id.in_(registration_ids)
        )
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def mark_sensitive_deleted(form: QuestionForm) -> None:
    form.sensitive_deleted_at = utcnow()


def copy_event_form(source: Event, copy: Event) -> int:
    """The questions of ``source`` (with their choices, limits, conditions and the purpose of
    the sensitive ones) on the new event ``copy``; how many. Answers stay with ``source``."""
    form = event_form(source.id)
    if form is None:
        return 0
    return copy_form(form, ensure_event_form(copy))
