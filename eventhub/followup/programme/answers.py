"""Figures by answer, and people across a programme: what a migration programme reports.

For every question whose answers come from a fixed list (the library's choice, yes/no,
country and comuna questions, grouped by their key so that the same question adds up across
a programme's events; and any single-choice question of the organiser's own, grouped by its
Spanish label and its choices' values, as a copied form keeps them), the confirmed people and
those checked in, per answer, crossed with the kind (or the region) of their organisation.

Across a programme: unique people matched by their normalised address, and per event how
many came for the first time or had registered for (came to) an earlier event of it.
Cancelled events count for neither.

The numbers come first, exact, in a fixed number of grouped queries however many events,
questions and registrants there are; ``present`` then applies the small-count rule of
``disclosure`` (unless the exact view is asked for) and lays the charts out, so the page,
the SVG and the downloads show the same figures.
"""

from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from eventhub.addresses import email_key
from eventhub.events.models import Event, EventManager, EventStatus
from eventhub.extensions import db
from eventhub.followup.programme import disclosure
from eventhub.followup.programme.disclosure import Shown
from eventhub.followup.programme.figures import BAR, GAP, LABEL_WIDTH, PLOT_WIDTH, Label, Rect
from eventhub.organisations.models import Organisation, OrganisationKind
from eventhub.questions import reference
from eventhub.questions.library import standard_question
from eventhub.questions.models import (
    CHOICE_KINDS,
    YES,
    Answer,
    AnswerChoice,
    Question,
    QuestionForm,
    QuestionKind,
)
from eventhub.registrations.models import Registration, RegistrationStatus

BY_KIND = "kind"
BY_REGION = "region"
CROSSINGS = (BY_KIND, BY_REGION)
NO_ORGANISATION = ""  # the column of people from no organisation of the directory
LIBRARY_KINDS = CHOICE_KINDS | {
    QuestionKind.YES_NO.value,
    QuestionKind.COUNTRY.value,
    QuestionKind.COMUNA.value,
}
CONFIRMED = RegistrationStatus.CONFIRMED.value


# --- the numbers -------------------------------------------------------------------------------


@dataclass
class AnswerRow:
    value: str  # the choice's value, the country or comuna code, yes/no
    label: str
    registered: Counter[str] = field(default_factory=Counter)  # column key → people
    attended: Counter[str] = field(default_factory=Counter)


@dataclass
class AnswerFigure:
    """One question (one key across the programme's events) and its answers."""

    key: str  # for the page's anchors: the library key, or "own-<n>"
    title: str
    kind: str
    rows: list[AnswerRow] = field(default_factory=list)

    @property
    def multiple(self) -> bool:
        """People may give several answers: the answers do not add up."""
        return self.kind == QuestionKind.MULTIPLE_CHOICE

    def row(self, value: str, label: str) -> AnswerRow:
        for row in self.rows:
            if row.value == value:
                return row
        self.rows.append(AnswerRow(value, label))
        return self.rows[-1]


@dataclass
class Column:
    key: str
    label: str


@dataclass
class Returning:
    """One event's confirmed people (and those who came) new to the programme, or not."""

    event: Event
    registered_first: int = 0
    registered_returning: int = 0
    attended_first: int = 0
    attended_returning: int = 0


@dataclass
class People:
    registrations: int = 0
    unique_registered: int = 0
    attendances: int = 0
    unique_attended: int = 0
    events: list[Returning] = field(default_factory=list)


def _eligible(question: Question) -> bool:
    if question.key and standard_question(question.key):
        return question.kind in LIBRARY_KINDS
    return question.kind == QuestionKind.SINGLE_CHOICE.value


def _group_key(question: Question) -> str:
    if question.key and standard_question(question.key):
        return question.key
    values = ",".join(sorted(choice.value for choice in question.choices))
    return f"own:{question.label_es.strip().casefold()}|{values}"


def _questions(event_ids: list[int]) -> list[Question]:
    """The questions the figures cover, in the events' order then the form's: two queries."""
    order = {event_id: index for index, event_id in enumerate(event_ids)}
    rows = list(
        db.session.execute(
            select(Question, QuestionForm.event_id)
            .join(QuestionForm, QuestionForm.id == Question.form_id)
            .options(selectinload(Question.choices))
            .where(QuestionForm.event_id.in_(event_ids or [-1]))
            .order_by(Question.position, Question.id)
        )
    )
    rows.sort(key=lambda row: order[row[1] or 0])
    return [question for question, _event_id in rows if _eligible(question)]


