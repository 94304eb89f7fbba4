"""The answers where organisers work: columns and a filter on the participants page, the
door, the exports. A constant number of queries whatever the number of people or questions.
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import cached_property

from flask_babel import gettext as _
from markupsafe import Markup, escape
from sqlalchemy import Select, select

from eventhub.extensions import db
from eventhub.questions import reference
from eventhub.questions.models import (
    CHOICE_KINDS,
    NO,
    YES,
    Answer,
    AnswerChoice,
    QuestionKind,
)
from eventhub.questions.reading import AnyQuestion
from eventhub.questions.services import answer_texts
from eventhub.registrations.models import Registration

# Kinds whose answers come from a list, so "everyone who answered X" is a useful filter.
VALUE_KINDS = frozenset({QuestionKind.COUNTRY.value, QuestionKind.COMUNA.value})
# Longer answers are cut in the table; the whole text is one click away.
SHORT_ANSWER = 60


@dataclass(frozen=True)
class FilterOption:
    question: AnyQuestion
    label: str  # the question's label, in the reader's language
    values: list[tuple[str, str]]  # (the ``answer`` query value, text shown)
    texts: dict[str, str]  # answer value → text shown


@dataclass(frozen=True)
class AnswerFilter:
    question: AnyQuestion
    value: str
    text: str

    @property
    def param(self) -> str:
        return param(self.question, self.value)


def param(question: AnyQuestion, value: str) -> str:
    """The ``answer`` query value: question id and answer value."""
    return f"{question.id}:{value}"


def _present_values(questions: Sequence[AnyQuestion]) -> dict[int, set[str]]:
    """The countries and comunas the event's registrants gave: one query. The questions are
    the event's own (its form's), so only its registrations answer them: no join with the
    registrations needed."""
    ids = [q.id for q in questions if q.kind in VALUE_KINDS]
    if not ids:
        return {}
    rows = db.session.execute(
        select(Answer.question_id, Answer.value).distinct().where(Answer.question_id.in_(ids))
    )
    present: dict[int, set[str]] = {}
    for question_id, value in rows:
        if value:
            present.setdefault(question_id, set()).add(value)
    return present


def _sorted_by_text(pairs: Iterable[tuple[str, str]]) -> list[tuple[str, str]]:
    return sorted(pairs, key=lambda pair: pair[1].casefold())


def filter_options(questions: Sequence[AnyQuestion], language: str) -> list[FilterOption]:
    """Per question that can filter, the values to choose from: its choices, yes and no, or
    the countries and comunas someone answered. Each with the query value its option sends,
    worked out here once rather than per option by the template."""
    present = _present_values(questions)
    options = []
    yes_no = [(YES, _("Yes")), (NO, _("No"))]
    for question in questions:
        values: list[tuple[str, str]]
        if question.kind in CHOICE_KINDS:
            values = [(c.value, c.label(language)) for c in question.choices]
        elif question.kind == QuestionKind.YES_NO:
            values = yes_no
        elif question.kind == QuestionKind.COUNTRY:
            values = _sorted_by_text(
                (code, reference.country_name(code, language) or code)
                for code in present.get(question.id, ())
            )
        elif question.kind == QuestionKind.COMUNA:
            values = _sorted_by_text(
                (code, reference.comuna_name(code) or code) for code in present.get(question.id, ())
            )
        else:
            continue
        if values:
            prefix = f"{question.id}:"
            options.append(
                FilterOption(
                    question,
                    question.label(language),
                    [(prefix + value, text) for value, text in values],
                    dict(values),
                )
            )
    return options


def chosen_filter(options: list[FilterOption], sent: str | None) -> AnswerFilter | None:
    """The filter a query string names, when it names one on offer (else no filter, as an
    unknown status is no filter)."""
    if not sent or ":" not in sent:
        return None
    question_id, _sep, value = sent.partition(":")
    for option in options:
        if str(option.question.id) == question_id:
            text = option.texts.get(value)
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
_LONG_CELL = '<details class="long-answer"><summary>{}</summary>{}</details>'


@dataclass(frozen=True)
class Column:
    """A question as the table heads it, its words worked out once for every row."""

    question: AnyQuestion
    label: str
    data_label: str  # what a phone shows beside each cell
    css: str

    @cached_property
    def opening(self) -> str:
        """The cell's opening tag, escaped once for every row."""
        return str(Markup('<td data-label="{}" class="{}">').format(self.data_label, self.css))

    @cached_property
    def empty(self) -> str:
        return self.opening + "</td>"

    def cell(self, text: str) -> str:
        """One answer's cell, its text escaped."""
        if len(text) <= SHORT_ANSWER:
            return f"{self.opening}{escape(text)}</td>"
        short = text[: SHORT_ANSWER - 1].rstrip() + "…"
        return self.opening + _LONG_CELL.format(escape(short), escape(text)) + "</td>"


@dataclass
class AnswerTable:
    """The answers of a list of registrations to a list of questions."""

    questions: Sequence[AnyQuestion]
    texts: dict[int, dict[int, str]] = field(default_factory=dict)
    columns: list[Column] = field(default_factory=list)
    # (question id, answer) → its cell: the same choice in 300 rows is escaped once.
    _cells: dict[tuple[int, str], str] = field(default_factory=dict, repr=False)

    def row_html(self, registration_id: int) -> Markup:
        """The answer cells of one row of the participants table, each value escaped. Built
        here rather than by a template loop, each distinct answer's cell written once and
        then looked up, and the row joined as plain text: with 300 people and 10 questions
        the loop's 3,000 cells were most of the page's time, and escaping each part again
        in ``Markup.join`` most of what was left (bench/PARTICIPANTS.md)."""
        mine = self.texts.get(registration_id)
        if not mine:
            return Markup("".join([c.empty for c in self.columns]))  # noqa: S704 (escaped)
        cells = self._cells
        parts = []
        for column in self.columns:
            question_id = column.question.id
            text = mine.get(question_id)
            if not text:
                parts.append(column.empty)
                continue
            cell = cells.get((question_id, text))
            if cell is None:
                cell = cells[question_id, text] = column.cell(text)
            parts.append(cell)
        # Every part escaped already (Column.cell): nothing escaped twice.
        return Markup("".join(parts))  # noqa: S704

    def texts_of(self, registration_id: int) -> list[str]:
        mine = self.texts.get(registration_id, {})
        return [mine.get(question.id, "") for question in self.questions]

    def shown(self, registration_id: int) -> list[tuple[AnyQuestion, str]]:
        """(question, answer) for the answers given, as the door shows them."""
        mine = self.texts.get(registration_id, {})
        return [(q, mine[q.id]) for q in self.questions if mine.get(q.id)]


def _column(question: AnyQuestion, language: str) -> Column:
    label = question.label(language)
    if not question.sensitive:
        return Column(question, label, label, "answer")
    return Column(question, label, f"{label} ({_('sensitive')})", "answer sensitive")


def answer_table(
    questions: Sequence[AnyQuestion], registration_ids: Select | Iterable[int], language: str
) -> AnswerTable:
    if not questions:
        return AnswerTable([])
    return AnswerTable(
        questions,
        answer_texts(questions, registration_ids, language),
        [_column(question, language) for question in questions],
    )
