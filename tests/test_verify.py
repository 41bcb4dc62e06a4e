"""`crm verify` as a user runs it on a typeset PDF: each outcome, located, with the summary and exit codes."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from conftest import FIXTURES, REPO, SEEDS, write_review
from crm_review import fulltext
from crm_review.cli import app
from crm_review.verify import Searchable, find_quote, locator_pages, normalise, verify_review, word_differences

PDFS = FIXTURES / "fulltext"
SOURCE = "fixture-2024"
EVIDENCE = f"evidence/{SOURCE}.yaml"
FIRST_QUOTE_LINE = 14  # see evidence_yaml: quote n stands on line 14 + 2 (n - 1), its text at column 16

TWO_COLUMN_QUOTES = [
    # "organisa-|tions" and "dif-|ficult" are hyphenated across lines; "fi" is a ligature.
    ("yet the organisations behind them found it difficult to share decisions about money.", "p. 229"),
    # runs from the foot of the left column to the top of the right one
    (
        "influence flowed to residents only where staff had the confidence and the office support to let go "
        "of decisions they were used to making alone.",
        "p. 229",
    ),
    # the PDF loses the spaces of this tight line: "meetingsandinterviewedtwenty-"
    (
        "We observed forty-one forum meetings and interviewed twenty-six residents, eleven professionals and four managers.",
        "p. 229",
    ),
    ("Conflict arose as soon as budgets were discussed.", "pp. 230-1"),
    # "engage-" ends page 229 above its page number; "ment." starts page 230
    (
        "coded in two rounds: first inductively, then against the eight guiding principles for community engagement.",
        "pp. 229-30",
    ),
    (
        "Forums that controlled even a modest budget kept their members ... forums that could only advise lost them.",
        "p. 231",
    ),
]


def evidence_yaml(quotes: list[tuple[str, str]], extra: str = "") -> str:
    """An evidence file with one CMOC holding ``quotes`` (text, locator), each on a line of its own."""
    lines = [
        f"id: {SOURCE}",
        "title: Neighbourhood forums and the difficult work of engagement",
        'authors: ["Fixture, A.", "Example, B."]',
        "year: 2024",
        "appraisal: {relevance: high, rigour: moderate}",
        "cmocs:",
        f"  - id: {SOURCE}-1",
        "    context: Forums without a budget of their own.",
        "    mechanism: {resource: A budget the forum controls, response: Members see their decisions count}",
        "    outcome: Members stay.",
        "    direction: positive",
        "    principles: [quick-wins]",
        "    evidence:",
    ]
    for quote, locator in quotes:
        lines += [f"      - quote: {json.dumps(quote, ensure_ascii=False)}", f"        locator: {json.dumps(locator)}"]
    text = "\n".join(lines) + "\n"
    return text.replace("cmocs:\n", extra + "cmocs:\n") if extra else text


@pytest.fixture
def paper_review(tmp_path: Path, in_dir: Path) -> Path:
    """A review in the current folder whose one source has the typeset PDF as its full text."""
    root = write_review(tmp_path, {})
    (root / "fulltext").mkdir()
    shutil.copy(PDFS / "paper.pdf", root / "fulltext" / f"{SOURCE}.pdf")
    return root


def run_verify(runner: CliRunner, *args: str) -> tuple[int, list[str], str]:
    result = runner.invoke(app, ["verify", "--review", ".", *args])
    return result.exit_code, result.stdout.splitlines(), result.stderr.strip()


def write_evidence(root: Path, quotes: list[tuple[str, str]], extra: str = "") -> None:
    (root / EVIDENCE).write_text(evidence_yaml(quotes, extra), encoding="utf-8")


def at(number: int) -> str:
    return f"{EVIDENCE}:{FIRST_QUOTE_LINE + 2 * (number - 1)}:16"


# --- the outcomes, as the user sees them ---------------------------------------------------------


def test_quotes_from_a_typeset_two_column_pdf_are_verified(paper_review: Path, runner: CliRunner) -> None:
    """Ligatures, hyphenation across lines, columns, lost spaces and an ellipsis do not stop a verbatim quote."""
    write_evidence(paper_review, TWO_COLUMN_QUOTES)
    code, lines, summary = run_verify(runner)
    assert (code, lines) == (0, [])
    assert summary == "6 quote(s): 6 verified, 0 approximate, 0 not found; 0 source(s) without a full text"


def test_approximate_quote_is_a_located_warning_with_the_word_that_differs(
    paper_review: Path, runner: CliRunner
) -> None:
    """A spelling changed in the quote is shown word by word; --strict makes it fail."""
    write_evidence(paper_review, [(TWO_COLUMN_QUOTES[0][0].replace("organisations", "organizations"), "p. 229")])
    code, lines, summary = run_verify(runner)
    assert code == 0
    assert lines == [
        f"{at(1)}: warning: CMOC `{SOURCE}-1`, quote 1: found only approximately in fulltext/{SOURCE}.pdf (p. 229): "
        "the paper has `organisations` where the quote has `organizations`: copy the paper's words"
    ]
    assert "0 verified, 1 approximate, 0 not found" in summary
    assert run_verify(runner, "--strict")[0] == 1


def test_quote_not_in_the_paper_is_an_error_showing_the_closest_passage_and_its_page(
    paper_review: Path, runner: CliRunner
) -> None:
    """The reviewer sees which passage comes closest, and on which page, to mend the quote."""
    write_evidence(paper_review, [("Conflict arose once the budgets and salaries of staff were discussed.", "p. 230")])
    code, lines, summary = run_verify(runner)
    assert code == 1
    assert len(lines) == 1
    assert lines[0].startswith(f"{at(1)}: error: CMOC `{SOURCE}-1`, quote 1: not found in fulltext/{SOURCE}.pdf; ")
    assert "the closest passage (p. 230) reads " in lines[0]
    assert lines[0].endswith('Conflict arose as soon as budgets were discussed."')
    assert "0 verified, 0 approximate, 1 not found" in summary


def test_quote_on_another_page_than_its_locator_is_a_warning_naming_the_page(
    paper_review: Path, runner: CliRunner
) -> None:
    """`p. 233` for a quote printed on page 230 says where it is; `pp. 229-30` covering it is fine."""
    quote = TWO_COLUMN_QUOTES[3][0]
    write_evidence(paper_review, [(quote, "p. 233"), (quote, "pp. 229-30")])
    code, lines, summary = run_verify(runner)
    assert code == 0
    assert lines == [
        f"{at(1)}: warning: CMOC `{SOURCE}-1`, quote 1: the locator `p. 233` names p. 233, "
        f"but the quote is on p. 230 of fulltext/{SOURCE}.pdf"
    ]
    assert summary.endswith("; 1 quote(s) on another page than their locator says")


def test_pdf_without_page_labels_counts_pages_from_first_page(tmp_path: Path, in_dir: Path, runner: CliRunner) -> None:
    """Without page labels, `first_page:` gives the printed number of the PDF's first page."""
    root = write_review(tmp_path, {})
    (root / "fulltext").mkdir()
    shutil.copy(PDFS / "paper-no-labels.pdf", root / "fulltext" / f"{SOURCE}.pdf")
    quote = TWO_COLUMN_QUOTES[3][0]
    write_evidence(root, [(quote, "p. 230")], extra="first_page: 229\n")
    assert run_verify(runner)[1] == []
    write_evidence(root, [(quote, "p. 230")])
    _, lines, _ = run_verify(runner)
    assert lines == [
        f"{at(1)}: warning: CMOC `{SOURCE}-1`, quote 1: the locator `p. 230` names p. 230, but the quote is on "
        f"p. 2 of fulltext/{SOURCE}.pdf (counting the PDF's pages from 1: if its first page carries another "
        "number, add `first_page:` to the source)"
    ]


