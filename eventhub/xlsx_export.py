"""XLSX downloads: what Excel opens the same way whatever its list separator or locale.

Dates are real date cells holding the wall-clock time in the event's zone (Excel has no time
zones), the header row is frozen and filtered, and text goes through the CSV's ``neutralise`` so
"=cmd" stays text here too (openpyxl would otherwise store any string starting with "=" as a
formula). The workbook is written in openpyxl's write-only mode, row by row, so a long list does
not build a tree of cell objects first.
"""

import io
import tempfile
from collections.abc import Iterable, Iterator, Sequence
from datetime import date, datetime, time
from typing import IO

from flask import Response, stream_with_context
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from eventhub.csv_export import local_naive, neutralise

XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DATETIME_FORMAT = "yyyy-mm-dd hh:mm"
DATE_FORMAT = "yyyy-mm-dd"
TIME_FORMAT = "hh:mm"
CHUNK_BYTES = 64 * 1024
# Excel refuses sheet names longer than 31 characters or holding any of these.
_SHEET_NAME_FORBIDDEN = str.maketrans(dict.fromkeys("[]:*?/\\", " "))


def _cell(sheet, value, tz: str | None) -> WriteOnlyCell:
    if isinstance(value, datetime):
        if value.tzinfo is not None:
            value = local_naive(value, tz) if tz else value.replace(tzinfo=None)
        cell = WriteOnlyCell(sheet, value=value)
        cell.number_format = DATETIME_FORMAT
    elif isinstance(value, time):
        cell = WriteOnlyCell(sheet, value=value)
        cell.number_format = TIME_FORMAT
    elif isinstance(value, date):
        cell = WriteOnlyCell(sheet, value=value)
        cell.number_format = DATE_FORMAT
    elif isinstance(value, bool | int | float):
        cell = WriteOnlyCell(sheet, value=value)
    else:
        cell = WriteOnlyCell(sheet, value=neutralise(value) if value is not None else None)
        cell.data_type = "s"
    return cell


def _write_workbook(
    file: IO[bytes],
    title: str,
    header: Sequence[str],
    rows: Iterable[Sequence],
    tz: str | None,
    widths: Sequence[int],
) -> None:
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title.translate(_SHEET_NAME_FORBIDDEN)[:31] or "Sheet")
    # Write-only sheets take panes, filter and widths before the first row is written.
    sheet.freeze_panes = "A2"
    for index, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width
    bold = Font(bold=True)
    heading = []
    for name in header:
        cell = WriteOnlyCell(sheet, value=neutralise(name))
        cell.data_type = "s"
        cell.font = bold
        heading.append(cell)
    sheet.append(heading)
    count = 0
    for row in rows:
        sheet.append([_cell(sheet, value, tz) for value in row])
        count += 1
    last = get_column_letter(max(len(header), 1))
    sheet.auto_filter.ref = f"A1:{last}{count + 1}"
    workbook.save(file)


def xlsx_bytes(
    title: str,
    header: Sequence[str],
    rows: Iterable[Sequence],
    tz: str | None = None,
    widths: Sequence[int] = (),
) -> bytes:
    buffer = io.BytesIO()
    _write_workbook(buffer, title, header, rows, tz, widths)
    return buffer.getvalue()


def xlsx_chunks(
    title: str,
    header: Sequence[str],
    rows: Iterable[Sequence],
    tz: str | None = None,
    widths: Sequence[int] = (),
) -> Iterator[bytes]:
    """The same file, built in a temporary file and read back in pieces: a ZIP's directory
    comes last, so nothing can be sent before the last row, but the memory held stays the
    same however long the list (openpyxl's write-only sheet spools its rows to disk too)."""
    with tempfile.TemporaryFile() as file:
        _write_workbook(file, title, header, rows, tz, widths)
        file.seek(0)
        while chunk := file.read(CHUNK_BYTES):
            yield chunk


def _download_headers(filename: str) -> dict[str, str]:
    return {"Content-Disposition": f'attachment; filename="{filename}"'}


def xlsx_response(
    filename: str,
    title: str,
    header: Sequence[str],
    rows: Iterable[Sequence],
    tz: str | None = None,
    widths: Sequence[int] = (),
) -> Response:
    return Response(
        xlsx_bytes(title, header, rows, tz, widths),
        mimetype=XLSX_MIMETYPE,
        headers=_download_headers(filename),
    )


def xlsx_stream_response(
    filename: str,
    title: str,
    header: Sequence[str],
    rows: Iterable[Sequence],
    tz: str | None = None,
    widths: Sequence[int] = (),
) -> Response:
    """Streamed: the rows are read after the view returns, in its request context."""
    return Response(
        stream_with_context(xlsx_chunks(title, header, rows, tz, widths)),
        mimetype=XLSX_MIMETYPE,
        headers=_download_headers(filename),
    )
