"""The appendix tables as one Excel workbook (``evidence.xlsx``): the only user of XlsxWriter.

XlsxWriter rather than openpyxl for writing: it writes faster (it streams each sheet's XML instead of
holding a cell object per value), and its output is stable for a given version, so the workbook can
be made byte-reproducible; openpyxl reads the workbook back in the tests, a second and independent
client. Every value is written as what it is (text as text, counts as numbers): a quote that starts
with ``=`` or ``http`` stays text, never a formula or a live link.
"""

from __future__ import annotations

import functools
import io
import re

import xlsxwriter
from xlsxwriter.utility import xl_col_to_name

from crm_review.ooxml import FIXED_MOMENT, reproducible
from crm_review.tables import Cell, Table

SHEET_TITLES = {"cmocs": "CMOCs", "sources": "Sources", "principles": "Principles"}
EXCEL_CELL_LIMIT = 32_767
"""Excel holds at most this many characters in one cell."""


class CellTooLong(ValueError):
    """A text longer than Excel can hold in a cell; raised rather than cutting what someone wrote."""


def workbook_bytes(tables: tuple[Table, ...], title: str) -> bytes:
    """One sheet per table: header row frozen and filtered, columns as wide as their text (up to a limit).

    XlsxWriter writes the workbook: styles, the header rows, column widths, frozen panes, filters, print
    titles and properties, and one cell in the last row and column of each sheet so that its extent is
    right. The data rows are then written as XML text in place of that last row: XlsxWriter's per-cell
    bookkeeping made a review of 6,000 CMOCs several times slower than its Markdown, HTML and JSON.
    """
    buffer = io.BytesIO()
    workbook = xlsxwriter.Workbook(buffer, {"in_memory": True})
    workbook.set_properties({"title": title, "created": FIXED_MOMENT.replace(tzinfo=None)})
    header = workbook.add_format({"bold": True, "text_wrap": True, "valign": "top", "bg_color": "#E8EEF4"})
    wrapped = workbook.add_format({"text_wrap": True, "valign": "top"})
    rewrites = {}
    for number, table in enumerate(tables, start=1):
        _check_lengths(table)
        _sheet(workbook, table, header, wrapped)
        if table.rows:
            rewrites[f"xl/worksheets/sheet{number}.xml"] = functools.partial(_put_rows, table=table)
    workbook.close()
    return reproducible(buffer.getvalue(), rewrites)


def _check_lengths(table: Table) -> None:
    for col, values in enumerate(zip(*table.rows, strict=True)):
        texts = [value for value in values if value.__class__ is str]
        if texts and max(map(len, texts)) > EXCEL_CELL_LIMIT:
            row_number, value = next(
                (number, value)
                for number, value in enumerate(values, start=2)
                if isinstance(value, str) and len(value) > EXCEL_CELL_LIMIT
            )
            raise CellTooLong(
                f"{table.name} row {row_number}, {table.headers[col]}: {len(value)} characters, "
                f"more than the {EXCEL_CELL_LIMIT} Excel holds in a cell"
            )


def _sheet(
    workbook: xlsxwriter.Workbook,
    table: Table,
    header: xlsxwriter.format.Format,
    wrapped: xlsxwriter.format.Format,
) -> None:
    sheet = workbook.add_worksheet(SHEET_TITLES.get(table.name, table.name))
    for col, text in enumerate(table.headers):
        sheet.write_string(0, col, text, header)
    widths = [
        max(len(column.header), _widest_line(values))
        for column, values in zip(table.columns, zip(*table.rows, strict=True) if table.rows else (), strict=False)
    ]
    widths += [len(column.header) for column in table.columns[len(widths) :]]
    if table.rows:
        # Stands in for the data rows (see workbook_bytes), so the sheet's extent and styles are XlsxWriter's.
        sheet.write_number(len(table.rows), len(table.columns) - 1, 0, wrapped)
    for col, column in enumerate(table.columns):
        sheet.set_column(col, col, min(widths[col], column.max_width) + 2)
    sheet.freeze_panes(1, 0)
    sheet.autofilter(0, 0, max(len(table.rows), 1), len(table.columns) - 1)
    sheet.repeat_rows(0)  # the header on every printed page too
    sheet.set_landscape()


def _widest_line(values: tuple[Cell, ...]) -> int:
    """The longest line among a column's values, in characters (counted in one pass over their joined text)."""
    texts = [value if value.__class__ is str else str(value) for value in values if value is not None]
    if not texts:
        return 0
    joined = "\n".join(texts)
    return max(map(len, joined.split("\n"))) if "\n" in joined else max(map(len, texts))


_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _put_rows(sheet_xml: bytes, table: Table) -> bytes:
    """The sheet with the placeholder row replaced by every data row, text as inline strings.

    A row is a template made once per sheet (each cell's reference and style, ``{0}`` for the row number)
    filled with each value's markup, which is made once per distinct value: a CMOC's fields repeat on
    the row of each of its quotes, a source's on every row of its CMOCs. An empty value is an empty cell.
    """
    last = len(table.rows) + 1
    match = re.search(rb'<row r="%d"[^>]*>.*?</row>' % last, sheet_xml, re.S)
    style = re.search(rb' s="(\d+)"', match.group(0)) if match else None
    if match is None or style is None:
        raise AssertionError("XlsxWriter's placeholder row is missing from the sheet")
    s = style.group(1).decode()
    template = (
        '<row r="{0}">'
        + "".join(f'<c r="{xl_col_to_name(col)}{{0}}" s="{s}"{{{col + 1}}}' for col in range(len(table.columns)))
        + "</row>"
    )
    values = _ValueMarkup()
    fill = template.format
    rows = "".join([fill(number, *[values[v] for v in row]) for number, row in enumerate(table.rows, start=2)])
    return sheet_xml[: match.start()] + rows.encode("utf-8") + sheet_xml[match.end() :]


class _ValueMarkup(dict[Cell, str]):
    """A cell's markup after its reference and style, by value: a number, inline text, or nothing."""

    def __missing__(self, value: Cell) -> str:
        if value is None:
            markup = "/>"
        elif isinstance(value, int):
            markup = f"><v>{value}</v></c>"
        else:
            markup = f' t="inlineStr"><is><t xml:space="preserve">{_text(value)}</t></is></c>'
        self[value] = markup
        return markup


def _text(value: str) -> str:
    """Cell text as XML: escaped; control characters as Excel writes them (``_x0001_``)."""
    if _CONTROL.search(value):
        value = _CONTROL.sub(lambda m: f"_x{ord(m.group(0)):04X}_", value)
    return value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