def _value_label(question: Question, value: str, language: str) -> str:
    if question.kind == QuestionKind.COUNTRY:
        return reference.country_name(value, language) or value
    if question.kind == QuestionKind.COMUNA:
        return reference.comuna_name(value) or value
    if question.kind == QuestionKind.YES_NO:
        return _("Yes") if value == YES else _("No")
    return value


def answer_figures(event_ids: list[int], by: str, language: str) -> list[AnswerFigure]:
    """Three queries (questions, their choices, the grouped answers), whatever the data."""
    questions = _questions(event_ids)
    if not questions:
        return []
    figures: dict[str, AnswerFigure] = {}
    question_figure: dict[int, AnswerFigure] = {}
    choices: dict[int, tuple[str, str]] = {}  # choice id → its value and label
    own = 0
    for question in questions:
        group = _group_key(question)
        figure = figures.get(group)
        if figure is None:
            if ":" in group:
                own += 1
            figure = figures[group] = AnswerFigure(
                group if ":" not in group else f"own-{own}",
                question.label(language),
                question.kind,
            )
        question_figure[question.id] = figure
        for choice in question.choices:
            choices[choice.id] = (choice.value, choice.label(language))
            figure.row(choice.value, choice.label(language))  # every choice, even unpicked
        if question.kind == QuestionKind.YES_NO:
            figure.row(YES, _("Yes"))
            figure.row("no", _("No"))
    column = Organisation.kind if by == BY_KIND else Organisation.region
    counted = db.session.execute(
        select(
            Answer.question_id,
            AnswerChoice.choice_id,
            Answer.value,
            column,
            func.count(),
            func.count(Registration.checked_in_at),
        )
        .select_from(Answer)
        .join(Registration, Registration.id == Answer.registration_id)
        .outerjoin(AnswerChoice, AnswerChoice.answer_id == Answer.id)
        .outerjoin(Organisation, Organisation.id == Registration.organisation_id)
        .where(
            Answer.question_id.in_(list(question_figure)),
            Registration.event_id.in_(event_ids),
            Registration.status == CONFIRMED,
        )
        .group_by(Answer.question_id, AnswerChoice.choice_id, Answer.value, column)
    )
    by_id = {question.id: question for question in questions}
    for question_id, choice_id, value, column_key, registered, attended in counted:
        figure = question_figure[question_id]
        if choice_id is not None:
            row = figure.row(*choices[choice_id])
        elif value:
            row = figure.row(value, _value_label(by_id[question_id], value, language))
        else:
            continue
        key = column_key or NO_ORGANISATION
        row.registered[key] += registered
        row.attended[key] += attended
    for figure in figures.values():
        if figure.kind in (QuestionKind.COUNTRY, QuestionKind.COMUNA):
            # Hundreds of possible answers: those given, the most frequent first.
            figure.rows.sort(key=lambda row: (-row.registered.total(), row.label.casefold()))
    return [figure for figure in figures.values() if figure.rows]


def columns_of(figures: list[AnswerFigure], by: str) -> list[Column]:
    """The kinds (or regions) anyone in the figures came from, in the directory's order."""
    keys = {key for figure in figures for row in figure.rows for key in row.registered}
    columns: list[Column] = []
    if by == BY_KIND:
        for kind in OrganisationKind:
            if kind.value in keys:
                columns.append(Column(kind.value, str(kind.label)))
        known = {kind.value for kind in OrganisationKind} | {NO_ORGANISATION}
        columns += [Column(key, key) for key in sorted(keys - known)]
    else:
        regions = sorted(keys - {NO_ORGANISATION}, key=str.casefold)
        columns += [Column(region, region) for region in regions]
    if NO_ORGANISATION in keys:
        columns.append(Column(NO_ORGANISATION, _("No organisation from the directory")))
    return columns


