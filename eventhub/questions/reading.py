"""An event's questions as plain rows, for the pages and files that only read them.

The participants page, the door and the exports show the questions' labels and turn answers
into text; they never change a question. Loading the questions and their choices as ORM
objects (two queries, an identity map, attribute instrumentation) was the largest part of
what an event's 10 questions added to its participants page (bench/PARTICIPANTS.md). Here
they come from one query of plain columns, questions and choices joined, in form order.

A ``QuestionRow`` answers what those readers ask of a ``Question`` (``id``, ``kind``,
``sensitive``, ``show_at_checkin``, ``label(language)``, ``choices``, ``choice_by_value``),
so the answer helpers take either.
"""

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Protocol

from sqlalchemy import select

from eventhub.extensions import db
from eventhub.questions.models import Question, QuestionChoice, QuestionForm, localised


class AnyChoice(Protocol):
    """A choice as the readers of answers use it: a ``QuestionChoice`` or a ``ChoiceRow``."""

    @property
    def id(self) -> int: ...
    @property
    def value(self) -> str: ...
    def label(self, language: str) -> str: ...


class AnyQuestion(Protocol):
    """A question as the readers of answers use it: a ``Question`` or a ``QuestionRow``."""

    @property
    def id(self) -> int: ...
    @property
    def kind(self) -> str: ...
    @property
    def sensitive(self) -> bool: ...
    @property
    def show_at_checkin(self) -> bool: ...
    @property
    def choices(self) -> Sequence[AnyChoice]: ...
    def label(self, language: str) -> str: ...
    def choice_by_value(self, value: str) -> AnyChoice | None: ...


@dataclass(frozen=True, slots=True)
class ChoiceRow:
    id: int
    value: str
    label_es: str
    label_en: str | None

    def label(self, language: str) -> str:
        return localised(self.label_es, self.label_en, language)


@dataclass(frozen=True, slots=True)
class QuestionRow:
    id: int
    kind: str
    key: str | None
    label_es: str
    label_en: str | None
    sensitive: bool
    show_at_checkin: bool
    choices: tuple[ChoiceRow, ...]

    def label(self, language: str) -> str:
        return localised(self.label_es, self.label_en, language)

    def choice_by_value(self, value: str) -> ChoiceRow | None:
        return next((choice for choice in self.choices if choice.value == value), None)


def event_question_rows(event_id: int) -> list[QuestionRow]:
    """The event's questions in order, each with its choices in order: one query."""
    rows = db.session.execute(
        select(
            Question.id,
            Question.kind,
            Question.key,
            Question.label_es,
            Question.label_en,
            Question.sensitive,
            Question.show_at_checkin,
            QuestionChoice.id,
            QuestionChoice.value,
            QuestionChoice.label_es,
            QuestionChoice.label_en,
        )
        .join(QuestionForm, QuestionForm.id == Question.form_id)
        .outerjoin(QuestionChoice, QuestionChoice.question_id == Question.id)
        .where(QuestionForm.event_id == event_id)
        .order_by(Question.position, Question.id, QuestionChoice.position, QuestionChoice.id)
    )
    questions: dict[int, QuestionRow] = {}  # in order of first sight
    choices: dict[int, list[ChoiceRow]] = {}
    for qid, kind, key, label_es, label_en, sensitive, checkin, cid, value, c_es, c_en in rows:
        if qid not in questions:
            choices[qid] = []
            questions[qid] = QuestionRow(
                qid, kind, key, label_es, label_en, bool(sensitive), bool(checkin), ()
            )
        if cid is not None:
            choices[qid].append(ChoiceRow(cid, value, c_es, c_en))
    return [replace(row, choices=tuple(choices[qid])) for qid, row in questions.items()]
