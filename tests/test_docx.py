"""review.docx as Word and LibreOffice read it: headings, tables, page numbers, pictures, styles, and text kept."""

from __future__ import annotations

import io
import os
import re
import shutil
import subprocess
import zipfile
from collections.abc import Iterator
from pathlib import Path

import docx
import pytest
from docx.document import Document
from docx.enum.section import WD_SECTION
from docx.oxml import parse_xml
from docx.oxml.ns import nsdecls, qn
from docx.oxml.xmlchemy import BaseOxmlElement
from docx.shared import RGBColor
from typer.testing import CliRunner

from conftest import FIXTURES, REPO, snapshot, verification_of, write_review
from crm_review.cli import app

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
SOFFICE = shutil.which("soffice") or shutil.which("libreoffice")
PDFTOTEXT = shutil.which("pdftotext")


def synth_docx(runner: CliRunner, root: Path, out: Path) -> Path:
    result = runner.invoke(
        app, ["synthesize", "--review", str(root), "--out", str(out), "--format", "docx"], catch_exceptions=False
    )
    assert result.exit_code == 0, result.output
    return out / "review.docx"


@pytest.fixture(scope="module")
def bundled(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The bundled review's Word document, rendered once for the module."""
    return synth_docx(CliRunner(), REPO, tmp_path_factory.mktemp("bundled"))


def test_sections_are_word_headings_for_the_navigation_pane(bundled: Path) -> None:
    """Chapters are Heading 1 paragraphs (what Word's navigation pane lists), CMOCs Heading 3."""
    document = docx.Document(str(bundled))
    styled = [(p.style.name if p.style is not None else "", p.text) for p in document.paragraphs]
    headings = [(style, text) for style, text in styled if style and style.startswith("Heading")]
    level_one = [text for style, text in headings if style == "Heading 1"]
    assert level_one[:3] == ["Method", "Summary of qualitative findings", "Evidence map"]
    assert "Evidence profile" in level_one
    assert {"Gaps", "Evidence appendix", "References", "RAMESES reporting checklist"} <= set(level_one)
    assert any(re.fullmatch(r"1\. .+", text) for text in level_one)
    assert ("Heading 3", "CMOC montenegro-2020-1") in headings


def _in_sections(document: Document) -> Iterator[tuple[BaseOxmlElement, int]]:
    """The body's paragraphs and tables, each with the number of the section it is in (from 0): a paragraph
    holding section properties ends a section."""
    section = 0
    for element in document.element.body.iterchildren(qn("w:p"), qn("w:tbl")):
        yield element, section
        section += element.find(f"{W}pPr/{W}sectPr") is not None


def test_every_table_repeats_its_header_row_and_fits_the_text_width(bundled: Path) -> None:
    """Each table's first row is marked to repeat on every page, and its columns add up to the width of the
    text on its pages (portrait, or landscape)."""
    document = docx.Document(str(bundled))
    # The width of each section's text, in twips.
    widths = [((s.page_width or 0) - (s.left_margin or 0) - (s.right_margin or 0)) / 635 for s in document.sections]
    tables = [(table, widths[section]) for table, section in _in_sections(document) if table.tag == f"{W}tbl"]
    assert len(tables) > 10
    assert len({width for _, width in tables}) == 2
    for table, text_width in tables:
        first_row = table.find(f"{W}tr")
        assert first_row is not None and first_row.find(f"{W}trPr/{W}tblHeader") is not None
        assert table.find(f"{W}tblPr/{W}tblLayout").get(f"{W}type") == "fixed"
        columns = [int(col.get(f"{W}w")) for col in table.findall(f"{W}tblGrid/{W}gridCol")]
        assert text_width - len(columns) <= sum(columns) <= text_width


def test_pages_are_numbered_in_the_footer(bundled: Path) -> None:
    """Each section's footer holds a PAGE field, which Word and LibreOffice fill in on every page."""
    for section in docx.Document(str(bundled)).sections:
        assert "PAGE" in "".join(section.footer._element.itertext())


def test_the_evidence_profile_is_on_landscape_pages_of_its_own(bundled: Path) -> None:
    """Its nine columns have a landscape page's width (on a portrait page their words broke in the middle):
    the section from its heading to its table is turned, the pages before and after it are not."""
    from docx.enum.section import WD_ORIENT

    document = docx.Document(str(bundled))
    assert [s.orientation for s in document.sections] == [WD_ORIENT.PORTRAIT, WD_ORIENT.LANDSCAPE, WD_ORIENT.PORTRAIT]
    first, turned, last = document.sections
    assert (turned.page_width, turned.page_height) == (first.page_height, first.page_width)
    assert turned.start_type == last.start_type == WD_SECTION.NEW_PAGE
    # The body in order: which section each heading and table is in (a paragraph holding w:sectPr ends one).
    found = {}
    for element, section in _in_sections(document):
        text = "".join(t.text or "" for t in element.iter(qn("w:t")))
        if element.tag == qn("w:p") and text in ("Evidence map", "Evidence profile", "Gaps"):
            found[text] = section
        elif element.tag == qn("w:tbl") and text.startswith("#Summarised review findingMethodological limitations"):
            found["its table"] = section
    assert found == {"Evidence map": 0, "Evidence profile": 1, "its table": 1, "Gaps": 2}


def test_pages_after_landscape_ones_go_on_numbering(runner: CliRunner, tmp_path: Path, review: Path) -> None:
    """A reference.docx whose section starts its numbering at 1 and has a first page of its own: the landscape
    section and the one after it neither start the numbering again nor have a first page of their own (the
    LibreOffice test sees the bundled review's numbers run on through its landscape pages)."""
    from docx.enum.section import WD_ORIENT

    (review / "templates").mkdir()
    reference = docx.Document()
    section = reference.sections[0]
    section.different_first_page_header_footer = True
    section._sectPr.append(parse_xml(f'<w:pgNumType {nsdecls("w")} w:start="1"/>'))
    reference.save(str(review / "templates" / "reference.docx"))
    document = docx.Document(str(synth_docx(runner, review, tmp_path / "out")))
    first, turned, last = document.sections
    assert turned.orientation == WD_ORIENT.LANDSCAPE
    assert first.different_first_page_header_footer
    for going_on in (turned, last):
        assert not going_on.different_first_page_header_footer
        assert not going_on._sectPr.xpath("w:pgNumType/@w:start")


def test_figures_are_pictures_with_alternative_text(bundled: Path) -> None:
    """The network figure is a PNG inside the document, described for screen readers."""
    with zipfile.ZipFile(bundled) as package:
        pictures = [name for name in package.namelist() if name.startswith("word/media/")]
        body = package.read("word/document.xml").decode()
    assert pictures and all(name.endswith(".png") for name in pictures)
    assert 'descr="Network of principles and the sources whose CMOCs bear on them."' in body


def test_internal_links_point_at_bookmarks_that_exist(bundled: Path) -> None:
    """Pattern tables link each CMOC to its entry in the evidence appendix, as in review.html."""
    body = zipfile.ZipFile(bundled).read("word/document.xml").decode()
    anchors = set(re.findall(r'w:anchor="([^"]+)"', body))
    bookmarks = set(re.findall(r'w:bookmarkStart w:id="\d+" w:name="([^"]+)"', body))
    assert anchors and anchors <= bookmarks


def test_every_link_inside_the_manuscript_names_a_section_it_holds() -> None:
    """Each `#` link of the bundled review's manuscript (tables, RAMESES checklist) has a heading to land on,
    rather than being written as plain text for want of one."""
    from crm_review import figure_png
    from crm_review.analysis import analyse
    from crm_review.manuscript import Heading, Paragraph, Table, build_manuscript
    from crm_review.pipeline import load_valid_review
    from crm_review.view import build_view

    loaded = load_valid_review(REPO)
    blocks = build_manuscript(build_view(loaded, analyse(loaded), None), figure_png).blocks
    anchors = {b.anchor for b in blocks if isinstance(b, Heading | Paragraph) and b.anchor}
    spans = [s for b in blocks if isinstance(b, Paragraph) for s in b.spans]
    spans += [s for b in blocks if isinstance(b, Table) for row in b.rows for cell in row if not isinstance(cell, str)
              for s in cell]  # fmt: skip
    links = {s.link[1:] for s in spans if s.link and s.link.startswith("#")}
    assert "summary-of-qualitative-findings" in links
    assert links and links <= anchors


def test_word_sections_have_the_titles_and_anchors_of_review_md() -> None:
    """Each fixed section the Word document takes from sections.py is a heading of REVIEW.md, and REVIEW.md's
    links reach it by the same anchor, so that the two documents cannot drift apart."""
    from crm_review import sections

    markdown = (REPO / "review" / "REVIEW.md").read_text(encoding="utf-8")
    headings = set(re.findall(r"^#{2,3} (.+)$", markdown, re.M))
    fixed = [value for value in vars(sections).values() if isinstance(value, sections.Section)]
    assert len(fixed) >= 12
    for section in fixed:
        assert section.title in headings
    for section in sections.RAMESES_SECTIONS.values():
        assert f"](#{section.anchor})" in markdown


def test_the_same_evidence_gives_the_same_bytes(runner: CliRunner, tmp_path: Path, bundled: Path) -> None:
    """Fixed dates in the zip and in the document properties: a second render is byte-identical."""
    again = synth_docx(runner, REPO, tmp_path)
    assert again.read_bytes() == bundled.read_bytes()
    with zipfile.ZipFile(again) as package:
        assert {info.date_time for info in package.infolist()} == {(1980, 1, 1, 0, 0, 0)}
        core = package.read("docProps/core.xml").decode()
    assert "2000-01-01T00:00:00Z" in core and "Engaging communities" in core


def test_tables_prepared_a_few_at_a_time_give_the_same_bytes(
    runner: CliRunner, tmp_path: Path, bundled: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A large review's tables are made a group at a time, as the body is written; grouping changes no byte."""
    from crm_review import docx_writer

    monkeypatch.setattr(docx_writer, "CELLS_PREPARED_AT_ONCE", 1)  # every table a group of its own
    assert synth_docx(runner, REPO, tmp_path).read_bytes() == bundled.read_bytes()


def test_the_package_holds_the_parts_python_docx_would_save(bundled: Path) -> None:
    """The package is put together from python-docx's parts, not from a package it saved: every part and
    relationship it would save is there, in its order, with the same bytes, but for the body and the
    properties, which it writes again in its own way. No thumbnail (of another document), and no Word 2010
    copy of the styles (without the styles crm adds)."""
    with zipfile.ZipFile(bundled) as ours:
        resaved = io.BytesIO()
        docx.Document(str(bundled)).save(resaved)
        with zipfile.ZipFile(resaved) as theirs:
            assert ours.namelist() == theirs.namelist()
            differ = [name for name in ours.namelist() if ours.read(name) != theirs.read(name)]
            assert differ == ["docProps/core.xml", "word/document.xml"]
        listed = [*ours.namelist(), *(ours.read(name).decode() for name in ours.namelist() if name.endswith(".rels"))]
    assert not [text for text in listed if "thumbnail" in text or "stylesWithEffects" in text]


def test_content_types_name_each_part_as_it_is_named() -> None:
    """One Default for an extension, whatever its case (a reference's image1.PNG beside crm's image2.png), and
    each Override with its part's name as it is, two spaces and all."""
    from types import SimpleNamespace

    from docx.opc.packuri import PackURI

    from crm_review.docx_writer import _content_types

    parts = [
        SimpleNamespace(partname=PackURI(name), content_type=kind)
        for name, kind in (
            ("/word/media/image1.PNG", "image/png"),
            ("/word/media/image2.png", "image/png"),
            ("/word/header  1.xml", "application/vnd.openxmlformats-officedocument.wordprocessingml.header+xml"),
        )
    ]
    types = _content_types(parts).decode()  # type: ignore[arg-type]
    assert types.count('Extension="png"') == 1 and 'Extension="PNG"' not in types
    assert '<Override PartName="/word/header  1.xml" ' in types


def test_a_reference_whose_normal_style_has_another_name(runner: CliRunner, tmp_path: Path, review: Path) -> None:
    """The styles crm adds are based on the reference's default paragraph style, whatever it is called."""
    (review / "templates").mkdir()
    reference = docx.Document()
    reference.styles["Normal"].name = "Standard"
    reference.save(str(review / "templates" / "reference.docx"))
    document = docx.Document(str(synth_docx(runner, review, tmp_path / "out")))
    assert document.styles["Compact"].base_style.name == "Standard"


def test_a_reference_whose_main_part_has_another_name(runner: CliRunner, tmp_path: Path, review: Path) -> None:
    """A package may name its main part otherwise than word/document.xml: the body still goes in it."""
    (review / "templates").mkdir()
    buffer = io.BytesIO()
    docx.Document().save(buffer)
    renamed = {"word/document.xml": "word/main.xml", "word/_rels/document.xml.rels": "word/_rels/main.xml.rels"}
    with zipfile.ZipFile(buffer) as source, zipfile.ZipFile(review / "templates" / "reference.docx", "w") as out:
        for name in source.namelist():
            data = source.read(name).replace(b"word/document.xml", b"word/main.xml")
            out.writestr(renamed.get(name, name), data)
    made = synth_docx(runner, review, tmp_path / "out")
    with zipfile.ZipFile(made) as package:
        assert "word/main.xml" in package.namelist()
        assert b"Evidence appendix" in package.read("word/main.xml")
    assert "crm-review: the body goes here" not in "".join(p.text for p in docx.Document(str(made)).paragraphs)


@pytest.mark.parametrize("leaves_out", ["w:pgSz", "w:pgMar", "w:sectPr"])
def test_a_reference_that_leaves_its_page_unsaid(
    runner: CliRunner, tmp_path: Path, review: Path, leaves_out: str
) -> None:
    """A reference.docx without a page size, margins or any page setup gets A4 with 2.5 cm margins for what
    it leaves out, as the built-in page is."""
    (review / "templates").mkdir()
    reference = docx.Document()
    body = reference.element.body
    for element in body.iter(qn(leaves_out)):
        element.getparent().remove(element)
        break
    reference.save(str(review / "templates" / "reference.docx"))
    section = docx.Document(str(synth_docx(runner, review, tmp_path / "out"))).sections[-1]
    built_in = docx.Document(str(REPO / "review" / "review.docx")).sections[-1]  # A4, 2.5 cm margins
    if leaves_out == "w:pgMar":
        assert section.page_width == docx.Document().sections[0].page_width  # the reference's Letter kept
    else:
        assert (section.page_width, section.page_height) == (built_in.page_width, built_in.page_height)
    if leaves_out != "w:pgSz":
        assert section.left_margin == section.top_margin == built_in.left_margin


def test_landscape_pages_left_open_at_the_end_are_ended() -> None:
    """A manuscript that ends on landscape pages still gets its landscape section, and its table their width."""
    from docx.enum.section import WD_ORIENT

    from crm_review.docx_writer import document_bytes
    from crm_review.manuscript import Manuscript, Orientation, Table

    table = Table(tuple("abcdefghi"), (tuple("x" * 9),), (1.0,) * 9)
    document = docx.Document(io.BytesIO(document_bytes(Manuscript("t", (), (Orientation(landscape=True), table)))))
    assert [s.orientation for s in document.sections][:2] == [WD_ORIENT.PORTRAIT, WD_ORIENT.LANDSCAPE]
    turned = document.sections[1]
    text_width = (turned.page_width or 0) - (turned.left_margin or 0) - (turned.right_margin or 0)
    grid = sum(int(col.get(qn("w:w"))) for col in document.element.body.iter(qn("w:gridCol")))
    assert abs(grid - text_width / 635) < 10


def test_the_committed_review_docx_is_up_to_date(bundled: Path) -> None:
    """review/review.docx in the repository is what the evidence renders to today."""
    assert (REPO / "review" / "review.docx").read_bytes() == bundled.read_bytes()


EVIL = (
    "id: evil-2020\n"
    'title: "A <w:p> & </w:t> study"\n'
    'authors: ["Doe, Jane"]\n'
    "year: 2020\n"
    'url: "javascript:alert(1)"\n'
    "cmocs:\n"
    "  - id: evil-2020-1\n"
    '    context: "Tabs\\there and {{ 7*7 }}, {0} and 100% (%s)"\n'
    "    mechanism: {resource: Training, response: Confidence grows}\n"
    "    outcome: More people take part.\n"
    "    direction: positive\n"
    "    principles: [quick-wins]\n"
    "    evidence:\n"
    '      - {quote: "</w:t></w:r><w:r><w:t>injected", locator: p. 3}\n'
    "  - id: evil-2020-2\n"
    # crm refuses control characters such as a bell (`\\a`) in evidence; U+FFFE is text XML still forbids
    '    context: "A noncharacter \\uFFFE that XML cannot hold"\n'
    "    mechanism: {resource: Training, response: Confidence grows}\n"
    "    outcome: More people take part.\n"
    "    direction: positive\n"
    "    principles: [quick-wins]\n"
    "    evidence:\n"
    '      - {quote: "Plain \\uFFFE in a quote.", locator: p. 4}\n'
)


def test_evidence_text_stays_text_in_word(runner: CliRunner, tmp_path: Path) -> None:
    """Markup in the evidence is shown as written; a javascript: address is text, never a link."""
    root = write_review(tmp_path / "evil", {"evil-2020.yaml": EVIL})
    path = synth_docx(runner, root, tmp_path / "out")
    document = docx.Document(str(path))
    text = "\n".join(p.text for p in document.paragraphs) + "".join(
        cell.text for table in document.tables for row in table.rows for cell in row.cells
    )
    assert "A <w:p> & </w:t> study" in text
    assert "“</w:t></w:r><w:r><w:t>injected”" in text
    assert "Tabs\there and {{ 7*7 }}, {0} and 100% (%s)" in text
    assert "javascript:alert(1)" in text
    assert "A noncharacter \ufffd that XML cannot hold" in text  # a character XML forbids, shown as �
    assert "“Plain \ufffd in a quote.”" in text  # in a quote (a styled run) too
    rels = zipfile.ZipFile(path).read("word/_rels/document.xml.rels").decode()
    assert "javascript" not in rels


def _reference(path: Path) -> None:
    """A team's reference.docx: red Heading 1 in Arial on US Letter paper."""
    document = docx.Document()
    heading = document.styles["Heading 1"]
    heading.font.color.rgb = RGBColor(0xAA, 0x00, 0x00)
    heading.font.name = "Arial"
    document.add_paragraph("This text is the template's own and must not appear.")
    document.save(str(path))


def test_a_reference_docx_gives_its_styles_and_page(runner: CliRunner, tmp_path: Path, review: Path) -> None:
    """templates/reference.docx restyles the document, as pandoc's --reference-doc does; its text is dropped."""
    (review / "templates").mkdir()
    _reference(review / "templates" / "reference.docx")
    document = docx.Document(str(synth_docx(runner, review, tmp_path / "out")))
    heading = document.styles["Heading 1"]
    assert heading.font.color.rgb == RGBColor(0xAA, 0x00, 0x00) and heading.font.name == "Arial"
    assert document.sections[0].page_width == docx.Document().sections[0].page_width  # Letter, as the reference
    assert all("template's own" not in p.text for p in document.paragraphs)


def test_a_reference_docx_without_some_styles_still_works(runner: CliRunner, tmp_path: Path, review: Path) -> None:
    """Styles the reference lacks (Compact, Bibliography, Hyperlink) are added rather than failing."""
    (review / "templates").mkdir()
    _reference(review / "templates" / "reference.docx")
    document = docx.Document(str(synth_docx(runner, review, tmp_path / "out")))
    names = {style.name for style in document.styles}
    assert {"Compact", "Bibliography", "Hyperlink", "Figure"} <= names


def test_a_broken_reference_docx_is_one_clear_error(runner: CliRunner, review: Path, in_dir: Path) -> None:
    """A reference.docx that is not a Word file names the file, says what to do, and writes nothing."""
    (review / "templates").mkdir()
    (review / "templates" / "reference.docx").write_text("not a Word file")
    before = snapshot(review)
    result = runner.invoke(app, ["synthesize", "--review", str(review)])
    assert result.exit_code == 1
    assert "templates/reference.docx: not a Word document" in result.output
    assert "Traceback" not in result.output
    assert snapshot(review) == before


if SOFFICE is None and not os.environ.get("CI"):
    office = pytest.mark.skip(reason="LibreOffice is not installed (.ci/run installs it for CI)")
else:
    office = pytest.mark.office


@office
def test_libreoffice_renders_every_heading_cmoc_and_quote(bundled: Path, tmp_path: Path) -> None:
    """LibreOffice turns review.docx into a numbered PDF whose text holds every principle, CMOC and quote."""
    assert SOFFICE is not None and PDFTOTEXT is not None, ".ci/run installs libreoffice-writer-nogui and poppler-utils"
    profile = tmp_path / "profile"  # a fresh LibreOffice profile: no state shared with a running office
    subprocess.run(
        [SOFFICE, f"-env:UserInstallation=file://{profile}", "--headless", "--convert-to", "pdf",
         "--outdir", str(tmp_path), str(bundled)],
        check=True, capture_output=True, timeout=180,
    )  # fmt: skip
    pdf = tmp_path / "review.pdf"
    text = subprocess.run([PDFTOTEXT, str(pdf), "-"], check=True, capture_output=True, text=True).stdout
    pages = text.split("\f")
    flat = " ".join(text.split())
    document = docx.Document(str(bundled))
    assert len(pages) > 5
    from crm_review.pipeline import load_valid_review

    review = load_valid_review(REPO)
    for principle in review.principles:
        assert principle.title in flat
    for _, cmoc in review.cmocs():
        assert f"CMOC {cmoc.id}" in flat
        for quote in cmoc.evidence:
            words = " ".join(quote.quote.split())
            assert words[:60] in flat or words[:60].replace(" ", "") in flat.replace(" ", ""), cmoc.id
    assert document.core_properties.title in flat
    # The footer's page number is filled in: the last page ends with its own number.
    assert pages[-2].strip().splitlines()[-1].strip() == str(len(pages) - 1)


def test_search_counts_give_a_document_flow_figure(runner: CliRunner, tmp_path: Path) -> None:
    """With search: counts in configs/review.yaml, the flow is a picture too, before the network figure."""
    path = synth_docx(runner, FIXTURES / "small-review", tmp_path)
    with zipfile.ZipFile(path) as package:
        body = package.read("word/document.xml").decode()
        pictures = sorted(name for name in package.namelist() if name.startswith("word/media/"))
    assert pictures == ["word/media/image1.png", "word/media/image2.png"]
    assert body.index('descr="Document flow') < body.index('descr="Network of principles')


def test_word_and_excel_made_in_forked_processes_are_the_same_bytes(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """On a large review each document is written by its own forked process; the bytes are the same."""
    from crm_review import pipeline

    pipeline.synthesize(REPO, out=tmp_path / "alone", formats=("docx", "xlsx"), check=False)
    monkeypatch.setattr(pipeline, "PARALLEL_FROM_CMOCS", 1)
    pipeline.synthesize(REPO, out=tmp_path / "forked", formats=("docx", "xlsx"), check=False)
    for name in ("review.docx", "evidence.xlsx"):
        assert (tmp_path / "forked" / name).read_bytes() == (tmp_path / "alone" / name).read_bytes()


def test_word_marks_quotes_as_the_markdown_does(runner: CliRunner, review: Path) -> None:
    """A quote crm verify did not find, or found on another page, carries the same note as in REVIEW.md."""
    from crm_review import figure_png
    from crm_review.analysis import analyse
    from crm_review.manuscript import Paragraph, Table, build_manuscript
    from crm_review.pipeline import load_valid_review
    from crm_review.view import build_view

    loaded = load_valid_review(review)
    verification = verification_of(
        {("doe-2020-1", 1): "not-found", ("doe-2020-2", 1): "verified", ("roe-2021-1", 1): "unchecked"},
        {("doe-2020-2", 1): "p. 230"},
        sources_without=1,
    )
    manuscript = build_manuscript(build_view(loaded, analyse(loaded), verification), figure_png)
    cells = ["".join(span.text for span in cell) for b in manuscript.blocks if isinstance(b, Table) for row in b.rows
             for cell in row if not isinstance(cell, str)]  # fmt: skip
    assert any(text.endswith("(not found in the full text)") for text in cells)
    assert any(text.endswith("(on p. 230 of the full text)") for text in cells)
    method = " ".join("".join(s.text for s in b.spans) for b in manuscript.blocks if isinstance(b, Paragraph))
    assert "1 of the 3 quotes were found verbatim, 1 not at all." in method


TRICKY_TEXTS = [
    "Plain text, as most cells are.",
    "",
    " leading space",
    "trailing space ",
    "two  spaces",
    "A <w:p> & </w:t> > study",
    "Line one\nline two\n",
    "Tabs\there",
    "Control \x01 and NUL \x00 characters",
    "A noncharacter \ufffe and \uffff",
    "No-break\u00a0space and soft\u00adhyphen",
    "“Curly” quotes, accents: Núñez, Ødegaard; emoji 🙂",
    "%s {0} 100%",
]


# Each way a text can have spaces Word would drop, found alone among texts that have none: the search over
# all texts at once must see each by itself (first, last, or between two others).
ONE_KEEPING_SPACES = [
    [" lead", "x"],
    ["x", " lead"],
    ["trail ", "x"],
    ["x", "trail "],
    ["x", "two  spaces", "y"],
    ["x", "“curly” ", "y"],
    [" "],
    ["x", "", "y"],
    ["", " "],
    ["x", "", " lead"],
    ["trail ", "", "x"],
    ["x", "", "", "y", "two  spaces"],
    [" A & <b> ", "x", "  “two” ", "y", " (Author, p. 3)", " (Author, p. 3)"],  # several, made together
]
# Each way a text can be unprintable, alone among printable texts: the search over all texts at once looks at
# ASCII texts in their joined bytes and tests only the others one by one.
ONE_UNPRINTABLE = [
    ["x", "line\nbreak", "y"],
    ["x", "tab\t", "y"],
    ["delete \x7f", "x"],
    ["x", "bell \x07"],
    ["x", "no-break\u00a0space", "“curly”"],
    ["“curly”", "line\u2028separator"],
    ["NUL \x00 inside", "x"],
]
# Unprintable texts that XML can hold, made together: line breaks and tabs anywhere, beside markup characters.
BREAKS_AND_TABS = ["Line one\nline two\n", "\n", "\tTab", "a\n\nb", "A & <b>\n", "x", "no-break\u00a0space", "\t\n "]


@pytest.mark.parametrize(
    "texts",
    [
        TRICKY_TEXTS,
        [t for t in TRICKY_TEXTS if "\x00" not in t],
        ["a"] * 3,
        *ONE_KEEPING_SPACES,
        *ONE_UNPRINTABLE,
        BREAKS_AND_TABS,
    ],
)
def test_texts_written_at_once_are_written_as_one_by_one(texts: list[str]) -> None:
    """The runs of a large review's many texts, made all at once, are the bytes each text gets on its own."""
    from crm_review.docx_writer import _plain_run, _plain_runs, _text, _texts

    assert _plain_runs(texts) == [_plain_run(text).encode() for text in texts]
    assert _texts(texts) == [_text(text).encode() for text in texts]


def test_linked_runs_made_at_once_are_made_as_one_by_one() -> None:
    """A table's links (to a CMOC, a principle, a web address) made all at once are the bytes each gets alone, and
    each web address is related once, in the order it first comes."""
    from crm_review.docx_writer import _BodyWriter, _start, _style_ids
    from crm_review.manuscript import Span

    spans = [
        Span(text, bold, italic, link)
        for text in TRICKY_TEXTS
        for bold, italic in ((False, False), (True, False), (False, True), (True, True))
        for link in ("#cmoc-known", "#unknown-anchor", "https://example.org/a?b=1&c=2", "javascript:alert(1)")
    ]

    def writer() -> _BodyWriter:
        document = _start(None)
        return _BodyWriter(document, _style_ids(document), {"cmoc-known": (1, "_crm1")})

    at_once, one_by_one = writer(), writer()
    assert at_once._linked_runs(spans) == [one_by_one._linked_run(span).encode() for span in spans]
    assert (
        at_once.links
        == one_by_one.links
        == {"https://example.org/a?b=1&c=2": at_once.links["https://example.org/a?b=1&c=2"]}
    )
