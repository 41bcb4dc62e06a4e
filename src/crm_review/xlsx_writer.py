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
import zipfile
from itertools import repeat
from typing import NamedTuple

import xlsxwriter
from xlsxwriter.utility import xl_col_to_name

from crm_review.ooxml import FIXED_MOMENT, Rewrite, reproducible
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
    right. The data rows are then written as XML text in place of that last row, their texts added to
    the workbook's shared strings (each distinct text once): XlsxWriter's per-cell bookkeeping made a
    review of 6,000 CMOCs several times slower than its Markdown, HTML and JSON.
    """
    buffer = io.BytesIO()
    workbook = xlsxwriter.Workbook(buffer, {"in_memory": True})
    workbook.set_properties({"title": title, "created": FIXED_MOMENT.replace(tzinfo=None)})
    header = workbook.add_format({"bold": True, "text_wrap": True, "valign": "top", "bg_color": "#E8EEF4"})
    wrapped = workbook.add_format({"text_wrap": True, "valign": "top"})
    heights = {}
    texts = [_column_texts(table) for table in tables]  # before anything is written: a cell too long stops it
    for number, (table, columns) in enumerate(zip(tables, texts, strict=True), start=1):
        room = _sheet(workbook, table, columns, header, wrapped)
        if table.rows:
            heights[f"xl/worksheets/sheet{number}.xml"] = (table, _row_heights(table, columns, room))
    workbook.close()
    package = buffer.getvalue()
    with zipfile.ZipFile(io.BytesIO(package)) as parts:
        shared = _SharedStrings(parts.read(_SHARED_STRINGS))
        sheets = {name: _put_rows(parts.read(name), table, rows, shared) for name, (table, rows) in heights.items()}
    rewrites: dict[str, Rewrite] = {name: functools.partial(_given, pieces) for name, pieces in sheets.items()}
    rewrites[_SHARED_STRINGS] = shared.with_added
    return reproducible(package, rewrites)


def _given(pieces: list[bytes], _old: bytes) -> list[bytes]:
    return pieces


class _ColumnText(NamedTuple):
    widest: int
    """The column's longest line of text, in characters."""
    breaks: bool
    """Whether any of its texts holds a line break."""


def _column_texts(table: Table) -> list[_ColumnText]:
    """Each column's longest line and whether it breaks lines; raises CellTooLong for a text Excel cannot hold.

    Column by column, so that the work is done by built-in functions rather than a loop over every cell.
    """
    columns = []
    for col, values in enumerate(zip(*table.rows, strict=True)):
        texts = list(map(str, filter(None, values)))  # no width to find in empty values, nor in 0
        longest = max(map(len, texts), default=0)
        if longest > EXCEL_CELL_LIMIT:
            row_number, value = next(
                (number, value)
                for number, value in enumerate(values, start=2)
                if isinstance(value, str) and len(value) > EXCEL_CELL_LIMIT
            )
            raise CellTooLong(
                f"{table.name} row {row_number}, {table.headers[col]}: {len(value)} characters, "
                f"more than the {EXCEL_CELL_LIMIT} Excel holds in a cell"
            )
        lines = "\n".join(texts).split("\n")
        breaks = len(lines) > len(texts) > 0
        columns.append(_ColumnText(max(map(len, lines)) if breaks else longest, breaks))
    return columns or [_ColumnText(0, False)] * len(table.columns)


def _sheet(
    workbook: xlsxwriter.Workbook,
    table: Table,
    texts: list[_ColumnText],
    header: xlsxwriter.format.Format,
    wrapped: xlsxwriter.format.Format,
) -> list[int]:
    """The sheet without its data rows; returns each column's room for text, in characters."""
    sheet = workbook.add_worksheet(SHEET_TITLES.get(table.name, table.name))
    for col, text in enumerate(table.headers):
        sheet.write_string(0, col, text, header)
    widths = [max(len(column.header), text.widest) for column, text in zip(table.columns, texts, strict=True)]
    if table.rows:
        # Stands in for the data rows (see workbook_bytes), so the sheet's extent and styles are XlsxWriter's.
        sheet.write_number(len(table.rows), len(table.columns) - 1, 0, wrapped)
    room = [min(width, column.max_width) for width, column in zip(widths, table.columns, strict=True)]
    for col, chars in enumerate(room):
        sheet.set_column(col, col, chars + 2)
    header_lines = max(_lines(text, chars) for text, chars in zip(table.headers, room, strict=True))
    if header_lines > 1:  # a long header wraps in its narrow column: the row grows to show it whole
        sheet.set_row(0, header_lines * _LINE_HEIGHT)
    sheet.freeze_panes(1, 0)
    sheet.autofilter(0, 0, max(len(table.rows), 1), len(table.columns) - 1)
    sheet.repeat_rows(0)  # the header on every printed page too
    sheet.set_landscape()
    return room


_LINE_HEIGHT = 15
"""Points per line of wrapped text in Excel's default font (Calibri 11), as Excel sizes a row."""


