"""Evidence text that could run or break an output stays inert: links, DOIs, Mermaid, XML, the terminal.

Each case has one small fixture in fixtures/hostile/ (or fixtures/invalid/), named for it.
"""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from collections.abc import Callable
from html.parser import HTMLParser
from pathlib import Path

import pytest
from markdown_it import MarkdownIt
from typer.testing import CliRunner

from conftest import FIXTURES, PRINCIPLES_YAML, write_review
from crm_review import report
from crm_review.cli import app
from crm_review.errors import Problem
from crm_review.escape import doi_url, href, md_inline, mermaid_label, visible
from crm_review.export import export_graph
from crm_review.graph import build_graph
from crm_review.model import DOI_PATTERN
from crm_review.pipeline import load_valid_review, synthesize

HOSTILE = FIXTURES / "hostile"
CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def hostile_review(tmp_path: Path, source: str | None = None, principles: str = PRINCIPLES_YAML) -> Path:
    sources = {source: (HOSTILE / source).read_text(encoding="utf-8")} if source else {}
    return write_review(tmp_path / "r", sources, principles=principles)


# --- links ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "javascript:alert(1)",
        " JavaScript:alert(1)",
        "java\tscript:alert(1)",
        "data:text/html,<script>alert(1)</script>",
        "vbscript:msgbox",
        "//evil.example/x",
        "https://",
        "https:///path-only",
        "https://exa\u202emple.org",
        "https://example.org/a b",
        "https://[::1",
        "https://example.org:port/",
        "www.example.org",
    ],
)
def test_only_http_and_https_with_a_host_become_links(url: str) -> None:
    """Anything but an http(s) URL with a host is shown as text, never made a link."""
    assert href(url) is None


@pytest.mark.parametrize(
    ("url", "link"),
    [
        ("https://example.org/a?b=1&c=2#d", "https://example.org/a?b=1&c=2#d"),
        ("HTTP://Example.org/x", "http://Example.org/x"),
        ('https://example.org/a(b)"<c>`{d}', "https://example.org/a%28b%29%22%3Cc%3E%60%7Bd%7D"),
        ("https://example.org/café?q=50%", "https://example.org/caf%C3%A9?q=50%25"),
        ("https://bücher.example/x", "https://xn--bcher-kva.example/x"),
    ],
)
def test_links_are_percent_encoded_so_they_cannot_end_early(url: str, link: str) -> None:
    """A live link carries no quote, bracket, parenthesis or space that could close an attribute or a link."""
    assert href(url) == link


def test_doi_url_encodes_everything_a_link_could_trip_on() -> None:
    """Even an old Wiley DOI with `<` and `>` gives a link with neither, nor quotes or spaces."""
    link = doi_url("10.1002/(SICI)1097-4571(199806)49:8<693::AID-ASI4>3.0.CO;2-O")
    assert link == "https://doi.org/10.1002/(SICI)1097-4571(199806)49:8%3C693::AID-ASI4%3E3.0.CO;2-O"
    assert not set(link) & set("<>\"' `")


@pytest.mark.parametrize(
    "doi",
    [
        "10.1111/hex.12996",
        "10.1186/s12913-018-3090-1",
        "10.1016/S0140-6736(20)30183-5",
        "10.1000.10/abc",
        "10.1002/(SICI)1097-4571(199806)49:8<693::AID-ASI4>3.0.CO;2-O",
        "10.1175/1520-0469(1999)056<0001:TEOTDI>2.0.CO;2",
    ],
)
def test_real_dois_follow_the_grammar(doi: str) -> None:
    """Registered DOIs, including the SICI form of old Wiley and AMS DOIs, are accepted."""
    assert DOI_PATTERN.fullmatch(doi)