def people(events: list[Event]) -> People:
    """Unique people and first-time participants over ``events`` (in date order): one query.

    A person is one normalised address (``addresses.email_key``), so "Ana@Example.org" at one
    event and "ana@example.org" at the next are the same person returning."""
    result = People()
    ids = [event.id for event in events]
    rows = db.session.execute(
        select(Registration.event_id, Registration.email, Registration.checked_in_at).where(
            Registration.event_id.in_(ids or [-1]), Registration.status == CONFIRMED
        )
    ).all()
    per_event: dict[int, list[tuple[str, bool]]] = defaultdict(list)
    for event_id, email, checked_in_at in rows:
        per_event[event_id].append((email_key(email), checked_in_at is not None))
    registered: set[str] = set()
    attended: set[str] = set()
    for event in events:
        line = Returning(event)
        seen_here: set[str] = set()
        came_here: set[str] = set()
        for key, came in per_event.get(event.id, []):
            result.registrations += 1
            if key in registered:
                line.registered_returning += 1
            else:
                line.registered_first += 1
            seen_here.add(key)
            if came:
                result.attendances += 1
                if key in attended:
                    line.attended_returning += 1
                else:
                    line.attended_first += 1
                came_here.add(key)
        registered |= seen_here
        attended |= came_here
        result.events.append(line)
    result.unique_registered = len(registered)
    result.unique_attended = len(attended)
    return result


def counted_events(events: list[Event]) -> list[Event]:
    """The events the figures count, in date order: cancelled ones never took place."""
    kept = [event for event in events if event.status != EventStatus.CANCELLED]
    return sorted(kept, key=lambda event: (event.starts_at, event.id))


def manages_all(user, events: list[Event]) -> bool:
    """Whether ``user`` manages every one of ``events`` (the exact view): one query."""
    if not getattr(user, "is_authenticated", False):
        return False
    if user.is_admin:
        return True
    ids = {event.id for event in events}
    own = {event.id for event in events if event.created_by_id == user.id}
    if ids <= own:
        return True
    managed = set(
        db.session.scalars(
            select(EventManager.event_id).where(
                EventManager.user_id == user.id, EventManager.event_id.in_(ids - own)
            )
        )
    )
    return ids <= own | managed


# --- what a reader sees ------------------------------------------------------------------------


@dataclass
class Pair:
    registered: Shown
    attended: Shown


@dataclass
class ShownRow:
    label: str
    cells: list[Pair]
    total: Pair


@dataclass
class BarChart:
    """Horizontal bars, one per series and row, drawn from the shown figures only: a hidden
    cell draws nothing, so no bar's length gives back what its label hides."""

    series: list[tuple[str, str]]  # (label, css)
    width: int = 0
    height: int = 0
    rects: list[Rect] = field(default_factory=list)
    labels: list[Label] = field(default_factory=list)


@dataclass
class ShownFigure:
    key: str
    title: str
    multiple: bool
    columns: list[Column]
    rows: list[ShownRow]
    footer: ShownRow | None  # per column, across answers (not for several answers each)
    chart: BarChart


@dataclass
class ShownReturning:
    title: str
    registered_first: Shown
    registered_returning: Shown
    attended_first: Shown
    attended_returning: Shown


@dataclass
class Report:
    """The figures as one audience sees them (``exact``: the managers' view, not to share)."""

    exact: bool
    by: str
    figures: list[ShownFigure]
    may_be_exact: bool = False  # whether the reader may switch to the exact view
    # (what is counted, registered, came): registrations, then unique people
    people: list[tuple[str, Pair]] = field(default_factory=list)
    returning: list[ShownReturning] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not self.figures and not self.people


def _pair(registered: list[int], attended: list[int], exact: bool) -> Pair:
    return Pair(disclosure.total(registered, exact), disclosure.total(attended, exact))


def _present_figure(figure: AnswerFigure, columns: list[Column], exact: bool) -> ShownFigure:
    rows = []
    for row in figure.rows:
        cells = [
            Pair(
                disclosure.cell(row.registered[c.key], exact),
                disclosure.cell(row.attended[c.key], exact),
            )
            for c in columns
        ]
        total = _pair(
            [row.registered[c.key] for c in columns], [row.attended[c.key] for c in columns], exact
        )
        rows.append(ShownRow(row.label, cells, total))
    footer = None
    if not figure.multiple:
        footer = ShownRow(
            _("Total"),
            [
                _pair(
                    [row.registered[c.key] for row in figure.rows],
                    [row.attended[c.key] for row in figure.rows],
                    exact,
                )
                for c in columns
            ],
            _pair(
                [row.registered[c.key] for row in figure.rows for c in columns],
                [row.attended[c.key] for row in figure.rows for c in columns],
                exact,
            ),
        )
    chart = layout_bars(
        [(row.label, [row.total.registered, row.total.attended]) for row in rows],
        [(_("People registered"), "s2"), (_("Came"), "s1")],
    )
    return ShownFigure(figure.key, figure.title, figure.multiple, columns, rows, footer, chart)


