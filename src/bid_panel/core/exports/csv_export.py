"""CSV: one file per table, UTF-8 with a byte-order mark (so that spreadsheet programs
read names such as "Children's Trust" or "Café" correctly), RFC 4180 quoting, CRLF.

Numbers are written exactly (17.5, 23.718157181571815718...), never rounded and never in
scientific notation; `-method.csv` carries the notice, the generation time and the rules.

Text is user text (bidder names, reasons, guidance): a cell starting with `=`, `+`, `-`,
`@`, a tab or a carriage return would be run as a formula by a spreadsheet program that
opens the file (`=HYPERLINK(...)` as a bidder name; a reason starting "- " becomes a formula
error). Such a text cell is written with a leading single quote, as the OWASP guidance on
CSV injection says; numbers are never changed.
"""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime
from decimal import Decimal

from bid_panel.core.exports.data import ExportData, plain
from bid_panel.core.exports.tables import Cell, Table, build_tables


def cell_text(value: Cell) -> str:
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return plain(value)
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat()
    return str(value)


FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
"""What a spreadsheet program takes as the start of a formula (OWASP, CSV injection)."""


def inert_text(value: Cell) -> str:
    """A cell for the CSV: `cell_text`, with text that a spreadsheet program would run as a
    formula made inert by a leading single quote. Numbers (even negative ones) are left as
    they are: only text comes from users."""
    text = cell_text(value)
    if isinstance(value, str) and text.startswith(FORMULA_TRIGGERS):
        return "'" + text
    return text


def table_csv(table: Table) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n", quoting=csv.QUOTE_MINIMAL)
    writer.writerow([inert_text(c.header) for c in table.columns])
    for row in table.rows:
        writer.writerow([inert_text(v) for v in row])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def render(data: ExportData) -> dict[str, bytes]:
    return {f"{data.stem}-{t.name}.csv": table_csv(t) for t in build_tables(data)}
