"""explorer.html without a browser: its data, the escaping of the embedded JSON, its policy, determinism."""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import html
import json
import re
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from typer.testing import CliRunner

from conftest import PRINCIPLES_YAML, REPO, write_review
from crm_review import layout
from crm_review.analysis import analyse
from crm_review.cli import app
from crm_review.explorer import explorer_data, script_safe_json
from crm_review.model import Review
from crm_review.pipeline import load_valid_review, synthesize

SOURCE = """\
id: ruiz-2019
title: "Trust </script><script>alert(1)</script> & <!-- power"
authors: ["Ruiz, Ana", "Soto, Luis", "Vera, Eva"]
year: 2019
journal: Health Expectations
volume: "22"
issue: "3"
pages: 10-19
doi: 10.1000/abc(1)2
url: "javascript:alert(1)"
design: interview study
countries: [Peru, Chile]
appraisal: {relevance: high, rigour: low}
cmocs:
  - id: ruiz-2019-1
    context: "Line\\u2028separator and paragraph\\u2029separator"
    mechanism: {resource: Forums, response: Trust grows}
    outcome: Residents join.
    direction: mixed
    principles: {quick-wins: refutes, invest-in-skills: refines}
    evidence: [{quote: "We met </SCRIPT> weekly", locator: p. 4}]
    themes: [trust]
    notes: Checked twice.
"""


@pytest.fixture
def review(tmp_path: Path) -> Path:
    return write_review(tmp_path / "review", {"ruiz-2019.yaml": SOURCE}, principles=PRINCIPLES_YAML)


def data_of(review: Review) -> dict[str, Any]:
    """The page's data as the tests read it: JSON values, looked into freely."""
    return explorer_data(review, analyse(review))


def embedded(page: str) -> str:
    match = re.search(r'<script type="application/json" id="evidence">(.*?)</script>', page, re.S)
    assert match, "the page embeds its evidence"
    return match.group(1)


def test_json_cannot_end_its_script_element() -> None:
    """<, >, & and the line separators are written as escapes; the data reads back unchanged."""
    data = {"text": "</script><script>x</script> <!-- & \u2028\u2029 é"}
    text = script_safe_json(data)
    assert not set(text) & {"<", ">", "&", "\u2028", "\u2029"}
    assert json.loads(text) == data


@given(
    st.recursive(st.text(), lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4))
)
def test_any_text_round_trips_and_never_ends_the_script(data: object) -> None:
    """Whatever the evidence says, the embedded JSON holds no character that HTML would act on."""
    text = script_safe_json(data)
    assert not set(text) & {"<", ">", "&", "\u2028", "\u2029"}
    assert json.loads(text) == data


def test_data_keeps_every_word_and_the_typed_links(review: Path) -> None:
    """Each CMOC carries its text, quotes, relations by principle and its source's facts unchanged."""
    data = data_of(load_valid_review(review))
    [source] = data["sources"]
    [cmoc] = data["cmocs"]
    assert cmoc["context"] == "Line\u2028separator and paragraph\u2029separator"
    assert cmoc["quotes"] == [["We met </SCRIPT> weekly", "p. 4"]]
    assert [(data["principles"][i]["id"], r) for i, r in cmoc["links"]] == [
        ("quick-wins", "refutes"),
        ("invest-in-skills", "refines"),
    ]
    assert cmoc["notes"] == "Checked twice." and cmoc["themes"] == ["trust"]
    assert source["cite"] == "Ruiz et al. (2019)" and source["details"] == "Health Expectations 22(3), 10-19"
    assert source["countries"] == ["Peru", "Chile"] and source["rigour"] == "low"


def test_only_http_and_doi_addresses_become_links(tmp_path: Path) -> None:
    """A DOI gets its resolver link; a javascript: URL is kept as text to show, never as a link."""
    no_doi = SOURCE.replace("id: ruiz-2019", "id: ruiz-2019b").replace("doi: 10.1000/abc(1)2\n", "")
    no_doi = no_doi.replace("ruiz-2019-1", "ruiz-2019b-1")
    files = {"ruiz-2019.yaml": SOURCE, "ruiz-2019b.yaml": no_doi}
    root = write_review(tmp_path / "links", files, principles=PRINCIPLES_YAML)
    with_doi, without = data_of(load_valid_review(root))["sources"]
    assert with_doi["link"] == "https://doi.org/10.1000/abc(1)2"
    assert without["link"] == "" and without["shownUrl"] == "javascript:alert(1)"


def test_page_embeds_the_data_safely(review: Path) -> None:
    """The written page holds exactly two scripts: the data (which parses back whole) and the explorer's."""
    synthesize(review, formats=("explorer",))
    page = (review / "review" / "explorer.html").read_text(encoding="utf-8")
    assert page.count("<script") == 2 and page.count("</script>") == 2
    assert json.loads(embedded(page)) == data_of(load_valid_review(review))
    assert "alert(1)</script>" not in page and "</SCRIPT>" not in page


