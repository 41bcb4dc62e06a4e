"""The appendix tables as a user opens them: evidence.xlsx in a second library, the CSV files, `crm list --all-fields`."""

from __future__ import annotations

import csv
import io
import json
import re
import zipfile
from pathlib import Path

import openpyxl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from openpyxl.utils import get_column_letter
from typer.testing import CliRunner

from conftest import write_review
from crm_review.cli import app

TRICKY = (
    "id: acme-2020\n"
    'title: "Ünïcode study, with a comma"\n'
    'authors: ["Núñez, José", "Ødegaard, Åse"]\n'
    "year: 2020\n"
    "doi: 10.1000/xyz\n"
    "appraisal: {relevance: high, rigour: low}\n"
    "cmocs:\n"
    "  - id: acme-2020-1\n"
    '    context: "Clinics, \\"rural\\"; far away"\n'
    '    mechanism: {resource: "Training {0} for 100% (%s)", response: Confidence grows}\n'
    "    outcome: More people take part.\n"
    "    direction: positive\n"
    "    principles: {quick-wins: supports, invest-in-skills: refines}\n"
    "    themes: [trust]\n"
    "    notes: |\n"
    "      First line.\n"
    "      Second line.\n"
    "    evidence:\n"
    '      - {quote: "=SUM(A1:A9) was typed by a participant", locator: p. 3}\n'
    '      - {quote: "https://example.org is where we met; señora said so", locator: "p. 4, ¶ 2"}\n'
)


@pytest.fixture
def tricky(tmp_path: Path) -> Path:
    return write_review(tmp_path / "tricky", {"acme-2020.yaml": TRICKY})


def synth(runner: CliRunner, root: Path, *args: str) -> None:
    result = runner.invoke(app, ["synthesize", "--review", str(root), *args], catch_exceptions=False)
    assert result.exit_code == 0, result.output


def test_workbook_has_three_sheets_with_frozen_filtered_headers(tricky: Path, runner: CliRunner) -> None:
    """openpyxl reads CMOCs, Sources and Principles, each with its header row frozen and filters on."""
    synth(runner, tricky, "--format", "xlsx")
    book = openpyxl.load_workbook(tricky / "review" / "evidence.xlsx")
    assert book.sheetnames == ["CMOCs", "Sources", "Principles"]
    for sheet in book.worksheets:
        assert sheet.freeze_panes == "A2"
        assert sheet.auto_filter.ref is not None and sheet.auto_filter.ref.startswith("A1:")
        assert sheet.auto_filter.ref.endswith(str(sheet.max_row))


def test_cmoc_sheet_has_one_row_per_quote_with_every_field(tricky: Path, runner: CliRunner) -> None:
    """Each quote is a row carrying its locator and every field of its CMOC, relations included."""
    synth(runner, tricky, "--format", "xlsx")
    sheet = openpyxl.load_workbook(tricky / "review" / "evidence.xlsx")["CMOCs"]
    rows = [dict(zip([c.value for c in sheet[1]], [c.value for c in row], strict=True)) for row in sheet.iter_rows(2)]
    assert [(r["quote_number"], r["locator"]) for r in rows] == [(1, "p. 3"), (2, "p. 4, ¶ 2")]
    first = rows[0]
    assert first["context"] == 'Clinics, "rural"; far away'
    assert first["resource"] == "Training {0} for 100% (%s)" and first["response"] == "Confidence grows"
    assert first["principles"] == "quick-wins (supports); invest-in-skills (refines)"
    assert (first["supports"], first["refutes"], first["refines"]) == ("quick-wins", None, "invest-in-skills")
    assert first["notes"] == "First line.\nSecond line."
    assert first["citation"] == "Núñez & Ødegaard (2020)"


def test_text_that_looks_like_a_formula_or_link_stays_text(tricky: Path, runner: CliRunner) -> None:
    """A quote starting with `=` is stored as text, not a formula; an address is not made a hyperlink."""
    synth(runner, tricky, "--format", "xlsx")
    sheet = openpyxl.load_workbook(tricky / "review" / "evidence.xlsx")["CMOCs"]
    quotes = [row[15] for row in sheet.iter_rows(2)]
    assert quotes[0].data_type == "s" and quotes[0].value == "=SUM(A1:A9) was typed by a participant"
    assert quotes[1].hyperlink is None