def test_pdf_without_text_layer_is_one_message_not_a_wall_of_not_found(
    tmp_path: Path, in_dir: Path, runner: CliRunner
) -> None:
    """A scanned PDF gets one warning saying it needs OCR; its quotes are counted as not checked."""
    root = write_review(tmp_path, {})
    (root / "fulltext").mkdir()
    shutil.copy(PDFS / "scanned.pdf", root / "fulltext" / f"{SOURCE}.pdf")
    write_evidence(root, TWO_COLUMN_QUOTES[:2])
    code, lines, summary = run_verify(runner)
    assert code == 0
    assert lines == [
        f"fulltext/{SOURCE}.pdf: warning: no text layer (a scan or pictures of pages): its 2 quote(s) were not "
        "checked; run OCR on it first (e.g. `ocrmypdf --force-ocr in.pdf out.pdf`) and save the result in its place"
    ]
    assert summary == (
        "2 quote(s): 0 verified, 0 approximate, 0 not found, 2 not checked; 0 source(s) without a full text"
    )
    assert run_verify(runner, "--strict")[0] == 1


def test_sources_without_a_full_text_are_counted(review: Path, runner: CliRunner) -> None:
    """A review with no full texts verifies nothing, says so, and does not fail."""
    result = runner.invoke(app, ["verify", "--review", str(review)])
    assert result.exit_code == 0
    assert result.stderr.strip() == (
        "3 quote(s): 0 verified, 0 approximate, 0 not found, 3 not checked; 2 source(s) without a full text"
    )


