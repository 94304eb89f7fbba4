"""The answers where organisers work: columns and a filter on the participants page, the
door, the exports. A constant number of queries whatever the number of people or questions.
"""

from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cached_property

from flask_babel import gettext as _
from markupsafe import Markup, escape
from sqlalchemy import Select, select

from eventhub.events.models import Event
from eventhub.extensions import db
from eventhub.questions import reference
from eventhub.questions.models import (
    CHOICE_KINDS,
    NO,
    YES,
    Answer,
    AnswerChoice,
    Question,
    QuestionKind,
)
from eventhub.questions.services import answer_texts
from eventhub.registrations.models import Registration

# Kinds whose answers come from a list, so "everyone who answered X" is a useful filter.
VALUE_KINDS = frozenset({QuestionKind.COUNTRY.value, QuestionKind.COMUNA.value})
# Longer answers are cut in the table; the whole text is one click away.
SHORT_ANSWER = 60


@dataclass(frozen=True)
class FilterOption:
    question: Question
    values: list[tuple[str, str]]  # (value sent, text shown)


@dataclass(frozen=True)
class AnswerFilter:
    question: Question
    value: str
    text: str

    @property
    def param(self) -> str:
        return param(self.question, self.value)


def param(question: Question, value: str) -> str:
    """The ``answer`` query value: question id and answer value."""
    return f"{question.id}:{value}"


def _present_values(event: Event, questions: list[Question]) -> dict[int, set[str]]:
    """The countries and comunas the event's registrants gave: one query."""
    ids = [q.id for q in questions if q.kind in VALUE_KINDS]
    if not ids:
        return {}
    rows = db.session.execute(
        select(Answer.question_id, Answer.value)
        .distinct()
        .join(Registration, Registration.id == Answer.registration_id)
        .where(Registration.event_id == event.id, Answer.question_id.in_(ids))
    )
    present: dict[int, set[str]] = {}
    for question_id, value in rows:
        if value:
            present.setdefault(question_id, set()).add(value)
    return present


def filter_options(event: Event, questions: list[Question], language: str) -> list[FilterOption]:
    """Per question that can filter, the values to choose from: its choices, yes and no, or
    the countries and comunas someone answered."""
    present = _present_values(event, questions)
    options = []
    for question in questions:
        values: list[tuple[str, str]]
        if question.kind in CHOICE_KINDS:
            values = [(c.value, c.label(language)) for c in question.choices]
        elif question.kind == QuestionKind.YES_NO:
            values = [(YES, _("Yes")), (NO, _("No"))]
        elif question.kind == QuestionKind.COUNTRY:
            values = sorted(
                (
                    (code, reference.country_name(code, language) or code)
                    for code in present.get(question.id, ())
                ),
                key=lambda pair: pair[1].casefold(),
            )
        elif question.kind == QuestionKind.COMUNA:
            values = sorted(
                (
                    (code, reference.comuna_name(code) or code)
                    for code in present.get(question.id, ())
                ),
                key=lambda pair: pair[1].casefold(),
            )
        else:
            continue
        if values:
            options.append(FilterOption(question, values))
    return options


def chosen_filter(options: list[FilterOption], sent: str | None) -> AnswerFilter | None:
    """The filter a query string names, when it names one on offer (else no filter, as an
    unknown status is no filter)."""
    if not sent or ":" not in sent:
        return None
    question_id, _sep, value = sent.partition(":")
    for option in options:
        if str(option.question.id) == question_id:
            text = dict(option.values).get(value)
            return AnswerFilter(option.question, value, text) if text is not None else None
    return None


def filtered(stmt: Select, answer_filter: AnswerFilter | None) -> Select:
    """``stmt`` (a select of registrations) narrowed to those who gave that answer."""
    if answer_filter is None:
        return stmt
    question = answer_filter.question
    matching = select(Answer.registration_id).where(Answer.question_id == question.id)
    if question.kind in CHOICE_KINDS:
        choice = question.choice_by_value(answer_filter.value)
        matching = matching.join(AnswerChoice, AnswerChoice.answer_id == Answer.id).where(
            AnswerChoice.choice_id == (choice.id if choice else -1)
        )
    else:
        matching = matching.where(Answer.value == answer_filter.value)
    return stmt.where(Registration.id.in_(matching))


# A long answer folds: its start shows, the whole text one click away.
_LONG_OPENING = Markup('<details class="long-answer"><summary>')
_LONG_MIDDLE = Markup("</summary>")
_LONG_CLOSING = Markup("</details>")
_CELL_CLOSING = Markup("</td>")


@dataclass(frozen=True)
class Column:
    """A question as the table heads it, its words worked out once for every row."""

    question: Question
    label: str
    data_label: str  # what a phone shows beside each cell
    css: str

    @cached_property
    def opening(self) -> Markup:
        """The cell's opening tag, escaped once for every row."""
        return Markup('<td data-label="{}" class="{}">').format(self.data_label, self.css)


@dataclass
class AnswerTable:
    """The answers of a list of registrations to a list of questions."""

    questions: list[Question]
    texts: dict[int, dict[int, str]] = field(default_factory=dict)
    columns: list[Column] = field(default_factory=list)

    def row_html(self, registration_id: int) -> Markup:
        """The answer cells of one row of the participants table, each value escaped. Built
        here rather than by a template loop, and by joining strings rather than formatting
        each cell: with 300 people and 10 questions the loop's 3,000 cells were most of the
        page's time, and ``Markup.format`` per cell a third of what was left
        (bench/PARTICIPANTS.md)."""
        mine = self.texts.get(registration_id, {})
        cells = []
        for column in self.columns:
            text = mine.get(column.question.id, "")
            cells.append(column.opening)
            if len(text) <= SHORT_ANSWER:
                cells.append(escape(text))
            else:
                short = text[: SHORT_ANSWER - 1].rstrip() + "…"
                cells += [_LONG_OPENING, escape(short), _LONG_MIDDLE, escape(text), _LONG_CLOSING]
            cells.append(_CELL_CLOSING)
        return Markup("").join(cells)  # every part Markup already: nothing escaped twice

    def texts_of(self, registration_id: int) -> list[str]:
        mine = self.texts.get(registration_id, {})
        return [mine.get(question.id, "") for question in self.questions]

    def shown(self, registration_id: int) -> list[tuple[Question, str]]:
        """(question, answer) for the answers given, as the door shows them."""
        mine = self.texts.get(registration_id, {})
        return [(q, mine[q.id]) for q in self.questions if mine.get(q.id)]


def _column(question: Question, language: str) -> Column:
    label = question.label(language)
    if not question.sensitive:
        return Column(question, label, label, "answer")
    return Column(question, label, f"{label} ({_('sensitive')})", "answer sensitive")


def answer_table(
    questions: list[Question], registration_ids: Select | Iterable[int], language: str
) -> AnswerTable:
    if not questions:
        return AnswerTable([])
    return AnswerTable(
        questions,
        answer_texts(questions, registration_ids, language),
        [_column(question, language) for question in questions],
    )