def present(figures: list[AnswerFigure], counts: People | None, by: str, exact: bool) -> Report:
    columns = columns_of(figures, by)
    report = Report(exact, by, [_present_figure(figure, columns, exact) for figure in figures])
    if counts is not None and counts.registrations:
        report.people = [
            (
                _("Registrations"),
                Pair(
                    disclosure.cell(counts.registrations, exact),
                    disclosure.cell(counts.attendances, exact),
                ),
            ),
            (
                _("Unique people"),
                Pair(
                    disclosure.cell(counts.unique_registered, exact),
                    disclosure.cell(counts.unique_attended, exact),
                ),
            ),
        ]
        report.returning = [
            ShownReturning(
                line.event.title,
                disclosure.cell(line.registered_first, exact),
                disclosure.cell(line.registered_returning, exact),
                disclosure.cell(line.attended_first, exact),
                disclosure.cell(line.attended_returning, exact),
            )
            for line in counts.events
        ]
    return report


def layout_bars(rows: list[tuple[str, list[Shown]]], series: list[tuple[str, str]]) -> BarChart:
    chart = BarChart(series)
    peak = max((value.bar for _label, values in rows for value in values), default=0)
    scale = PLOT_WIDTH / peak if peak else 0
    thin = BAR // 2
    y: float = GAP
    for label, values in rows:
        short = label if len(label) <= 34 else label[:33] + "…"
        chart.labels.append(Label(LABEL_WIDTH - 6, y + thin * len(values) / 2 + 4, short, "end"))
        for index, (value, (name, css)) in enumerate(zip(values, series, strict=True)):
            bar_y = y + index * thin
            width = value.bar * scale
            title = f"{label}: {name} {value.text}"
            chart.rects.append(Rect(LABEL_WIDTH, bar_y, max(width, 0.5), thin, css, title))
            chart.labels.append(
                Label(LABEL_WIDTH + width + 4, bar_y + thin - 1, value.text, css="value")
            )
        y += thin * len(values) + GAP
    chart.width = LABEL_WIDTH + PLOT_WIDTH + 50
    chart.height = int(y)
    return chart


def programme_report(events: list[Event], by: str, exact: bool, language: str) -> Report:
    counted = counted_events(events)
    figures = answer_figures([event.id for event in counted], by, language)
    return present(figures, people(counted), by, exact)


def event_report(event: Event, by: str, exact: bool, language: str) -> Report:
    """The event's answers; in a programme, also its people new to the programme or not."""
    report = present(answer_figures([event.id], by, language), None, by, exact)
    if event.programme_id is not None:
        siblings = db.session.scalars(select(Event).where(Event.programme_id == event.programme_id))
        until = (event.starts_at, event.id)
        earlier = [e for e in counted_events(list(siblings)) if (e.starts_at, e.id) < until]
        counts = people([*earlier, event])
        report.returning = present([], counts, by, exact).returning[-1:]
    return report


def crossing(value: str | None) -> str:
    return value if value in CROSSINGS else BY_KIND


# --- the downloads -----------------------------------------------------------------------------


def export_header() -> list[str]:
    return [_("Figure"), _("Row"), _("Column"), _("People registered"), _("Came")]


def export_rows(report: Report) -> Iterator[list]:
    """Long rows a pivot table reads: figure, row, column, registered, came."""
    for figure in report.figures:
        for row in figure.rows:
            for column, pair in zip(figure.columns, row.cells, strict=True):
                yield [figure.title, row.label, column.label, *_values(pair)]
            yield [figure.title, row.label, _("Total"), *_values(row.total)]
        if figure.footer is not None:
            for column, pair in zip(figure.columns, figure.footer.cells, strict=True):
                yield [figure.title, _("Total"), column.label, *_values(pair)]
            yield [figure.title, _("Total"), _("Total"), *_values(figure.footer.total)]
    for label, pair in report.people:
        yield [str(PEOPLE_TITLE), label, "", *_values(pair)]
    for line in report.returning:
        first = Pair(line.registered_first, line.attended_first)
        returning = Pair(line.registered_returning, line.attended_returning)
        yield [str(RETURNING_TITLE), line.title, _("First time"), *_values(first)]
        yield [str(RETURNING_TITLE), line.title, _("Returning"), *_values(returning)]


def _values(pair: Pair) -> list[int | str]:
    return [pair.registered.value, pair.attended.value]


PEOPLE_TITLE = _l("People across the programme")
RETURNING_TITLE = _l("First-time and returning participants")
