"""The programme view: figures across a series of events, as tables and as server-drawn SVG.

Each chart is computed as plain numbers first (the same numbers feed the table beside it and
the CSV), then laid out as rectangles and labels for the template; no script draws anything.
"""

import math
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date

from flask_babel import format_date
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from eventhub.events.models import Event, EventStatus, Programme
from eventhub.extensions import db
from eventhub.followup.models import ACTIVE_COMMITMENT, Commitment, CommitmentStatus
from eventhub.followup.programme.attendance import programme_attendance
from eventhub.organisations.models import Organisation

TOP_ORGANISATIONS = 15


@dataclass
class Series:
    key: str
    label: object
    css: str


@dataclass
class Row:
    label: str
    values: dict[str, int]

    @property
    def total(self) -> int:
        return sum(self.values.values())


@dataclass
class Rect:
    x: float
    y: float
    width: float
    height: float
    css: str
    title: str


@dataclass
class Label:
    x: float
    y: float
    text: str
    anchor: str = "start"
    css: str = ""


@dataclass
class Chart:
    key: str
    title: object
    description: object
    series: list[Series]
    rows: list[Row]
    stacked: bool = True
    width: int = 0
    height: int = 0
    rects: list[Rect] = field(default_factory=list)
    labels: list[Label] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not any(row.total for row in self.rows)


# --- the numbers -------------------------------------------------------------------------------


