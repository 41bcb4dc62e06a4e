"""The appendix tables as one Excel workbook (``evidence.xlsx``): the only user of XlsxWriter.

XlsxWriter rather than openpyxl for writing: it writes faster (it streams each sheet's XML instead of
holding a cell object per value), and its output is stable for a given version, so the workbook can
be made byte-reproducible; openpyxl reads the workbook back in the tests, a second and independent
client. Every value is written as what it is (text as text, counts as numbers): a quote that starts
with ``=`` or ``http`` stays text, never a formula or a live link.
"""

from __future__ import annotations

import io

import xlsxwriter

from crm_review.ooxml import FIXED_MOMENT, reproducible
from crm_review.tables import Table

SHEET_TITLES = {"cmocs": "CMOCs", "sources": "Sources", "principles": "Principles"}
EXCEL_CELL_LIMIT = 32_767
"""Excel holds at most this many characters in one cell."""


class CellTooLong(ValueError):
    """A text longer than Excel can hold in a cell; raised rather than cutting what someone wrote."""


def workbook_bytes(tables: tuple[Table, ...], title: str) -> bytes:
    """One sheet per table: header row frozen and filtered, columns as wide as their text (up to a limit)."""
    buffer = io.BytesIO()
    workbook = xlsxwriter.Workbook(
        buffer,
        {
            "in_memory": True,
            "strings_to_formulas": False,
            "strings_to_urls": False,
            "strings_to_numbers": False,
        },
    )
    workbook.set_properties({"title": title, "created": FIXED_MOMENT.replace(tzinfo=None)})
    header = workbook.add_format({"bold": True, "text_wrap": True, "valign": "top", "bg_color": "#E8EEF4"})
    wrapped = workbook.add_format({"text_wrap": True, "valign": "top"})
    for table in tables:
        _sheet(workbook, table, header, wrapped)
    workbook.close()
    return reproducible(buffer.getvalue())


def _sheet(
    workbook: xlsxwriter.Workbook,
    table: Table,
    header: xlsxwriter.format.Format,
    wrapped: xlsxwriter.format.Format,
) -> None:
    sheet = workbook.add_worksheet(SHEET_TITLES.get(table.name, table.name))
    widths = [len(column.header) for column in table.columns]
    for col, text in enumerate(table.headers):
        sheet.write_string(0, col, text, header)
    for row_number, row in enumerate(table.rows, start=1):
        for col, value in enumerate(row):
            if value is None:
                continue
            if isinstance(value, int):
                sheet.write_number(row_number, col, value, wrapped)
                shown = len(str(value))
            else:
                if len(value) > EXCEL_CELL_LIMIT:
                    raise CellTooLong(
                        f"{table.name} row {row_number}, {table.headers[col]}: {len(value)} characters, "
                        f"more than the {EXCEL_CELL_LIMIT} Excel holds in a cell"
                    )
                sheet.write_string(row_number, col, value, wrapped)
                shown = max(len(line) for line in value.splitlines()) if value else 0
            widths[col] = max(widths[col], shown)
    for col, column in enumerate(table.columns):
        sheet.set_column(col, col, min(widths[col], column.max_width) + 2)
    sheet.freeze_panes(1, 0)
    sheet.autofilter(0, 0, max(len(table.rows), 1), len(table.columns) - 1)
    sheet.repeat_rows(0)  # the header on every printed page too
