"""XLSX downloads: what Excel opens the same way whatever its list separator or locale.

Dates are real date cells holding the wall-clock time in the event's zone (Excel has no time
zones), the header row is frozen and filtered, and text is neutralised as in the CSV so
"=cmd" stays text here too (openpyxl would otherwise store any string starting with "=" as a
formula). The workbook's XML is written here directly, row by row into the ZIP as it is sent,
so a long list builds no cell objects and the memory held does not grow with it; openpyxl reads
the files back in the tests, as Excel would.
"""

import io
import math
import zipfile
from collections.abc import Iterable, Iterator, Sequence
from datetime import date, datetime, time

from flask import Response, stream_with_context
from openpyxl.utils import get_column_letter
from openpyxl.utils.datetime import to_excel

from eventhub.csv_export import FORMULA_STARTS, local_naive

XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DATETIME_FORMAT = "yyyy-mm-dd hh:mm"
DATE_FORMAT = "yyyy-mm-dd"
TIME_FORMAT = "hh:mm"
CHUNK_BYTES = 64 * 1024
# Excel refuses sheet names longer than 31 characters or holding any of these.
_SHEET_NAME_FORBIDDEN = str.maketrans(dict.fromkeys("[]:*?/\\", " "))
# Control characters XML 1.0 cannot hold (openpyxl refused them with an error): dropped.
_XML_ILLEGAL = dict.fromkeys([*range(0x00, 0x09), 0x0B, 0x0C, *range(0x0E, 0x20)])

# Rows are handed to the ZIP in batches of about this many cells.
_BATCH_PARTS = 2000

_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_RELS = "http://schemas.openxmlformats.org/package/2006/relationships"
_DOC_RELS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_HEAD = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'

_CONTENT_TYPES = (
    _HEAD + '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
    'relationships+xml"/><Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-'
    'officedocument.spreadsheetml.sheet.main+xml"/>'
    '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.'
    'openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
    '<Override PartName="/xl/styles.xml" ContentType="application/vnd.openxmlformats-'
    'officedocument.spreadsheetml.styles+xml"/></Types>'
)
_ROOT_RELS = (
    _HEAD + f'<Relationships xmlns="{_RELS}"><Relationship Id="rId1" '
    f'Type="{_DOC_RELS}/officeDocument" Target="xl/workbook.xml"/></Relationships>'
)
_WORKBOOK_RELS = (
    _HEAD + f'<Relationships xmlns="{_RELS}">'
    f'<Relationship Id="rId1" Type="{_DOC_RELS}/worksheet" Target="worksheets/sheet1.xml"/>'
    f'<Relationship Id="rId2" Type="{_DOC_RELS}/styles" Target="styles.xml"/></Relationships>'
)
# Cell styles (the ``s`` of a cell): 0 plain, 1 the bold header, then the three formats.
_BOLD, _DATETIME, _DATE, _TIME = 1, 2, 3, 4
_STYLES = (
    _HEAD + f'<styleSheet xmlns="{_MAIN}"><numFmts count="3">'
    f'<numFmt numFmtId="164" formatCode="{DATETIME_FORMAT}"/>'
    f'<numFmt numFmtId="165" formatCode="{DATE_FORMAT}"/>'
    f'<numFmt numFmtId="166" formatCode="{TIME_FORMAT}"/></numFmts>'
    '<fonts count="2"><font><sz val="11"/><name val="Calibri"/><family val="2"/></font>'
    '<font><b/><sz val="11"/><name val="Calibri"/><family val="2"/></font></fonts>'
    '<fills count="2"><fill><patternFill patternType="none"/></fill>'
    '<fill><patternFill patternType="gray125"/></fill></fills>'
    '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
    '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/>'
    '</cellStyleXfs><cellXfs count="5">'
    '<xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
    '<xf numFmtId="0" fontId="1" fillId="0" borderId="0" xfId="0" applyFont="1"/>'
    '<xf numFmtId="164" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
    '<xf numFmtId="165" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
    '<xf numFmtId="166" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
    '</cellXfs><cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/>'
    "</cellStyles></styleSheet>"
)


def _xml_text(text: str) -> str:
    """Text escaped for an element (the control characters XML cannot hold are dropped from
    each batch of rows as a whole, see ``xlsx_chunks``)."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _xml_attribute(text: str) -> str:
    return _xml_text(text.translate(_XML_ILLEGAL)).replace('"', "&quot;")


def _text_cell(ref: str, text: str, style: str = "") -> str:
    """A text cell, neutralised so that it is never read as a formula."""
    if not text:
        return f'<c r="{ref}"{style} t="inlineStr"/>'
    if text.startswith(FORMULA_STARTS):
        text = "'" + text
    body = _xml_text(text)
    return f'<c r="{ref}"{style} t="inlineStr"><is><t xml:space="preserve">{body}</t></is></c>'


def _cell(ref: str, value, tz: str | None) -> str:
    """One cell's XML: text, a number, or a date cell holding the wall-clock time in the
    event's zone."""
    if value.__class__ is str:
        return _text_cell(ref, value)
    if value is None:
        return ""
    if isinstance(value, datetime):
        if value.tzinfo is not None:
            value = local_naive(value, tz) if tz else value.replace(tzinfo=None)
        return f'<c r="{ref}" s="{_DATETIME}"><v>{to_excel(value)}</v></c>'
    if isinstance(value, time):
        return f'<c r="{ref}" s="{_TIME}"><v>{to_excel(value.replace(tzinfo=None))}</v></c>'
    if isinstance(value, date):
        return f'<c r="{ref}" s="{_DATE}"><v>{to_excel(value)}</v></c>'
    if isinstance(value, bool):
        return f'<c r="{ref}" t="b"><v>{int(value)}</v></c>'
    if isinstance(value, int) or (isinstance(value, float) and math.isfinite(value)):
        return f'<c r="{ref}"><v>{value!r}</v></c>'
    return _text_cell(ref, str(value))