def _period_start(day: date, months: int) -> date:
    return date(day.year, (day.month - 1) // months * months + 1, 1)


def _periods(first: date, last: date, months: int) -> list[date]:
    periods, current = [], first
    while current <= last:
        periods.append(current)
        index = current.month - 1 + months
        current = date(current.year + index // 12, index % 12 + 1, 1)
    return periods


def _period_label(start: date, months: int) -> str:
    if months == 12:
        return str(start.year)
    if months == 3:
        return format_date(start, "QQQ yyyy")
    return format_date(start, "MMM yyyy")


def events_over_time(events: list[Event]) -> Chart:
    """Events per month; per quarter or per year when the programme spans longer."""
    chart = Chart(
        "events",
        _l("Events over time"),
        _l("Events of the programme per period; cancelled ones apart."),
        [Series("held", _l("Events"), "s1"), Series("cancelled", _l("Cancelled"), "s4")],
        [],
    )
    if not events:
        return chart
    days = [event.starts_at.date() for event in events]
    span = (max(days).year - min(days).year) * 12 + max(days).month - min(days).month + 1
    months = 1 if span <= 24 else 3 if span <= 48 else 12
    counts: dict[date, Counter] = defaultdict(Counter)
    for event, day in zip(events, days, strict=True):
        cancelled = event.status == EventStatus.CANCELLED
        counts[_period_start(day, months)]["cancelled" if cancelled else "held"] += 1
    for start in _periods(min(counts), max(counts), months):
        chart.rows.append(
            Row(
                _period_label(start, months),
                {"held": counts[start]["held"], "cancelled": counts[start]["cancelled"]},
            )
        )
    return chart


def participation(programme: Programme) -> Chart:
    table = programme_attendance(programme)
    rows = []
    for row in table.rows:
        cells = row.cells.values()
        if not any(cell.has_people for cell in cells):
            continue  # a host with nobody invited or registered: nothing to draw
        rows.append(
            Row(
                row.organisation.name,
                {
                    "invited": sum(c.invited for c in cells),
                    "registered": sum(c.registered for c in cells),
                    "attended": sum(c.attended for c in cells),
                },
            )
        )
    rows.sort(key=lambda r: (-r.values["attended"], -r.values["registered"], r.label.casefold()))
    return Chart(
        "participation",
        _l("People per organisation"),
        _l("People invited, registered and checked in, over all the programme's events."),
        [
            Series("invited", _l("Invited"), "s3"),
            Series("registered", _l("Registered"), "s2"),
            Series("attended", _l("Came"), "s1"),
        ],
        rows[:TOP_ORGANISATIONS],
        stacked=False,
    )


def commitments_by_organisation(programme: Programme) -> Chart:
    stmt = (
        select(Organisation.name, Commitment.status, func.count())
        .join(Commitment, Commitment.organisation_id == Organisation.id)
        .join(Event, Commitment.event_id == Event.id)
        .where(Event.programme_id == programme.id)
        .group_by(Organisation.name, Commitment.status)
    )
    by_org: dict[str, dict[CommitmentStatus, int]] = defaultdict(
        lambda: dict.fromkeys(CommitmentStatus, 0)
    )
    for name, status, count in db.session.execute(stmt):
        by_org[name][CommitmentStatus(status)] = count
    rows = [
        Row(name, {status.value: count for status, count in counts.items()})
        for name, counts in by_org.items()
    ]
    rows.sort(key=lambda r: (-r.total, r.label.casefold()))
    css = {"open": "s3", "in_progress": "s2", "done": "s1", "dropped": "s4"}
    return Chart(
        "commitments",
        _l("Commitments by organisation and status"),
        _l("What each organisation took on at the programme's tables, and where it stands."),
        [Series(status.value, status.label, css[status.value]) for status in CommitmentStatus],
        rows[:TOP_ORGANISATIONS],
    )


def overdue_count(programme: Programme, today: date) -> int:
    return db.session.execute(
        select(func.count(Commitment.id))
        .join(Event, Commitment.event_id == Event.id)
        .where(
            Event.programme_id == programme.id,
            Commitment.status.in_(ACTIVE_COMMITMENT),
            Commitment.due_on < today,
        )
    ).scalar_one()


# --- the drawing -------------------------------------------------------------------------------

BAR = 14  # thickness of one bar, in SVG units
GAP = 8
LABEL_WIDTH = 230
PLOT_WIDTH = 360


def _shorten(text: str, limit: int = 34) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def layout_horizontal(chart: Chart) -> Chart:
    """One line per row: stacked segments, or one thin bar per series side by side."""
    peak = max(
        (row.total if chart.stacked else max(row.values.values(), default=0)) for row in chart.rows
    )
    scale = PLOT_WIDTH / peak if peak else 0
    per_row = BAR if chart.stacked else BAR // 2 * len(chart.series)
    y: float = GAP
    for row in chart.rows:
        x: float = LABEL_WIDTH
        chart.labels.append(Label(LABEL_WIDTH - 6, y + per_row / 2 + 4, _shorten(row.label), "end"))
        for index, series in enumerate(chart.series):
            value = row.values.get(series.key, 0)
            width = value * scale
            title = f"{row.label}: {series.label} {value}"
            if chart.stacked:
                if value:
                    chart.rects.append(Rect(x, y, width, BAR, series.css, title))
                x += width
            else:
                bar_y = y + index * (BAR // 2)
                chart.rects.append(
                    Rect(LABEL_WIDTH, bar_y, max(width, 0.5), BAR // 2, series.css, title)
                )
        total = row.total if chart.stacked else row.values.get(chart.series[-1].key, 0)
        end = x if chart.stacked else LABEL_WIDTH + max(row.values.values(), default=0) * scale
        chart.labels.append(Label(end + 4, y + per_row / 2 + 4, str(total), css="value"))
        y += per_row + GAP
    chart.width = LABEL_WIDTH + PLOT_WIDTH + 40
    chart.height = int(y)
    return chart


def layout_vertical(chart: Chart, plot_height: int = 140) -> Chart:
    """Columns over time, stacked by series, with a label every few months."""
    peak = max(row.total for row in chart.rows)
    scale = plot_height / peak if peak else 0
    # Columns wide enough for their labels when there are few; else a label every few columns.
    widest = max(len(row.label) for row in chart.rows) * 6.5 + 8
    step = max(22, min(widest, 64)) if len(chart.rows) <= 12 else 22
    every = max(1, math.ceil(widest / step))
    top = 16
    for index, row in enumerate(chart.rows):
        x = 30 + index * step
        y: float = top + plot_height
        for series in chart.series:
            value = row.values.get(series.key, 0)
            if value:
                height = value * scale
                y -= height
                title = f"{row.label}: {series.label} {value}"
                chart.rects.append(Rect(x, y, step - 6, height, series.css, title))
        if row.total:
            chart.labels.append(Label(x + (step - 6) / 2, y - 3, str(row.total), "middle", "value"))
        if index % every == 0:
            chart.labels.append(
                Label(x + (step - 6) / 2, top + plot_height + 14, row.label, "middle")
            )
    chart.width = int(40 + len(chart.rows) * step)
    chart.height = top + plot_height + 24
    return chart


@dataclass
class ProgrammeFigures:
    charts: list[Chart]
    overdue: int


def programme_figures(programme: Programme, events: list[Event], today: date) -> ProgrammeFigures:
    charts = [
        events_over_time(events),
        participation(programme),
        commitments_by_organisation(programme),
    ]
    for chart in charts:
        if chart.empty:
            continue
        (layout_vertical if chart.key == "events" else layout_horizontal)(chart)
    return ProgrammeFigures(charts, overdue_count(programme, today))


def figure_rows(figures: ProgrammeFigures):
    """The charts' numbers as CSV rows: chart, row, series, value."""
    for chart in figures.charts:
        for row in chart.rows:
            for series in chart.series:
                yield [
                    str(chart.title),
                    row.label,
                    str(series.label),
                    row.values.get(series.key, 0),
                ]
