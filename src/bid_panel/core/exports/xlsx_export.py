"""XLSX (openpyxl): one sheet per table, a frozen header row and a filter on each.

Numbers are stored as numbers, with number formats that show the tender's decimal places
(so a spreadsheet program shows the figures of the results screen) while the cell keeps
the full value; times as dates; text is stored as text, always: openpyxl would store a
string starting with "=" as a live formula (a bidder named `=HYPERLINK(...)` would become
a link) and "#N/A" as an error value, so every text cell is marked a string, and one that a
spreadsheet program would take for a formula when edited also gets the quote prefix.
Every page printed carries the notice in its header. The bytes are reproducible: the
workbook's created/modified times and every zip entry's time are the export's
`generated_at`.
"""

from __future__ import annotations

import io
import textwrap
import zipfile
from datetime import UTC, datetime
from decimal import Decimal

from openpyxl import Workbook
from openpyxl.cell.cell import Cell
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet
from openpyxl.writer.excel import ExcelWriter

from bid_panel.core.exports.csv_export import FORMULA_TRIGGERS, cell_text
from bid_panel.core.exports.data import NOTICE, ExportData
from bid_panel.core.exports.tables import Column, Table, build_tables

HEADER_FONT = Font(bold=True)
HEADER_FILL = PatternFill("solid", start_color="FFDDE4EE", end_color="FFDDE4EE")
HEADER_BORDER = Border(bottom=Side(style="thin", color="FF555555"))
WRAP_TOP = Alignment(wrap_text=True, vertical="top")
TOP = Alignment(vertical="top")

LONG_TEXT_WIDTH = 70
MAX_WIDTH = 45


def number_formats(data: ExportData) -> dict[str, str]:
    places = data.tender.rules.rounding.decimal_places
    points = "0" + ("." + "0" * places if places else "")
    return {
        "points": points,
        "money": "#,##0.00##",
        "int": "0",
        "score": "General",
        "weight": "General",
        "datetime": "yyyy-mm-dd hh:mm:ss",
    }


def _shown(value: object, column: Column, data: ExportData) -> str:
    """The cell as a spreadsheet program shows it (for the column width)."""
    if isinstance(value, Decimal) and column.kind == "points":
        return data.shown(value)
    if isinstance(value, Decimal) and column.kind == "money":
        return f"{value:,.2f}"
    if isinstance(value, datetime):
        return "2026-01-01 00:00:00"
    return cell_text(value)  # type: ignore[arg-type]


def _width(column: Column, values: list[str]) -> float:
    longest = max([len(column.header) // 2 + 1, *(len(v) for v in values), 6])
    if column.kind == "long_text":
        return min(longest + 2, LONG_TEXT_WIDTH)
    return min(longest + 2, MAX_WIDTH)


def _lines(text: str, width: float) -> int:
    """How many lines `text` wraps to in a column `width` characters wide (roughly)."""
    usable = max(int(width * 0.9) - 1, 4)
    return sum(max(1, len(textwrap.wrap(part, usable))) for part in text.split("\n"))


def keep_text(cell: Cell) -> None:
    """Store a text cell as text: never a formula ("=...") nor an error value ("#N/A")."""
    if isinstance(cell.value, str):
        cell.data_type = "s"
        if cell.value.startswith(FORMULA_TRIGGERS):
            cell.quotePrefix = True  # stays text when someone edits the cell


def _fill_sheet(ws: Worksheet, table: Table, data: ExportData) -> None:
    formats = number_formats(data)
    ws.append([c.header for c in table.columns])
    for cell in ws[1]:
        cell.font = HEADER_FONT
        cell.fill = HEADER_FILL
        cell.border = HEADER_BORDER
        cell.alignment = WRAP_TOP
    for row in table.rows:
        ws.append(
            [v.astimezone(UTC).replace(tzinfo=None) if isinstance(v, datetime) else v for v in row]
        )
    for cells in ws.iter_rows():
        for cell in cells:
            keep_text(cell)
    for index, column in enumerate(table.columns, start=1):
        letter = get_column_letter(index)
        texts = [_shown(row[index - 1], column, data) for row in table.rows]
        ws.column_dimensions[letter].width = _width(column, texts)
        alignment = WRAP_TOP if column.kind == "long_text" else TOP
        for row_index, (cell,) in enumerate(
            ws.iter_rows(min_row=2, max_row=len(table.rows) + 1, min_col=index, max_col=index)
        ):
            cell.alignment = alignment
            kind = table.cell_kinds.get((row_index, index - 1), column.kind)
            number_format = formats.get(kind)
            if number_format and not isinstance(cell.value, str):
                cell.number_format = number_format
    # Row heights set here, so that every spreadsheet program (and a PDF of it) shows
    # wrapped headers and reasons whole: 15 points a line.
    widths = [
        ws.column_dimensions[get_column_letter(i)].width for i in range(1, len(table.columns) + 1)
    ]
    ws.row_dimensions[1].height = 15 * max(
        _lines(c.header, w) for c, w in zip(table.columns, widths, strict=True)
    )
    for number, row in enumerate(table.rows, start=2):
        lines = [
            _lines(cell_text(v), w)
            for v, c, w in zip(row, table.columns, widths, strict=True)
            if c.kind == "long_text" and isinstance(v, str)
        ]
        if lines and max(lines) > 1:
            ws.row_dimensions[number].height = 15 * max(lines)
    ws.freeze_panes = "A2"
    last = get_column_letter(len(table.columns))
    ws.auto_filter.ref = f"A1:{last}{len(table.rows) + 1}"
    ws.print_title_rows = "1:1"
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.oddHeader.center.text = NOTICE
    ws.oddHeader.center.size = 9
    ws.oddFooter.left.text = f"{data.tender.reference}: {table.title}"
    ws.oddFooter.left.size = 8
    ws.oddFooter.right.text = "Page &P of &N"
    ws.oddFooter.right.size = 8


def workbook(data: ExportData) -> Workbook:
    wb = Workbook()
    wb.remove(wb.active)
    for table in build_tables(data):
        ws = wb.create_sheet(table.name.capitalize())
        _fill_sheet(ws, table, data)
    fixed = data.generated_at.astimezone(UTC).replace(tzinfo=None)
    props = wb.properties
    props.creator = "bid_panel"
    props.lastModifiedBy = "bid_panel"
    props.title = f"{data.tender.reference}: evaluation results"
    props.subject = data.tender.title
    props.description = NOTICE
    props.created = fixed
    props.modified = fixed
    return wb


def _fixed_zip(raw: bytes, moment: datetime) -> bytes:
    """The same archive with every entry dated `moment` (zip times are local wall-clock
    times of the writer otherwise, so two exports would differ in bytes)."""
    stamp = moment.astimezone(UTC).timetuple()[:6]
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(raw)) as source,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target,
    ):
        for info in source.infolist():
            entry = zipfile.ZipInfo(info.filename, date_time=stamp)
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry.external_attr = 0o644 << 16
            target.writestr(entry, source.read(info.filename))
    return out.getvalue()


def xlsx_bytes(data: ExportData) -> bytes:
    buffer = io.BytesIO()
    # Not openpyxl's save_workbook: it stamps `modified` with the current time.
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, allowZip64=True) as archive:
        ExcelWriter(workbook(data), archive).write_data()
    return _fixed_zip(buffer.getvalue(), data.generated_at)


def render(data: ExportData) -> dict[str, bytes]:
    return {f"{data.stem}-evaluation.xlsx": xlsx_bytes(data)}