def test_json_format_carries_each_quotes_status(paper_review: Path, runner: CliRunner) -> None:
    """--format json gives scripts every quote's status and page, and the problems."""
    write_evidence(paper_review, [TWO_COLUMN_QUOTES[3], ("Nothing like this sentence is in the paper at all.", "p. 1")])
    code, lines, _ = run_verify(runner, "--format", "json")
    assert code == 1
    data = json.loads("\n".join(lines))
    assert [(q["cmoc"], q["quote"], q["status"], q["pages"]) for q in data["quotes"]] == [
        (f"{SOURCE}-1", 1, "verified", ["230"]),
        (f"{SOURCE}-1", 2, "not-found", data["quotes"][1]["pages"]),
    ]
    assert data["summary"]["verified"] == 1 and data["summary"]["not_found"] == 1
    assert data["problems"][0]["line"] == FIRST_QUOTE_LINE + 2


def test_github_format_annotates_the_quote(paper_review: Path, runner: CliRunner) -> None:
    """--format github puts the warning on the quote's line in the pull request."""
    write_evidence(paper_review, [(TWO_COLUMN_QUOTES[0][0].replace("difficult", "dificult"), "p. 229")])
    _, lines, _ = run_verify(runner, "--format", "github")
    assert lines == [
        f"::warning file={EVIDENCE},line={FIRST_QUOTE_LINE},col=16::CMOC `{SOURCE}-1`, quote 1: found only "
        f"approximately in fulltext/{SOURCE}.pdf (p. 229): the paper has `difficult` where the quote has "
        "`dificult`: copy the paper's words"
    ]


# --- where full texts are found -----------------------------------------------------------------


def test_fulltext_path_on_the_source(tmp_path: Path, in_dir: Path, runner: CliRunner) -> None:
    """`fulltext:` on a source names its file; a wrong path is an error on that line (and the file unclaimed)."""
    root = write_review(tmp_path, {})
    (root / "fulltext").mkdir()
    shutil.copy(PDFS / "paper.pdf", root / "fulltext" / "forums.pdf")
    write_evidence(root, TWO_COLUMN_QUOTES[:1], extra="fulltext: fulltext/forums.pdf\n")
    assert run_verify(runner)[:2] == (0, [])
    write_evidence(root, TWO_COLUMN_QUOTES[:1], extra="fulltext: fulltext/forum.pdf\n")
    code, lines, _ = run_verify(runner)
    assert code == 1
    assert lines == [
        f"{EVIDENCE}:6:11: error: `fulltext`: fulltext/forum.pdf is not there: give the path from the review folder",
        "fulltext/forums.pdf: warning: no source has the id `forums`: name the file after its source's id",
    ]


def test_fulltext_folder_outside_the_review(tmp_path: Path, runner: CliRunner, monkeypatch: pytest.MonkeyPatch) -> None:
    """`--fulltext DIR` and `fulltext:` in configs/review.yaml find PDFs kept out of the repository."""
    root = write_review(tmp_path / "review", {})
    outside = tmp_path / "private-pdfs"
    outside.mkdir()
    shutil.copy(PDFS / "paper.pdf", outside / f"{SOURCE}.pdf")
    write_evidence(root, TWO_COLUMN_QUOTES[:1])
    monkeypatch.chdir(root)
    assert "1 verified" in run_verify(runner, "--fulltext", str(outside))[2]
    assert "1 source(s) without a full text" in run_verify(runner)[2]
    with (root / "configs" / "review.yaml").open("a", encoding="utf-8") as config:
        config.write("fulltext: ../private-pdfs\n")
    assert "1 verified" in run_verify(runner)[2]