def test_sources_and_principles_sheets_carry_appraisal_counts_and_confidence(tricky: Path, runner: CliRunner) -> None:
    """Sources with relevance and rigour; principles with relation counts, the team's confidence and the suggestion apart."""
    synth(runner, tricky, "--format", "xlsx")
    book = openpyxl.load_workbook(tricky / "review" / "evidence.xlsx")
    sources = [[c.value for c in row] for row in book["Sources"].iter_rows()]
    source = dict(zip(sources[0], sources[1], strict=True))
    assert (source["relevance"], source["rigour"], source["cmocs"], source["doi"]) == ("high", "low", 1, "10.1000/xyz")
    principles = [[c.value for c in row] for row in book["Principles"].iter_rows()]
    by_id = {row[0]: dict(zip(principles[0], row, strict=True)) for row in principles[1:]}
    assert by_id["quick-wins"]["supports"] == 1 and by_id["invest-in-skills"]["refines"] == 1
    assert by_id["quick-wins"]["confidence"] == "not yet assessed"
    assert by_id["quick-wins"]["suggested_confidence"] in {"high", "moderate", "low", "very low"}
    assert "adequacy" in str(by_id["quick-wins"]["suggestion_reasons"])


def test_column_widths_fit_their_text_within_limits(tricky: Path, runner: CliRunner) -> None:
    """Short columns are narrow, long text columns stop at a readable width and wrap."""
    synth(runner, tricky, "--format", "xlsx")
    sheet = openpyxl.load_workbook(tricky / "review" / "evidence.xlsx")["CMOCs"]
    widths = {sheet.cell(1, c).value: sheet.column_dimensions[get_column_letter(c)].width for c in range(1, 18)}
    assert widths["direction"] < 15
    assert 30 < widths["quote"] <= 63
    assert sheet["P2"].alignment.wrap_text


def test_rows_are_as_tall_as_their_wrapped_text(tricky: Path, runner: CliRunner) -> None:
    """A row whose text wraps or breaks lines says how tall it is (LibreOffice would keep it one line high,
    its text running into the rows below); a header that wraps in its narrow column gets room too."""
    synth(runner, tricky, "--format", "xlsx")
    book = openpyxl.load_workbook(tricky / "review" / "evidence.xlsx")
    cmocs = book["CMOCs"]
    assert cmocs.row_dimensions[2].height == 30  # its notes hold one line break
    principles = book["Principles"]
    assert principles.row_dimensions[1].height is not None and principles.row_dimensions[1].height >= 30
    statement = [cell.value for cell in principles[1]].index("statement")
    lengths = {number: len(str(row[statement].value)) for number, row in enumerate(principles.iter_rows(2), start=2)}
    longest = max(lengths, key=lengths.__getitem__)
    assert lengths[longest] > 60 and principles.row_dimensions[longest].height >= 30


def test_shared_strings_count_what_the_sheets_use(tricky: Path, runner: CliRunner) -> None:
    """The workbook's table of texts says how many cells use it and how many texts it holds, as Excel checks."""
    synth(runner, tricky, "--format", "xlsx")
    with zipfile.ZipFile(tricky / "review" / "evidence.xlsx") as package:
        table = package.read("xl/sharedStrings.xml").decode()
        sheets = [package.read(name).decode() for name in package.namelist() if name.startswith("xl/worksheets/")]
    counts = re.search(r'count="(\d+)" uniqueCount="(\d+)"', table)
    assert counts is not None
    assert int(counts.group(1)) == sum(sheet.count(' t="s"') for sheet in sheets)
    assert int(counts.group(2)) == table.count("<si>")
    used = {int(index) for sheet in sheets for index in re.findall(r' t="s"><v>(\d+)</v>', sheet)}
    assert used == set(range(table.count("<si>")))


def test_csv_files_are_utf8_with_bom_and_match_the_workbook(tricky: Path, runner: CliRunner) -> None:
    """cmocs.csv, sources.csv, principles.csv: a BOM for Excel, then the workbook's rows as written."""
    synth(runner, tricky, "--format", "csv,xlsx")
    folder = tricky / "review"
    book = openpyxl.load_workbook(folder / "evidence.xlsx")
    for name, sheet in [("cmocs.csv", "CMOCs"), ("sources.csv", "Sources"), ("principles.csv", "Principles")]:
        raw = (folder / name).read_bytes()
        assert raw.startswith(b"\xef\xbb\xbf")
        rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"), newline="")))
        expected = [["" if c.value is None else str(c.value) for c in row] for row in book[sheet].iter_rows()]
        assert rows == expected