def _row_heights(table: Table, texts: list[_ColumnText], room: list[int]) -> list[str]:
    """Each data row's height attributes: empty for one line; else as many lines as its tallest wrapped cell.

    Excel fits a row to wrapped text when it draws it, but LibreOffice keeps rows one line high, its text
    running into the rows below; so the height is written, estimated from the number of characters each
    line of the column has room for. Only columns with a line longer than their room, or a line break,
    are counted.
    """
    lines = [1] * len(table.rows)
    for values, text, chars in zip(zip(*table.rows, strict=True), texts, room, strict=True):
        if text.widest <= chars and not text.breaks:
            continue
        if text.breaks:
            counts = [_lines(v, chars) if v.__class__ is str else 1 for v in values]
        else:  # the common case, kept to built-in functions: an empty value's "None" takes one line too
            counts = [-(-length // chars) for length in map(len, map(str, values))]
        lines = list(map(max, lines, counts))
    return [f' ht="{n * _LINE_HEIGHT}" customHeight="1"' if n > 1 else "" for n in lines]


def _lines(text: str, chars: int) -> int:
    """How many lines ``text`` takes in a column with room for ``chars`` characters a line."""
    if "\n" not in text:
        return max(1, -(-len(text) // chars))
    return sum(max(1, -(-len(line) // chars)) for line in text.split("\n"))


_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _put_rows(sheet_xml: bytes, table: Table, heights: list[str], shared: _SharedStrings) -> list[bytes]:
    """The sheet with the placeholder row replaced by every data row, texts as shared strings.

    A row is a template made once per sheet (each cell's reference and style, ``{0}`` for the row number,
    ``{1}`` for its height) filled with each value's markup, which is made once per distinct value: a
    CMOC's fields repeat on the row of each of its quotes, a source's on every row of its CMOCs. An empty
    value is an empty cell.
    """
    last = len(table.rows) + 1
    match = re.search(rb'<row r="%d"[^>]*>.*?</row>' % last, sheet_xml, re.S)
    style = re.search(rb' s="(\d+)"', match.group(0)) if match else None
    if match is None or style is None:
        raise AssertionError("XlsxWriter's placeholder row is missing from the sheet")
    s = style.group(1).decode()
    template = (
        '<row r="{0}"{1}>'
        + "".join(f'<c r="{xl_col_to_name(col)}{{0}}" s="{s}"{{{col + 2}}}' for col in range(len(table.columns)))
        + "</row>"
    )
    shared.references += sum(sum(map(isinstance, column, repeat(str))) for column in zip(*table.rows, strict=True))
    markup = shared.markup.__getitem__
    fill = template.format
    rows = [
        fill(number, height, *map(markup, row))
        for number, (row, height) in enumerate(zip(table.rows, heights, strict=True), start=2)
    ]
    # In pieces of a thousand rows, compressed as they come (see ooxml): never the whole sheet in one string.
    pieces = ("".join(rows[start : start + 1000]).encode("utf-8") for start in range(0, len(rows), 1000))
    return [sheet_xml[: match.start()], *pieces, sheet_xml[match.end() :]]


_SHARED_STRINGS = "xl/sharedStrings.xml"
_COUNTS = re.compile(rb'<sst ([^>]*?)count="(\d+)" uniqueCount="(\d+)"')


class _SharedStrings:
    """The workbook's table of texts: XlsxWriter's (the headers), then each distinct text of the data rows."""

    def __init__(self, xml: bytes) -> None:
        counts = _COUNTS.search(xml)
        if counts is None:
            raise AssertionError("XlsxWriter's shared strings have no counts")
        self.references = int(counts.group(2))
        """How many cells show a shared string: the table says so in its ``count``."""
        self.texts: list[str] = []
        self.markup = _ValueMarkup(self.texts, int(counts.group(3)))

    def with_added(self, xml: bytes) -> list[bytes]:
        """XlsxWriter's table, with its counts made right and the data rows' texts after its own."""
        unique = self.markup.first + len(self.texts)
        head = _COUNTS.sub(rb'<sst \1count="%d" uniqueCount="%d"' % (self.references, unique), xml, count=1)
        end = head.rindex(b"</sst>")
        added = "".join([f'<si><t xml:space="preserve">{_text(text)}</t></si>' for text in self.texts])
        return [head[:end], added.encode("utf-8"), head[end:]]


class _ValueMarkup(dict[Cell, str]):
    """A cell's markup after its reference and style, by value: a number, the index of a shared text, or nothing."""

    def __init__(self, texts: list[str], first: int) -> None:
        super().__init__()
        self.texts, self.first = texts, first

    def __missing__(self, value: Cell) -> str:
        if value is None:
            markup = "/>"
        elif isinstance(value, int):
            markup = f"><v>{value}</v></c>"
        else:
            markup = f' t="s"><v>{self.first + len(self.texts)}</v></c>'
            self.texts.append(value)
        self[value] = markup
        return markup


def _text(value: str) -> str:
    """Cell text as XML: escaped; control characters as Excel writes them (``_x0001_``).

    ``str.isprintable`` first: a quicker test than the pattern, passed by most texts (not by line breaks).
    """
    if not value.isprintable() and _CONTROL.search(value):
        value = _CONTROL.sub(lambda m: f"_x{ord(m.group(0)):04X}_", value)
    return value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