def test_full_text_named_after_no_source_is_a_warning(paper_review: Path, runner: CliRunner) -> None:
    """A typo in a full text's file name is caught rather than silently leaving a source unchecked."""
    write_evidence(paper_review, TWO_COLUMN_QUOTES[:1])
    shutil.copy(PDFS / "paper.pdf", paper_review / "fulltext" / "fixture-2042.pdf")
    _, lines, _ = run_verify(runner)
    assert lines == [
        f"fulltext/fixture-2042.pdf: warning: no source has the id `fixture-2042`: did you mean `{SOURCE}.pdf`?"
    ]


def test_journal_web_page_as_full_text(tmp_path: Path, in_dir: Path, runner: CliRunner) -> None:
    """An HTML page's curly quotes, soft hyphens and inline markup do not stop a verbatim quote."""
    root = write_review(tmp_path, {})
    (root / "fulltext").mkdir()
    shutil.copy(PDFS / "journal-page.html", root / "fulltext" / f"{SOURCE}.html")
    quotes = [
        ('Residents described the forums as "a place at the table", but the organisations', "Abstract"),
        ("staff had been given time, training and a manager's backing to share decisions - not goodwill", "p. 9"),
    ]
    write_evidence(root, quotes)
    code, lines, summary = run_verify(runner)
    assert (code, lines) == (0, [])
    assert "2 verified" in summary


def test_invalid_evidence_is_reported_before_any_quote_is_checked(paper_review: Path, runner: CliRunner) -> None:
    """Broken evidence gives validate's located errors and exit 1."""
    (paper_review / EVIDENCE).write_text(evidence_yaml(TWO_COLUMN_QUOTES[:1]).replace("context:", "contxt:"))
    code, _, summary = run_verify(runner)
    assert code == 1
    assert "unknown key `contxt`: did you mean `context`?" in summary


def test_bundled_review_quotes_are_all_verified_against_the_seed_texts() -> None:
    """Every quote of the review this repository holds stands verbatim in its paper's text."""
    result = verify_review(REPO)
    assert result.problems == ()
    assert result.without_fulltext == ()
    assert {check.status for check in result.checks} == {"verified"}


def test_loaded_review_gets_the_same_statuses(paper_review: Path) -> None:
    """What the review document reports is what `crm verify` finds."""
    from crm_review.pipeline import load_valid_review
    from crm_review.verify import verify_quotes

    write_evidence(paper_review, [TWO_COLUMN_QUOTES[0], ("Not in the paper, not at all, not even close.", "p. 1")])
    by_command = verify_review(paper_review)
    for_document = verify_quotes(load_valid_review(paper_review), paper_review)
    assert (
        [c.status for c in for_document.checks]
        == [c.status for c in by_command.checks]
        == [
            "verified",
            "not-found",
        ]
    )


# --- the rules underneath -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("extracted", "normal"),
    [
        ("the \ufb01rst \ufb02ow", "the first flow"),  # ligatures
        ("organi\u00adsations", "organisations"),  # soft hyphen
        ("organisa-\n  tions", "organisations"),  # hyphenated at a line end
        ("\u2018meaningful participation\u2019 and \u201cvoice\u201d", "'meaningful participation' and \"voice\""),
        ("decisions\u2014not goodwill \u2013 alone", "decisions-not goodwill - alone"),
        ("a  mental\u00a0health\n\tservice", "a mental health service"),
    ],
)
def test_normal_form_undoes_what_extraction_changes(extracted: str, normal: str) -> None:
    """What text extraction changes is not taken for a difference."""
    assert normalise(extracted) == normal