def _sheet_opening(widths: Sequence[int]) -> str:
    """The sheet up to its rows: the header row frozen, the columns' widths."""
    cols = "".join(
        f'<col min="{index}" max="{index}" width="{width}" customWidth="1"/>'
        for index, width in enumerate(widths, start=1)
    )
    return (
        _HEAD + f'<worksheet xmlns="{_MAIN}" xmlns:r="{_DOC_RELS}"><sheetViews>'
        '<sheetView workbookViewId="0"><pane ySplit="1" topLeftCell="A2" activePane="bottomLeft"'
        ' state="frozen"/><selection pane="bottomLeft" activeCell="A2" sqref="A2"/></sheetView>'
        '</sheetViews><sheetFormatPr defaultRowHeight="15"/>'
        + (f"<cols>{cols}</cols>" if cols else "")
        + "<sheetData>"
    )


def _workbook(sheet_name: str, last_column: str, last_row: int) -> str:
    """The workbook part, written last: the header's filter spans every row written."""
    quoted = "'" + sheet_name.replace("'", "''") + "'"
    return (
        _HEAD + f'<workbook xmlns="{_MAIN}" xmlns:r="{_DOC_RELS}"><bookViews><workbookView/>'
        f'</bookViews><sheets><sheet name="{_xml_attribute(sheet_name)}" sheetId="1" r:id="rId1"/>'
        '</sheets><definedNames><definedName name="_xlnm._FilterDatabase" localSheetId="0"'
        f' hidden="1">{_xml_text(quoted)}!$A$1:${last_column}${last_row}</definedName>'
        "</definedNames></workbook>"
    )


class _Pipe(io.RawIOBase):
    """Where the ZIP is written: it keeps what was written until it is taken, so the file
    goes out in pieces as its rows are written (the ZIP writes its sizes after each part,
    as a stream it cannot seek back into allows)."""

    def __init__(self) -> None:
        self._parts: list[bytes] = []
        self.size = 0

    def writable(self) -> bool:
        return True

    def write(self, data) -> int:
        self._parts.append(bytes(data))
        self.size += len(data)
        return len(data)

    def take(self) -> bytes:
        data = b"".join(self._parts)
        self._parts.clear()
        self.size = 0
        return data


def xlsx_chunks(
    title: str,
    header: Sequence[str],
    rows: Iterable[Sequence],
    tz: str | None = None,
    widths: Sequence[int] = (),
) -> Iterator[bytes]:
    """The workbook in pieces of about ``CHUNK_BYTES``, the first ones sent while later rows
    are still being read: the memory held stays the same however long the list.

    The XML is written here, not through openpyxl's objects: one cell object per value and
    its XML writer were most of a download's time (bench/RESULTS.md). It is the same
    workbook as openpyxl wrote: text cells inline, dates as numbers with a date format, the
    header bold, frozen and filtered."""
    pipe = _Pipe()
    sheet_name = title.translate(_SHEET_NAME_FORBIDDEN)[:31] or "Sheet"
    letters = [get_column_letter(index) for index in range(1, max(len(header), 1) + 1)]
    bold = f' s="{_BOLD}"'
    with zipfile.ZipFile(pipe, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", _CONTENT_TYPES)
        archive.writestr("_rels/.rels", _ROOT_RELS)
        archive.writestr("xl/_rels/workbook.xml.rels", _WORKBOOK_RELS)
        archive.writestr("xl/styles.xml", _STYLES)
        count = 0
        with archive.open("xl/worksheets/sheet1.xml", "w") as sheet:
            heading = "".join(
                _text_cell(f"{letter}1", str(name), bold)
                for letter, name in zip(letters, header, strict=False)
            )
            sheet.write(f'{_sheet_opening(widths)}<row r="1">{heading}</row>'.encode())
            batch: list[str] = []
            for count, row in enumerate(rows, start=1):
                number = count + 1
                while len(letters) < len(row):
                    letters.append(get_column_letter(len(letters) + 1))
                batch.append(f'<row r="{number}">')
                batch += [
                    _cell(f"{letter}{number}", value, tz)
                    for letter, value in zip(letters, row, strict=False)
                ]
                batch.append("</row>")
                if len(batch) >= _BATCH_PARTS:
                    sheet.write("".join(batch).translate(_XML_ILLEGAL).encode())
                    batch.clear()
                    if pipe.size >= CHUNK_BYTES:
                        yield pipe.take()
            sheet.write("".join(batch).translate(_XML_ILLEGAL).encode())
            last = letters[max(len(header), 1) - 1]
            sheet.write(
                f'</sheetData><autoFilter ref="A1:{last}{count + 1}"/></worksheet>'.encode()
            )
        archive.writestr("xl/workbook.xml", _workbook(sheet_name, last, count + 1))
    yield pipe.take()


def xlsx_bytes(
    title: str,
    header: Sequence[str],
    rows: Iterable[Sequence],
    tz: str | None = None,
    widths: Sequence[int] = (),
) -> bytes:
    return b"".join(xlsx_chunks(title, header, rows, tz, widths))


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