@pytest.mark.parametrize(
    "doi",
    [
        "10.1234/x><script>alert(1)</script>",
        '10.1234/x" onmouseover="alert(1)',
        "10.1234/a b",
        "10.1234/<a::b>",
        "10.12/short-prefix",
        "10.1234/",
        "hex.12996",
    ],
)
def test_text_that_is_not_a_doi_is_rejected(doi: str) -> None:
    """Markup, quotes and spaces cannot pass as a DOI."""
    assert not DOI_PATTERN.fullmatch(doi)


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.hrefs: list[str] = []
        self.tags: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self.hrefs += [v or "" for k, v in attrs if k in {"href", "src", "action", "formaction"}]


def markdown_links(text: str) -> list[str]:
    tokens = MarkdownIt("commonmark", {"html": True}).parse(text)
    children = [c for t in tokens for c in (t.children or [])]
    return [str(c.attrs["href"]) for c in children if c.type == "link_open"]


def test_javascript_url_is_never_a_live_link(tmp_path: Path) -> None:
    """`url: "javascript:alert(1)"` is shown as text in REVIEW.md and review.html, never linked."""
    root = hostile_review(tmp_path, "javascript-url.yaml")
    synthesize(root)
    page = _Links()
    page.feed((root / "review" / "review.html").read_text(encoding="utf-8"))
    links = page.hrefs + markdown_links((root / "review" / "REVIEW.md").read_text(encoding="utf-8"))
    assert links and all(link.startswith(("#", "https://", "http://")) for link in links), links
    assert "javascript:alert(1)" in (root / "review" / "review.html").read_text(encoding="utf-8")


def test_doi_with_brackets_is_one_whole_link(tmp_path: Path) -> None:
    """An old Wiley DOI with `<`, `>` and parentheses is one working link in both documents, never markup."""
    root = hostile_review(tmp_path, "sici-doi.yaml")
    synthesize(root)
    link = "https://doi.org/10.1002/(SICI)1097-4571(199806)49:8%3C693::AID-ASI4%3E3.0.CO;2-O"
    page = _Links()
    page.feed((root / "review" / "review.html").read_text(encoding="utf-8"))
    assert link in page.hrefs and "asi4" not in page.tags
    assert link in markdown_links((root / "review" / "REVIEW.md").read_text(encoding="utf-8"))


# --- Mermaid -------------------------------------------------------------------------------------


def mermaid_blocks(markdown: str) -> list[str]:
    return re.findall(r"```mermaid\n(.*?)```", markdown, re.DOTALL)


@pytest.mark.parametrize("case", ["mermaid-init-in-author", "mermaid-init-in-principle-title"])
def test_mermaid_directive_in_evidence_is_not_obeyed(tmp_path: Path, runner: CliRunner, case: str) -> None:
    """`%%{init: ...}%%` in an author or a principle title reaches no diagram as a directive or comment."""
    if case == "mermaid-init-in-author":
        root = hostile_review(tmp_path, f"{case}.yaml")
    else:
        principles = (HOSTILE / f"{case}.yaml").read_text(encoding="utf-8")
        root = hostile_review(tmp_path, "mermaid-init-in-author.yaml", principles=principles)
    synthesize(root)
    exported = runner.invoke(app, ["graph", "--review", str(root), "--format", "mermaid"], catch_exceptions=False)
    diagrams = [*mermaid_blocks((root / "review" / "REVIEW.md").read_text(encoding="utf-8")), exported.stdout]
    assert len(diagrams) >= 2
    for diagram in diagrams:
        assert "%%" not in diagram
    assert any("#37;#37;{init" in diagram for diagram in diagrams)


def test_mermaid_label_codes_percent_signs() -> None:
    """The label escaper writes `%` as Mermaid's entity code, so `%%` can never appear."""
    assert mermaid_label('50% %%{init: {"x": 1}}%%') == "50#37; #37;#37;{init: {#quot;x#quot;: 1}}#37;#37;"


# --- control characters in every output ----------------------------------------------------------

# What a YAML double-quoted string can carry: "\0", "\a", "\e", "\x9b", a bidi override, a lone surrogate.
NASTY = "a\x00b\x07c\x1b]0;pwned\x07d\x9be\u202ef\ud800g\ufffeh"