@pytest.mark.parametrize(
    ("locator", "pages"),
    [
        ("p. 233", ("233",)),
        ("pp. 233-4", ("233", "234")),
        ("pp. 233\u2013235", ("233", "234", "235")),
        ("p.12, para 2", ("12",)),
        ("page 7", ("7",)),
        ("Abstract, Findings", ()),
        ("Table 2", ()),
    ],
)
def test_locator_pages(locator: str, pages: tuple[str, ...]) -> None:
    """Page numbers are read from the usual ways of writing them; a section name names none."""
    assert locator_pages(locator) == pages


def test_repeated_passage_is_matched_on_the_page_the_locator_names() -> None:
    """A sentence printed twice counts as found where the locator says, not at its first place."""
    paper = Searchable.of(["We learnt a lot.", "Other words.", "We learnt a lot."], ["1", "2", "3"])
    assert find_quote(paper, "We learnt a lot.", ("3",)).pages == ("3",)
    assert find_quote(paper, "We learnt a lot.").pages == ("1",)


def test_words_around_the_passage_are_not_differences() -> None:
    """The paper's words just before or after the quoted passage are not reported as left out."""
    assert word_differences("given time and money", "staff were given tme and money to") == (
        "the paper has `tme` where the quote has `time`",
    )


def test_quotation_marks_around_the_whole_quote_are_not_a_difference() -> None:
    """A quote pasted with its quotation marks is the same words."""
    assert find_quote(PAPER, "\u201cConflict arose as soon as budgets were discussed.\u201d").status == "verified"


def test_word_differences_name_each_change() -> None:
    """Words changed, added and left out are each said in the reviewer's terms."""
    assert word_differences("staff were given time and money", "staff had been given time") == (
        "the paper has `had been` where the quote has `were`",
        "the quote has `and money`, which the paper does not",
    )


def test_init_offers_the_fulltext_setting_and_ignores_the_cache(tmp_path: Path, runner: CliRunner) -> None:
    """A new review shows where full texts may live, and keeps extracted text out of git."""
    assert runner.invoke(app, ["init", str(tmp_path / "r")]).exit_code == 0
    config = (tmp_path / "r" / "configs" / "review.yaml").read_text(encoding="utf-8")
    ignored = (tmp_path / "r" / ".gitignore").read_text(encoding="utf-8").splitlines()
    assert "# fulltext: ../review-pdfs" in config.splitlines()
    assert ".crm-cache/" in ignored
    assert "# fulltext/" in ignored


PAPER_PAGES = [page.text for page in fulltext.extract(PDFS / "paper.pdf", None).pages]
PAPER = Searchable.of(PAPER_PAGES, ["229", "230", "231"])
# The page numbers at the pages' feet are not part of any passage a reviewer would quote.
PAPER_WORDS = [word for word in "\n".join(PAPER_PAGES).split() if word not in {"229", "230", "231"}]


@given(st.data())
@settings(max_examples=200, deadline=None)
def test_any_run_of_words_copied_from_the_extracted_text_is_verified(data: st.DataObject) -> None:
    """Whatever a reviewer copies out of the PDF, line breaks and hyphens included, counts as verbatim."""
    start = data.draw(st.integers(0, len(PAPER_WORDS) - 3))
    length = data.draw(st.integers(3, 40))
    quote = " ".join(PAPER_WORDS[start : start + length])
    assume(not quote.endswith("-"))  # half of a word broken at a line end: not something anyone quotes
    assert find_quote(PAPER, quote).status == "verified", quote


@given(st.text())
def test_normal_form_is_stable(text: str) -> None:
    """Normalising twice changes nothing more than normalising once."""
    assert normalise(normalise(text)) == normalise(text)


# --- in the review document ------------------------------------------------------------------------


def test_bundled_review_document_states_the_verification() -> None:
    """The Method section, review.json and RAMESES item 10 say that every quote was verified."""
    markdown = (REPO / "review" / "REVIEW.md").read_text(encoding="utf-8")
    data = json.loads((REPO / "review" / "review.json").read_text(encoding="utf-8"))
    assert "20 of the 20 quotes were found verbatim." in markdown
    assert data["verification"]["verified"] == data["verification"]["quotes"] == 20
    assert {q["verification"] for c in data["cmocs"] for q in c["evidence"]} == {"verified"}
    item_10 = next(item for item in data["rameses"] if item["item"] == 10)
    assert "20 of 20 quotes verified against the full texts" in item_10["note"]