def test_xlsx_bytes_are_identical_run_after_run(tricky: Path, runner: CliRunner) -> None:
    """The same evidence gives the same workbook, with a fixed date in the zip and the properties."""
    synth(runner, tricky, "--format", "xlsx")
    first = (tricky / "review" / "evidence.xlsx").read_bytes()
    synth(runner, tricky, "--format", "xlsx")
    assert (tricky / "review" / "evidence.xlsx").read_bytes() == first
    with zipfile.ZipFile(io.BytesIO(first)) as package:
        assert {info.date_time for info in package.infolist()} == {(1980, 1, 1, 0, 0, 0)}
        assert b"2000-01-01T00:00:00Z" in package.read("docProps/core.xml")


def test_list_cmocs_all_fields_prints_every_field_per_quote(tricky: Path, runner: CliRunner) -> None:
    """--all-fields gives the CMOC table's columns, one row per quote; --json keeps them as data."""
    result = runner.invoke(app, ["list", "cmocs", "--all-fields", "--json", "--review", str(tricky)])
    rows = json.loads(result.output)
    assert [r["locator"] for r in rows] == ["p. 3", "p. 4, ¶ 2"]
    assert rows[0]["response"] == "Confidence grows" and rows[0]["refines"] == "invest-in-skills"
    piped = runner.invoke(app, ["list", "cmocs", "--all-fields", "--review", str(tricky)]).output.splitlines()
    assert piped[0].split("\t")[-3:] == ["quote_number", "quote", "locator"]
    assert piped[1].split("\t")[-4] == "First line. Second line."  # one line per row in a pipe


def test_list_all_fields_respects_filters(tricky: Path, runner: CliRunner) -> None:
    """The usual filters apply: a relation no CMOC has gives no rows."""
    result = runner.invoke(app, ["list", "cmocs", "--all-fields", "--relation", "refutes", "--review", str(tricky)])
    assert result.exit_code == 0 and "no cmocs match" in result.output


def test_all_fields_is_only_for_cmocs(tricky: Path, runner: CliRunner) -> None:
    """`crm list sources --all-fields` is a usage error that says why."""
    result = runner.invoke(app, ["list", "sources", "--all-fields", "--review", str(tricky)])
    assert result.exit_code == 2 and "only `crm list cmocs`" in result.output


def test_list_all_fields_in_a_terminal_shows_one_field_a_line(tricky: Path, runner: CliRunner) -> None:
    """At a terminal each quote's row is a block, one field a line, rather than seventeen squeezed columns."""
    env = {"TTY_COMPATIBLE": "1", "NO_COLOR": "1", "COLUMNS": "100"}
    result = runner.invoke(app, ["list", "cmocs", "--all-fields", "--review", str(tricky)], env=env)
    assert result.exit_code == 0
    plain_text = re.sub(r"\x1b\[[0-9;]*m", "", result.output)  # NO_COLOR keeps bold, which is not colour
    lines = [line for line in plain_text.splitlines() if re.match(r"\W*locator\b", line)]
    assert "acme-2020-1, quote 2" in plain_text
    assert len(lines) == 2 and "p. 4, ¶ 2" in lines[1]


def test_a_character_xml_forbids_is_written_as_excel_writes_it() -> None:
    """U+FFFE, which XML cannot hold, is stored as Excel's `_xFFFE_` escape; the workbook stays readable."""
    from crm_review.tables import Column, Table
    from crm_review.xlsx_writer import workbook_bytes

    table = Table("cmocs", (Column("context"),), (("before\ufffeafter",), ("plain",)))
    sheet = openpyxl.load_workbook(io.BytesIO(workbook_bytes((table,), "T"))).active
    assert sheet is not None
    assert [cell.value for cell in sheet["A"]] == ["context", "before_xFFFE_after", "plain"]