def nasty_graph() -> object:
    graph = build_graph(load_valid_review(FIXTURES / "small-review"))
    for _, data in graph.nodes(data=True):
        data["label"] = NASTY
        data["notes"] = NASTY
    graph.graph["title"] = NASTY
    return graph


@pytest.mark.parametrize("fmt", ["graphml", "gexf"])
def test_xml_exports_stay_well_formed_with_control_characters(fmt: str) -> None:
    """GraphML and GEXF parse as XML whatever control characters the evidence holds, shown as escapes."""
    text = export_graph(nasty_graph(), fmt)  # type: ignore[arg-type]
    ET.fromstring(text.encode("utf-8"))
    assert "a\\x00b\\x07c\\x1b]0;pwned\\x07d\\x9be\\u202ef\\ud800g\\ufffeh" in text


def test_json_export_keeps_control_characters_exactly_as_escapes() -> None:
    """The JSON export reads back to the very same text, and carries no raw control character."""
    text = export_graph(nasty_graph(), "json")  # type: ignore[arg-type]
    assert not CONTROL.search(text)
    labels = {node["label"] for node in json.loads(text)["nodes"]}
    assert labels == {NASTY}


@pytest.mark.parametrize("fmt", ["dot", "mermaid"])
def test_text_exports_carry_no_raw_control_characters(fmt: str) -> None:
    """DOT and Mermaid show control characters as escapes and stay encodable as UTF-8."""
    text = export_graph(nasty_graph(), fmt)  # type: ignore[arg-type]
    assert not CONTROL.search(text)
    text.encode("utf-8")


def test_document_escapers_show_control_characters() -> None:
    """Markdown and Mermaid text never carry a raw control character; the reader sees where one was."""
    assert md_inline("a\x1bb") == "a\\\\x1bb"
    assert not CONTROL.search(md_inline(NASTY) + mermaid_label(NASTY))
    assert visible("line\nnext\ttab") == "line\nnext\ttab"


def test_escaped_key_is_shown_not_obeyed_by_the_terminal(tmp_path: Path, runner: CliRunner) -> None:
    """An ESC sequence written into a key gives one located line and reaches the terminal as no control code."""
    root = hostile_review(tmp_path, "escaped-key.yaml")
    result = runner.invoke(app, ["validate", "--review", str(root)])
    assert result.exit_code == 1
    assert not CONTROL.search(result.output)
    errors = [line for line in result.output.splitlines() if ": error: " in line]
    assert len(errors) == 1 and errors[0].startswith(f"{root}/evidence/escaped-key.yaml:3:")
    as_json = runner.invoke(app, ["validate", "--review", str(root), "--format", "json"])
    assert not CONTROL.search(as_json.stdout)


@pytest.mark.parametrize("argv", [["show", "\x1b]0;pwned\x07"], ["list", "cmocs", "--principle", "\x1b[2J"]])
def test_text_typed_on_the_command_line_is_shown_not_obeyed(argv: list[str], runner: CliRunner) -> None:
    """An id typed with an ESC sequence comes back in the error as visible `\\x1b`, on one line."""
    result = runner.invoke(app, [*argv, "--review", str(FIXTURES / "small-review")])
    assert result.exit_code == 1
    assert not CONTROL.search(result.output)
    assert len(result.output.splitlines()) == 1 and "\\x1b" in result.output


@pytest.mark.parametrize("render", [report.as_text, report.as_github])
def test_problem_lines_are_one_line_without_control_characters(render: Callable[[list[Problem]], list[str]]) -> None:
    """A message quoting a newline or an ESC from a file stays on its one line, the characters shown."""
    problem = Problem(Path("evidence/x.yaml"), 3, 1, "unknown key `a\nb\x1b[2J`")
    [line] = render([problem])
    assert "\n" not in line and not CONTROL.search(line)
    assert "\\x1b[2J" in line
