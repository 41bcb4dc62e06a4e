"""The appendix tables as one Excel workbook (``evidence.xlsx``): the only user of XlsxWriter.

XlsxWriter rather than openpyxl for writing: it writes faster (it streams each sheet's XML instead of
holding a cell object per value), and its output is stable for a given version, so the workbook can
be made byte-reproducible; openpyxl reads the workbook back in the tests, a second and independent
client. Every value is written as what it is (text as text, counts as numbers): a quote that starts
with ``=`` or ``http`` stays text, never a formula or a live link.
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Iterable
from itertools import chain, repeat
from typing import NamedTuple, cast

import xlsxwriter
from xlsxwriter.utility import xl_col_to_name

from crm_review.escape import XML_FORBIDDEN, holds_xml_forbidden, utf8_joined, xml_escaped
from crm_review.ooxml import FIXED_MOMENT, Deflated, Deflating, deflated, reproducible
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
    sheets = {}
    columns = [tuple(zip(*table.rows, strict=True)) for table in tables]
    # Before anything is written: a cell too long stops it.
    texts = [_column_texts(table, values) for table, values in zip(tables, columns, strict=True)]
    for number, (table, values, text) in enumerate(zip(tables, columns, texts, strict=True), start=1):
        room = _sheet(workbook, table, text, header, wrapped)
        if table.rows:
            sheets[f"xl/worksheets/sheet{number}.xml"] = (table, values, text, room)
    workbook.close()
    package = buffer.getvalue()
    with zipfile.ZipFile(io.BytesIO(package)) as parts:
        shared_xml = parts.read(_SHARED_STRINGS)
        sheet_xml = {name: parts.read(name) for name in sheets}
    shared = _SharedStrings(shared_xml)
    for table, values, _, _ in sheets.values():
        shared.add(table, values)
    # Every text has its number: the shared strings are compressed in a second thread (see ooxml) while the
    # rows' heights are found and the rows laid out and compressed here, and the rest of the package after them.
    rewrites: dict[str, Deflated | Deflating] = {}
    with Deflating() as strings:
        for piece in shared.with_added(shared_xml):
            strings.write(piece)
        for name, (table, values, text, room) in sheets.items():
            heights = _row_heights(table, values, text, room)
            rewrites[name] = deflated(_put_rows(sheet_xml[name], table, values, heights, shared))
        rewrites[_SHARED_STRINGS] = strings
        return reproducible(package, rewrites)


class _ColumnText(NamedTuple):
    widest: int
    """The column's longest line of text, in characters."""
    breaks: bool
    """Whether any of its texts holds a line break."""


def _column_texts(table: Table, columns: tuple[tuple[Cell, ...], ...]) -> list[_ColumnText]:
    """Each column's longest line and whether it breaks lines; raises CellTooLong for a text Excel cannot hold.

    Column by column (``columns``, the table's rows turned), so that the work is done by built-in functions
    rather than a loop over every cell.
    """
    found = []
    for col, values in enumerate(columns):
        # No width to find in empty values, nor in 0; texts, unless a number among them shows otherwise (below).
        texts = cast("list[str]", list(filter(None, values)))
        try:
            longest = max(map(len, texts), default=0)
        except TypeError:  # numbers among them: as wide as their digits
            texts = list(map(str, texts))
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
        breaks = "\n" in "".join(texts)  # one search, not one per text
        found.append(_ColumnText(max(map(len, "\n".join(texts).split("\n"))) if breaks else longest, breaks))
    return found or [_ColumnText(0, False)] * len(table.columns)


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