@pytest.mark.parametrize(
    "texts",
    [
        ["Plain", "A <b> & </t> study", "Line\nbreak", "Tabs\there", "Núñez “curly” 🙂", ""],
        ["Control \x01 character", "plain"],
        ["NUL \x00 inside", "plain"],
        ["A noncharacter \ufffe", "plain"],
        ["plain", "the other \uffff"],
        ["wide forms \uff08全角\uff09 and \ufffd", "plain"],
    ],
)
def test_shared_texts_written_at_once_are_written_as_one_by_one(texts: list[str]) -> None:
    """The workbook's texts, escaped all at once, are the bytes each text gets on its own."""
    from crm_review.xlsx_writer import _END_ITEM, _ITEM, _items, _text

    assert _items(texts) == "".join(f"{_ITEM}{_text(text)}{_END_ITEM}" for text in texts).encode()


_CELLS = st.one_of(
    st.none(),
    st.booleans(),  # numbers too ("False" prints longer than the narrowest columns)
    st.integers(min_value=0, max_value=10**12),
    st.text(alphabet="ab \n", max_size=60),
)


@given(
    widths=st.lists(st.integers(min_value=2, max_value=9), min_size=1, max_size=4),
    data=st.data(),
)
@settings(max_examples=200, deadline=None)
def test_each_row_is_as_tall_as_its_tallest_wrapped_cell(widths: list[int], data: st.DataObject) -> None:
    """A row's height, found for every row at once, is the lines of its tallest cell counted one by one in a column
    as wide as its room (only columns whose text is wider than their room, or breaks lines, wrap)."""
    from crm_review.tables import Column, Table
    from crm_review.xlsx_writer import _LINE_HEIGHT, _column_texts, _lines, _row_heights

    columns = tuple(Column(f"h{n}", width) for n, width in enumerate(widths))
    rows = data.draw(st.lists(st.tuples(*[_CELLS] * len(widths)), min_size=1, max_size=20))
    table = Table("t", columns, tuple(rows))
    values = tuple(zip(*table.rows, strict=True))
    texts = _column_texts(table, values)
    room = [min(max(len(c.header), text.widest), c.max_width) for c, text in zip(columns, texts, strict=True)]
    wraps = [text.widest > chars or text.breaks for text, chars in zip(texts, room, strict=True)]

    def one_by_one(row: tuple[str | int | None, ...]) -> str:
        tallest = max(
            [1]
            + [
                _lines(value, chars)
                if isinstance(value, str)
                else _lines(str(value), chars)
                if value is not None and not text.breaks
                else 1
                for value, text, chars, wrap in zip(row, texts, room, wraps, strict=True)
                if wrap
            ]
        )
        return f' ht="{tallest * _LINE_HEIGHT}" customHeight="1"' if tallest > 1 else ""

    assert _row_heights(table, values, texts, room) == [one_by_one(row) for row in table.rows]


@given(rows=st.lists(st.tuples(_CELLS, _CELLS), min_size=1, max_size=20))
@settings(max_examples=200, deadline=None)
def test_each_column_is_as_wide_as_its_longest_line(rows: list[tuple[str | int | None, str | int | None]]) -> None:
    """A column's width, found for all its cells at once, is its longest line of text (numbers as their digits),
    and it breaks lines when any of its texts holds a line break."""
    from crm_review.tables import Column, Table
    from crm_review.xlsx_writer import _column_texts

    table = Table("t", (Column("a"), Column("b")), tuple(rows))
    found = _column_texts(table, tuple(zip(*table.rows, strict=True)))
    for column, values in zip(found, zip(*rows, strict=True), strict=True):
        lines = [line for value in values if value for line in str(value).split("\n")]
        assert column.widest == max(map(len, lines), default=0)
        assert column.breaks == any("\n" in str(value) for value in values if value)


def test_a_value_printed_longer_than_the_column_is_wide_still_gets_its_lines() -> None:
    """A column no wider than "abc" can hold a value that prints longer (False); its row is counted, not refused."""
    from crm_review.tables import Column, Table
    from crm_review.xlsx_writer import _LINE_HEIGHT, _column_texts, _row_heights

    table = Table("t", (Column("h", 2),), (("abc",), (False,)))
    values = tuple(zip(*table.rows, strict=True))
    heights = _row_heights(table, values, _column_texts(table, values), [2])
    assert heights == [f' ht="{2 * _LINE_HEIGHT}" customHeight="1"', f' ht="{3 * _LINE_HEIGHT}" customHeight="1"']
