"""A programme's commitments and figures as CSV or XLSX downloads."""

from datetime import date

from flask_babel import gettext as _

from eventhub.csv_export import csv_response, local_naive
from eventhub.followup.models import Commitment
from eventhub.followup.programme import answers
from eventhub.followup.programme.figures import ProgrammeFigures, figure_rows
from eventhub.xlsx_export import xlsx_response


def commitments_header() -> list[str]:
    return [
        _("Event"),
        _("Event date"),
        _("Owner"),
        _("Contact"),
        _("Commitment"),
        _("Due"),
        _("Status"),
        _("Overdue"),
    ]


def commitments_rows(items: list[Commitment], today: date) -> list[list]:
    return [
        [
            c.event.title,
            # The day the event took place where it took place, not in UTC.
            local_naive(c.event.starts_at, c.event.timezone).date(),
            c.organisation.name,
            c.contact.name if c.contact else "",
            c.description,
            c.due_on,
            str(c.status_label),
            _("yes") if c.is_overdue(today) else "",
        ]
        for c in items
    ]


def commitments_response(name: str, items: list[Commitment], today: date, xlsx: bool):
    rows = commitments_rows(items, today)
    if xlsx:
        return xlsx_response(
            f"{name}.xlsx",
            _("Commitments"),
            commitments_header(),
            rows,
            widths=(36, 12, 30, 24, 50, 12, 14, 9),
        )
    return csv_response(f"{name}.csv", commitments_header(), rows)


def figures_response(name: str, figures: ProgrammeFigures, xlsx: bool):
    header = [_("Chart"), _("Row"), _("Series"), _("Value")]
    if xlsx:
        return xlsx_response(
            f"{name}.xlsx", _("Figures"), header, figure_rows(figures), widths=(30, 36, 24, 10)
        )
    return csv_response(f"{name}.csv", header, figure_rows(figures))


def answers_response(name: str, report: answers.Report, xlsx: bool):
    """Figures by answer and people across events, small counts always hidden: a download
    leaves the organisers' hands (``report`` must not be the exact view)."""
    if report.exact:
        raise ValueError("downloads carry shareable figures only")
    header = answers.export_header()
    rows = answers.export_rows(report)
    if xlsx:
        return xlsx_response(
            f"{name}.xlsx", _("Figures by answer"), header, rows, widths=(36, 36, 30, 12, 12)
        )
    return csv_response(f"{name}.csv", header, rows)