def test_document_reports_quotes_not_found_where_they_stand(paper_review: Path, runner: CliRunner) -> None:
    """A quote not in the paper, or on another page, is counted in the Method and flagged in the appendix."""
    not_there = ("Not in the paper, not at all, not even close.", "p. 1")
    elsewhere = (TWO_COLUMN_QUOTES[3][0], "p. 233")
    write_evidence(paper_review, [TWO_COLUMN_QUOTES[0], not_there, elsewhere])
    result = runner.invoke(app, ["synthesize", "--review", "."], catch_exceptions=False)
    assert result.exit_code == 0
    markdown = (paper_review / "review" / "REVIEW.md").read_text(encoding="utf-8")
    html = (paper_review / "review" / "review.html").read_text(encoding="utf-8")
    data = json.loads((paper_review / "review" / "review.json").read_text(encoding="utf-8"))
    assert "2 of the 3 quotes were found verbatim, 1 not at all." in markdown
    assert (
        "“Not in the paper, not at all, not even close.” (Fixture & Example 2024, p. 1) *(not found in the full text)*"
        in markdown
    )
    assert "<em>(not found in the full text)</em>" in html
    assert "discussed.” (Fixture & Example 2024, p. 233) *(on p. 230 of the full text)*" in markdown
    assert [(q["verification"], q.get("found_on")) for q in data["cmocs"][0]["evidence"]] == [
        ("verified", None),
        ("not-found", None),
        ("verified", "p. 230"),
    ]


def test_document_without_full_texts_says_quotes_were_not_checked(review: Path, runner: CliRunner) -> None:
    """A review with no full texts does not claim a check it did not make."""
    assert runner.invoke(app, ["synthesize", "--review", str(review)]).exit_code == 0
    markdown = (review / "review" / "REVIEW.md").read_text(encoding="utf-8")
    assert "The quotes were not checked against the full texts of their sources" in markdown


def test_synthesize_check_writes_no_cache(paper_review: Path, runner: CliRunner) -> None:
    """`crm synthesize --check` keeps its promise to write nothing, cache included."""
    write_evidence(paper_review, TWO_COLUMN_QUOTES[:1])
    assert runner.invoke(app, ["synthesize", "--review", "."]).exit_code == 0
    shutil.rmtree(paper_review / ".crm-cache")
    assert runner.invoke(app, ["synthesize", "--review", ".", "--check"]).exit_code == 0
    assert not (paper_review / ".crm-cache").exists()


@pytest.mark.parametrize(
    ("copy", "seed"),
    [
        ("montenegro-2020.md", "000_7795ed4a8f575a0e.txt"),
        ("de-weger-2018.txt", "002_f1ad4769d9162f31.txt"),
        ("arriola-vigo-nd.txt", "003_375066f7a9202211.txt"),
    ],
)
def test_bundled_full_texts_are_the_seed_texts_unchanged(copy: str, seed: str) -> None:
    """The quotes are verified against the papers' texts as received, not against an edited copy."""
    if not (SEEDS / seed).is_file():
        if os.environ.get("CI"):
            pytest.fail(f"the seed papers are missing: {SEEDS}")
        pytest.skip("../shared/seeds is not beside this checkout")
    assert (REPO / "fulltext" / copy).read_bytes() == (SEEDS / seed).read_bytes()


@pytest.mark.parametrize("with_fulltext", [False, True], ids=["no-full-text", "a-full-text"])
def test_the_documents_report_what_verifying_every_quote_reports(paper_review: Path, with_fulltext: bool) -> None:
    """The review document's counts are those of checking each quote, whether or not any source has a
    full text (without one, every quote is counted unchecked without being looked for)."""
    from crm_review.pipeline import load_valid_review
    from crm_review.verify import for_document, for_review, verify_quotes

    write_evidence(paper_review, [("A quote the paper may not hold.", "p. 1"), ("Another one.", "p. 2")])
    if not with_fulltext:
        shutil.rmtree(paper_review / "fulltext")
    review = load_valid_review(paper_review)
    checked = for_document(verify_quotes(review, paper_review), len(review.sources))
    assert for_review(review, paper_review) == checked
    assert (checked.quotes, checked.unchecked) == (2, 0 if with_fulltext else 2)