def test_policy_allows_exactly_the_inlined_script_and_style(review: Path) -> None:
    """The Content-Security-Policy names the hashes of the page's own script and style, and fetches nothing."""
    synthesize(review, formats=("explorer",))
    page = (review / "review" / "explorer.html").read_text(encoding="utf-8")
    script = re.search(r"<script>(.*?)</script>", page, re.S)
    style = re.search(r"<style>(.*?)</style>", page, re.S)
    assert script and style

    def digest(text: str) -> str:
        return "sha256-" + base64.b64encode(hashlib.sha256(text.encode()).digest()).decode()

    found = re.search(r'http-equiv="Content-Security-Policy" content="([^"]+)"', page)
    assert found
    policy = html.unescape(found.group(1))
    assert f"script-src '{digest(script.group(1))}'" in policy
    assert f"style-src '{digest(style.group(1))}'" in policy
    assert policy.startswith("default-src 'none'")


def test_script_builds_the_page_from_text_only() -> None:
    """The explorer's script has no way to turn evidence into markup or code."""
    script = layout.packaged("assets", "explorer.js").read_text(encoding="utf-8")
    for sink in ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval(", "Function(", "srcdoc"):
        assert sink not in script


def test_same_evidence_gives_the_same_bytes(review: Path, tmp_path: Path) -> None:
    """Two runs write byte-identical pages."""
    synthesize(review, tmp_path / "a", formats=("explorer",))
    synthesize(review, tmp_path / "b", formats=("explorer",))
    assert (tmp_path / "a" / "explorer.html").read_bytes() == (tmp_path / "b" / "explorer.html").read_bytes()


def test_file_order_does_not_change_the_page() -> None:
    """Sources read in another order give the same data: the page depends on the evidence only."""
    review = load_valid_review(REPO)
    backwards = dataclasses.replace(review, sources=tuple(reversed(review.sources)))
    assert script_safe_json(data_of(backwards)) == script_safe_json(data_of(review))


def test_bundled_review_has_an_up_to_date_explorer() -> None:
    """review/explorer.html in the repository is what `crm synthesize` makes of evidence/."""
    data = data_of(load_valid_review(REPO))
    page = (REPO / "review" / "explorer.html").read_text(encoding="utf-8")
    assert json.loads(embedded(page)) == data
    assert len(data["cmocs"]) == sum(len(s.cmocs) for s in load_valid_review(REPO).sources)


def test_format_explorer_writes_the_explorer_alone(review: Path, runner: CliRunner) -> None:
    """`crm synthesize --format explorer` writes review/explorer.html and nothing else."""
    result = runner.invoke(app, ["synthesize", "--review", str(review), "--format", "explorer"], catch_exceptions=False)
    assert result.exit_code == 0
    assert [p.name for p in (review / "review").iterdir()] == ["explorer.html"]
    assert result.output.strip().endswith("explorer.html")


def test_team_template_can_replace_the_masthead(review: Path) -> None:
    """A team's templates/explorer.html.j2 extends the packaged page and replaces one block; the rest stays."""
    (review / "templates").mkdir()
    (review / "templates" / "explorer.html.j2").write_text(
        '{% extends "crm/explorer.html.j2" %}{% block masthead %}<h1>Team {{ view.title }}</h1>{% endblock %}\n',
        encoding="utf-8",
    )
    synthesize(review, formats=("explorer",))
    page = (review / "review" / "explorer.html").read_text(encoding="utf-8")
    assert "<h1>Team A test review</h1>" in page and "Evidence explorer</p>" not in page
    assert json.loads(embedded(page)) == data_of(load_valid_review(review))


def test_quotes_carry_what_crm_verify_found_as_the_documents_do(tmp_path: Path) -> None:
    """A quote not found, or found on another page, says so in the explorer too; a verified one says nothing."""
    from conftest import source_yaml, verification_of
    from crm_review.pipeline import load_valid_review

    root = write_review(
        tmp_path / "r",
        {
            "doe-2020.yaml": source_yaml("doe-2020", "doe-2020-1"),
            "roe-2021.yaml": source_yaml("roe-2021", "roe-2021-1"),
        },
    )
    loaded = load_valid_review(root)
    verification = verification_of(
        {("doe-2020-1", 1): "not-found", ("roe-2021-1", 1): "verified"}, {("roe-2021-1", 1): "p. 230"}
    )
    quotes = {c["id"]: c["quotes"] for c in explorer_data(loaded, analyse(loaded), verification)["cmocs"]}
    assert quotes["doe-2020-1"][0][2] == "not found in the full text"
    assert quotes["roe-2021-1"][0][2] == "on p. 230 of the full text"
    unverified = {c["id"]: c["quotes"] for c in explorer_data(loaded, analyse(loaded))["cmocs"]}
    assert all(len(q) == 2 for qs in unverified.values() for q in qs)
