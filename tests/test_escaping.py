"""Hostile evidence text stays text: never template code, HTML, Markdown structure or diagram syntax."""

from __future__ import annotations

import json
import re
import zipfile
from html.parser import HTMLParser
from pathlib import Path

import pytest
from markdown_it import MarkdownIt

from conftest import PRINCIPLES_YAML, write_review
from crm_review.pipeline import synthesize

HOSTILE = {
    "context": "{{ 7*7 }} and {% if true %}x{% endif %}",
    "resource": "<script>alert('x')</script>",
    "response": "a | b | c\nsecond line",
    "outcome": '"]; click p call evil() %% [link](javascript:alert(1)) &copy;',
    "quote": "**bold** _it_ `code` # not a heading",
    "locator": "p. 3 | table 2",
}

SOURCE = f"""\
id: evil-2020
title: 'Weird "title" <b>bold</b> & co | pipe'
authors: ["O'Brien, <i>Pat</i>"]
year: 2020
appraisal: {{relevance: high, rigour: high}}
cmocs:
  - id: evil-2020-1
    context: {json.dumps(HOSTILE["context"])}
    mechanism:
      resource: {json.dumps(HOSTILE["resource"])}
      response: |
        a | b | c
        second line
    outcome: {json.dumps(HOSTILE["outcome"])}
    direction: positive
    principles: [quick-wins]
    evidence:
      - quote: {json.dumps(HOSTILE["quote"])}
        locator: {json.dumps(HOSTILE["locator"])}
  - id: evil-2020-2
    context: plain
    mechanism: {{resource: plain, response: plain}}
    outcome: plain
    direction: negative
    principles: [quick-wins, invest-in-skills]
    evidence: [{{quote: plain, locator: p. 1}}]
"""


@pytest.fixture(scope="module")
def hostile(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = write_review(tmp_path_factory.mktemp("hostile"), {"evil-2020.yaml": SOURCE}, principles=PRINCIPLES_YAML)
    synthesize(root, formats=("md", "html", "json", "docx", "xlsx"))
    return root / "review"


@pytest.fixture(scope="module")
def documents(hostile: Path) -> dict[str, str]:
    return {p.name: p.read_text(encoding="utf-8") for p in hostile.iterdir() if p.suffix in {".md", ".html", ".json"}}


def markdown() -> MarkdownIt:
    return MarkdownIt("commonmark", {"html": True}).enable("table")


def test_markdown_has_no_raw_html_and_keeps_the_text(documents: dict[str, str]) -> None:
    """Parsed as CommonMark with raw HTML allowed, the evidence yields no HTML, only its own text."""
    tokens = markdown().parse(documents["REVIEW.md"])
    kinds = {t.type for t in tokens} | {c.type for t in tokens for c in (t.children or [])}
    assert not kinds & {"html_inline", "html_block"}
    html = markdown().render(documents["REVIEW.md"])
    assert "{{ 7*7 }}" in html and ">49<" not in html
    assert "&lt;script&gt;alert('x')&lt;/script&gt;" in html
    assert "**bold** _it_ `code` # not a heading" in html
    assert 'href="javascript' not in html
    assert "&amp;copy;" in html


def test_markdown_tables_keep_their_columns(documents: dict[str, str]) -> None:
    """Pipes and newlines in evidence cannot add or split table cells."""
    tokens = markdown().parse(documents["REVIEW.md"])
    widths: list[int] = []
    row = 0
    for token in tokens:
        if token.type == "tr_open":
            row = 0
        elif token.type in {"th_open", "td_open"}:
            row += 1
        elif token.type == "tr_close":
            widths.append(row)
        elif token.type == "table_close":
            assert len(set(widths)) == 1, widths
            widths = []
    rendered = markdown().render(documents["REVIEW.md"])
    assert "<td>a | b | c second line</td>" in rendered


def test_mermaid_labels_cannot_break_out(documents: dict[str, str]) -> None:
    """Every Mermaid line is a node with one quoted label, or an edge."""
    blocks = re.findall(r"```mermaid\n(.*?)```", documents["REVIEW.md"], re.DOTALL)
    # Without a block carrying the hostile source, the loop below would check nothing and pass.
    assert any('source_evil_2020("' in block for block in blocks), "no Mermaid block shows the hostile source"
    node = re.compile(r'^  \w+(\["[^"]*"\]|\("[^"]*"\))$')
    edge = re.compile(r"^  \w+ (---\|\d+\||-->|-\.->) \w+$")
    for block in blocks:
        for line in block.splitlines()[1:]:
            assert node.match(line) or edge.match(line), line


class _Collector(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.text: list[str] = []
        self.hrefs: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self.hrefs += [v or "" for k, v in attrs if k == "href"]

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def test_html_is_escaped(documents: dict[str, str]) -> None:
    """The HTML page has no script and no markup from evidence, and shows the text as written."""
    page = _Collector()
    page.feed(documents["review.html"])
    assert "script" not in page.tags and "b" not in page.tags and "i" not in page.tags
    text = "".join(page.text)
    assert "<script>alert('x')</script>" in text
    assert "{{ 7*7 }}" in text and "{% if true %}" in text
    assert 'Weird "title" <b>bold</b> & co | pipe' in text
    assert all(h.startswith(("#", "https://")) for h in page.hrefs)


def test_json_keeps_every_character(documents: dict[str, str]) -> None:
    """review.json carries the evidence exactly as written."""
    cmoc = json.loads(documents["review.json"])["cmocs"][0]
    assert cmoc["context"] == HOSTILE["context"]
    assert (cmoc["resource"], cmoc["response"]) == (HOSTILE["resource"], "a | b | c\nsecond line")
    assert cmoc["evidence"] == [{"quote": HOSTILE["quote"], "locator": HOSTILE["locator"], "verification": "unchecked"}]


def test_review_json_matches_its_schema(documents: dict[str, str]) -> None:
    """review.json validates against the JSON Schema shipped in the package."""
    import jsonschema

    from crm_review import layout

    schema = json.loads(layout.packaged("schema", "review.schema.json").read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator.check_schema(schema)
    jsonschema.Draft202012Validator(schema).validate(json.loads(documents["review.json"]))


def test_bundled_review_json_matches_the_schema() -> None:
    """The committed review.json validates too."""
    import jsonschema

    from conftest import REPO
    from crm_review import layout

    schema = json.loads(layout.packaged("schema", "review.schema.json").read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator(schema).validate(json.loads((REPO / "review" / "review.json").read_text()))


def test_word_and_excel_keep_every_character(hostile: Path) -> None:
    """The Word document and the workbook show hostile text as written: no markup, formula or live link."""
    import docx
    import openpyxl

    document = docx.Document(str(hostile / "review.docx"))
    cells = "\n".join(cell.text for table in document.tables for row in table.rows for cell in row.cells)
    for field in ("context", "resource", "outcome"):
        assert HOSTILE[field] in cells
    assert "a | b | c\nsecond line" in cells
    assert f"“{HOSTILE['quote']}” (O'Brien 2020, {HOSTILE['locator']})" in cells
    rels = zipfile.ZipFile(hostile / "review.docx").read("word/_rels/document.xml.rels").decode()
    assert "javascript" not in rels
    sheet = openpyxl.load_workbook(hostile / "evidence.xlsx")["CMOCs"]
    values = {cell.value for row in sheet.iter_rows() for cell in row}
    assert {HOSTILE["context"], HOSTILE["resource"], HOSTILE["quote"], "a | b | c\nsecond line"} <= values
