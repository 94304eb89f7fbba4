"""CSV downloads that spreadsheets open safely: UTF-8 with BOM, formulas neutralised.

Rows hold plain values; instants (aware datetimes) are written as ISO 8601 in the event's zone,
dates and times as ISO too, so "1/12/26" never has to be guessed at. Excel users get the XLSX
download (``eventhub.xlsx_export``), which has real date cells whatever the list separator.
"""

import csv
import io
from collections.abc import Iterable, Sequence
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from flask import Response

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value) -> str:
    """A cell a spreadsheet will show as text, never run as a formula."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def local_naive(value: datetime, tz: str) -> datetime:
    """The wall-clock time in the event's zone, as spreadsheets (which know no zones) hold it."""
    return value.astimezone(ZoneInfo(tz)).replace(tzinfo=None)


def csv_cell(value, tz: str | None = None) -> str:
    if isinstance(value, datetime):
        if value.tzinfo is not None and tz:
            return value.astimezone(ZoneInfo(tz)).isoformat(timespec="minutes")
        return value.isoformat(sep=" ", timespec="minutes")
    if isinstance(value, time):
        return value.isoformat(timespec="minutes")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, bool | int | float):
        return str(value)
    return neutralise(value)


def csv_text(header: Sequence[str], rows: Iterable[Sequence], tz: str | None = None) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([neutralise(cell) for cell in header])
    writer.writerows([csv_cell(cell, tz) for cell in row] for row in rows)
    return "\ufeff" + buffer.getvalue()


def csv_response(
    filename: str, header: Sequence[str], rows: Iterable[Sequence], tz: str | None = None
) -> Response:
    return Response(
        csv_text(header, rows, tz),
        mimetype="text/csv",
        headers={
            "Content-Disposition": f'attachment; filename="{filename}"',
            "Content-Type": "text/csv; charset=utf-8",
        },
    )
