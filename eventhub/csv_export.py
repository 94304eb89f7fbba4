"""CSV downloads that spreadsheets open safely: UTF-8 with BOM, formulas neutralised.

Rows hold plain values; instants (aware datetimes) are written as ISO 8601 in the event's zone,
dates and times as ISO too, so "1/12/26" never has to be guessed at. Excel users get the XLSX
download (``eventhub.xlsx_export``), which has real date cells whatever the list separator.
"""

import csv
import io
from collections.abc import Iterable, Iterator, Sequence
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from flask import Response, stream_with_context

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


def csv_chunks(
    header: Sequence[str], rows: Iterable[Sequence], tz: str | None = None, batch: int = 100
) -> Iterator[str]:
    """The file in pieces of ``batch`` rows: the BOM and header first, then rows as they come."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    buffer.write("\ufeff")
    writer.writerow([neutralise(cell) for cell in header])
    for count, row in enumerate(rows, start=1):
        writer.writerow([csv_cell(cell, tz) for cell in row])
        if count % batch == 0:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


def csv_text(header: Sequence[str], rows: Iterable[Sequence], tz: str | None = None) -> str:
    return "".join(csv_chunks(header, rows, tz))


def _download_headers(filename: str) -> dict[str, str]:
    return {
        "Content-Disposition": f'attachment; filename="{filename}"',
        "Content-Type": "text/csv; charset=utf-8",
    }


def csv_response(
    filename: str, header: Sequence[str], rows: Iterable[Sequence], tz: str | None = None
) -> Response:
    return Response(csv_text(header, rows, tz), headers=_download_headers(filename))


def csv_stream_response(
    filename: str, header: Sequence[str], rows: Iterable[Sequence], tz: str | None = None
) -> Response:
    """The same file, sent while the rows are read: memory does not grow with the list. The
    rows are read after the view returns, in its request context (the database session and
    the language stay the view's)."""
    chunks = (chunk.encode("utf-8") for chunk in csv_chunks(header, rows, tz))
    return Response(stream_with_context(chunks), headers=_download_headers(filename))