def _row_heights(
    table: Table, columns: tuple[tuple[Cell, ...], ...], texts: list[_ColumnText], room: list[int]
) -> list[str]:
    """Each data row's height attributes: empty for one line; else as many lines as its tallest wrapped cell.

    Excel fits a row to wrapped text when it draws it, but LibreOffice keeps rows one line high, its text
    running into the rows below; so the height is written, estimated from the number of characters each
    line of the column has room for. Only columns with a line longer than their room, or a line break,
    are counted.
    """
    counted: list[list[int]] = []
    for values, text, chars in zip(columns, texts, room, strict=True):
        if text.widest <= chars and not text.breaks:
            continue
        if text.breaks:
            counted.append([_lines(v, chars) if v.__class__ is str else 1 for v in values])
        else:  # the common case: each value's length (an empty one's 0), then each length's lines looked up
            lengths = [len(v) if v.__class__ is str else 0 if v is None else len(str(v)) for v in values]
            lines_of = [max(1, -(-length // chars)) for length in range(max(lengths) + 1)]
            counted.append(list(map(lines_of.__getitem__, lengths)))
    # Each row's tallest cell, every column at once.
    lines = list(map(max, *counted, repeat(1, len(table.rows)))) if counted else [1] * len(table.rows)
    heights = {n: f' ht="{n * _LINE_HEIGHT}" customHeight="1"' if n > 1 else "" for n in set(lines)}
    return list(map(heights.__getitem__, lines))


def _lines(text: str, chars: int) -> int:
    """How many lines ``text`` takes in a column with room for ``chars`` characters a line."""
    if "\n" not in text:
        return max(1, -(-len(text) // chars))
    return sum(max(1, -(-len(line) // chars)) for line in text.split("\n"))


def _put_rows(
    sheet_xml: bytes, table: Table, columns: tuple[tuple[Cell, ...], ...], heights: list[str], shared: _SharedStrings
) -> list[bytes]:
    """The sheet with the placeholder row replaced by every data row, texts as shared strings.

    Each value's markup is made once per distinct value (:class:`_ValueMarkup`): a CMOC's fields repeat on
    the row of each of its quotes, a source's on every row of its CMOCs. An empty value is an empty cell.
    The rows are then laid out by built-in functions alone (``zip`` of each column's markup with the row
    numbers and the fixed markup between them, joined): a loop or a format per row was a third of the
    workbook's time.
    """
    last = len(table.rows) + 1
    match = re.search(rb'<row r="%d"[^>]*>.*?</row>' % last, sheet_xml, re.S)
    style = re.search(rb' s="(\d+)"', match.group(0)) if match else None
    if match is None or style is None:
        raise AssertionError("XlsxWriter's placeholder row is missing from the sheet")
    s = style.group(1).decode()
    markup = shared.markup.__getitem__
    numbers = list(map(str, range(2, last + 1)))
    pieces = [sheet_xml[: match.start()]]
    # In pieces of a thousand rows, compressed as they come (see ooxml): never the whole sheet in one string.
    for start in range(0, len(numbers), 1000):
        rows = slice(start, start + 1000)
        # A row: <row r="N"{height}> then for each cell <c r="{column}N" s="{style}"{value's markup}, then </row>.
        parts = [repeat('<row r="'), numbers[rows], repeat('"'), heights[rows], repeat(">")]
        for col, values in enumerate(columns):
            parts += [
                repeat(f'<c r="{xl_col_to_name(col)}'),
                numbers[rows],
                repeat(f'" s="{s}"'),
                map(markup, values[rows]),
            ]
        parts.append(repeat("</row>"))
        pieces.append("".join(chain.from_iterable(zip(*parts, strict=False))).encode("utf-8"))  # repeat() is endless
    pieces.append(sheet_xml[match.end() :])
    return pieces


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

    def add(self, table: Table, columns: tuple[tuple[Cell, ...], ...]) -> None:
        """The table's texts, each new one numbered as it first comes, row by row; and the cells that show one."""
        self.references += sum(sum(map(isinstance, column, repeat(str))) for column in columns)
        self.markup.add(chain.from_iterable(table.rows))

    def with_added(self, xml: bytes) -> list[bytes]:
        """XlsxWriter's table, with its counts made right and the data rows' texts after its own."""
        unique = self.markup.first + len(self.texts)
        head = _COUNTS.sub(rb'<sst \1count="%d" uniqueCount="%d"' % (self.references, unique), xml, count=1)
        end = head.rindex(b"</sst>")
        return [head[:end], _items(self.texts), head[end:]]


class _ValueMarkup(dict[Cell, str]):
    """A cell's markup after its reference and style, by value: a number, the index of a shared text, or nothing."""

    def __init__(self, texts: list[str], first: int) -> None:
        super().__init__()
        self.texts, self.first = texts, first

    def add(self, values: Iterable[Cell]) -> None:
        """The markup of each value not yet met; each new text numbered in the order it first comes."""
        new = [value for value in dict.fromkeys(values) if value not in self]
        texts = [value for value in new if isinstance(value, str)]
        numbers = range(self.first + len(self.texts), self.first + len(self.texts) + len(texts))
        self.update(zip(texts, map(' t="s"><v>{}</v></c>'.format, numbers), strict=True))
        self.texts += texts
        self.update(
            (value, "/>" if value is None else f"><v>{value}</v></c>") for value in new if not isinstance(value, str)
        )


_ITEM, _NEXT_ITEM, _END_ITEM = '<si><t xml:space="preserve">', '</t></si><si><t xml:space="preserve">', "</t></si>"


def _items(texts: list[str]) -> bytes:
    """The texts as items of the shared strings table, in UTF-8.

    Escaped all at once as one text, NUL between two (NUL then takes the place of the markup between two
    items), when no text holds a character to be written as ``_x0001_`` (nearly always: those are control
    characters other than tab and line breaks, NUL among them, and two non-characters); checked in the
    encoded bytes, where it is quickest.
    """
    if not texts:
        return b""
    data = utf8_joined(texts, b"\x00")
    if holds_xml_forbidden(data, len(texts)):
        return "".join([f"{_ITEM}{_text(text)}{_END_ITEM}" for text in texts]).encode("utf-8")
    escaped = xml_escaped(data)
    return b"%s%s%s" % (_ITEM.encode(), escaped.replace(b"\x00", _NEXT_ITEM.encode()), _END_ITEM.encode())


def _text(value: str) -> str:
    """Cell text as XML: escaped; control characters as Excel writes them (``_x0001_``).

    ``str.isprintable`` first: a quicker test than the pattern, passed by most texts (not by line breaks).
    """
    if not value.isprintable() and XML_FORBIDDEN.search(value):
        value = XML_FORBIDDEN.sub(lambda m: f"_x{ord(m.group(0)):04X}_", value)
    return value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
