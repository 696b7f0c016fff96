"""CSV: one file per table, UTF-8 with a byte-order mark (so that spreadsheet programs
read names such as "Children's Trust" or "Café" correctly), RFC 4180 quoting, CRLF.

Numbers are written exactly (17.5, 23.718157181571815718...), never rounded and never in
scientific notation; `-method.csv` carries the notice, the generation time and the rules.
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


def table_csv(table: Table) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n", quoting=csv.QUOTE_MINIMAL)
    writer.writerow([c.header for c in table.columns])
    for row in table.rows:
        writer.writerow([cell_text(v) for v in row])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def render(data: ExportData) -> dict[str, bytes]:
    return {f"{data.stem}-{t.name}.csv": table_csv(t) for t in build_tables(data)}
