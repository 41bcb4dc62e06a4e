"""Getting evidence in from the command line: `crm init`, `crm add`, `crm import`, as users run them."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import typer.core
import typer.main
from typer.testing import CliRunner

from conftest import FIXTURES, snapshot, source_yaml, write_review
from crm_review import prompts
from crm_review.cli import SOURCE_OPTIONS, app
from crm_review.model import SOURCE_FIELDS
from crm_review.pipeline import validate

IMPORTS = FIXTURES / "import"


def unlocked(root: Path) -> dict[str, bytes]:
    return {k: v for k, v in snapshot(root).items() if k != ".crm.lock"}


# `crm init` is tested in tests/test_init.py.


# --- add -----------------------------------------------------------------------------------------

CMOC_FLAGS = [
    "--source", "doe-2020", "--context", "Citizens new to committees", "--resource", "Peer mentoring",
    "--response", "Citizens speak up", "--outcome", "Views shape the plan", "--direction", "positive",
    "--principle", "quick", "--principle", "invest-in-skills",
    "--quote", "They listened to us.", "--locator", "p. 7", "--quote", "We felt heard.", "--locator", "p. 8",
]  # fmt: skip


def test_add_source_and_cmoc_with_flags_only(tmp_path: Path, runner: CliRunner) -> None:
    """A script adds a source, then a CMOC to it, and reads the new ids from the output."""
    root = write_review(tmp_path, {})
    source = runner.invoke(
        app,
        ["add", "source", "--review", str(root), "--title", "A study", "--author", "Doe, Jane", "--year", "2020",
         "--doi", "10.1000/abc", "--country", "Chile", "--relevance", "high", "--rigour", "moderate", "--json"],
        catch_exceptions=False,
    )  # fmt: skip
    assert json.loads(source.stdout) == {"id": "doe-2020", "file": f"{root}/evidence/doe-2020.yaml"}
    cmoc = runner.invoke(app, ["add", "cmoc", "--review", str(root), *CMOC_FLAGS], catch_exceptions=False)
    assert cmoc.stdout == f"added CMOC doe-2020-1 to {root}/evidence/doe-2020.yaml\n"
    review = validate(root).review
    assert review is not None
    [added] = review.sources[0].cmocs
    assert added.principles == ["quick-wins", "invest-in-skills"]
    assert [(q.quote, q.locator) for q in added.evidence] == [
        ("They listened to us.", "p. 7"),
        ("We felt heard.", "p. 8"),
    ]


def options_of(*path: str) -> set[str]:
    """The parameter names of ``crm PATH...`` as typer builds the command."""
    command = typer.main.get_command(app)
    for name in path:
        assert isinstance(command, typer.core.TyperGroup)
        command = command.commands[name]
    return {param.name for param in command.params if param.name}


def test_the_options_of_a_source_are_its_fields_in_the_format_order() -> None:
    """The options are spelled out (so that `crm` starts without pydantic): a field new to the model needs one."""
    assert list(SOURCE_OPTIONS) == [name for name in SOURCE_FIELDS if name != "id"]


@pytest.mark.parametrize(("command", "left_out"), [(("add", "source"), set()), (("edit",), {"id"})])
def test_every_field_of_a_source_has_its_option(command: tuple[str, ...], left_out: set[str]) -> None:
    """Both commands that take a source's fields offer an option for each (`--id` is `crm rename`'s in edit)."""
    flags = {"source_id" if name == "id" else name for name in SOURCE_FIELDS if name not in left_out}
    assert flags - options_of(*command) == set()


def test_add_source_writes_every_field_given_in_the_format_order(tmp_path: Path, runner: CliRunner) -> None:
    """Each option lands in its key, in the order of the evidence format, the appraisal nested."""
    root = write_review(tmp_path, {})
    runner.invoke(
        app,
        ["add", "source", "--review", str(root), "--first-page", "229", "--fulltext", "papers/doe.pdf",
         "--notes", "Read twice.", "--keyword", "peer support", "--keyword", "Peru", "--abstract", "Panels help.",
         "--rigour", "low", "--relevance", "high", "--setting", "rural clinics", "--country", "Peru",
         "--design", "case study", "--url", "https://example.org/doe", "--doi", "https://doi.org/10.1000/abc",
         "--pages", "229-41", "--issue", "2", "--volume", "4", "--journal", "J Panels", "--year", "2020",
         "--author", "Doe, Jane", "--title", "A study", "--no-input"],
        catch_exceptions=False,
    )  # fmt: skip
    written = (root / "evidence" / "doe-2020.yaml").read_text(encoding="utf-8")
    assert written == (
        "id: doe-2020\ntitle: A study\nauthors: ['Doe, Jane']\nyear: 2020\njournal: J Panels\nvolume: '4'\n"
        "issue: '2'\npages: 229-41\ndoi: 10.1000/abc\nurl: https://example.org/doe\ndesign: case study\n"
        "countries: [Peru]\nsetting: rural clinics\nappraisal: {relevance: high, rigour: low}\n"
        "abstract: Panels help.\nkeywords: [peer support, Peru]\nnotes: Read twice.\n"
        "fulltext: papers/doe.pdf\nfirst_page: 229\ncmocs: []\n"
    )
    review = validate(root).review
    assert review is not None and review.sources[0].first_page == 229


def test_add_without_terminal_lists_every_missing_field(tmp_path: Path, runner: CliRunner) -> None:
    """In CI or a script, missing fields fail with exit 1, all named, nothing written."""
    root = write_review(tmp_path, {"doe-2020.yaml": source_yaml("doe-2020")})
    before = unlocked(root)
    result = runner.invoke(app, ["add", "cmoc", "--review", str(root), "--source", "doe-2020"])
    assert result.exit_code == 1
    assert (
        "missing required field(s): --context, --resource, --response, --outcome, --direction, --principle, --quote"
        in (result.output)
    )
    assert unlocked(root) == before


def test_no_input_never_prompts_even_at_a_terminal(
    tmp_path: Path, runner: CliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    """--no-input fails fast for scripts run from a terminal."""
    monkeypatch.setattr(prompts, "stdin_is_terminal", lambda: True)
    root = write_review(tmp_path, {})
    result = runner.invoke(app, ["add", "source", "--review", str(root), "--no-input"])
    assert result.exit_code == 1
    assert "missing required field(s): --title, --author" in result.output


def test_add_cmoc_prompts_for_what_is_missing(
    tmp_path: Path, runner: CliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    """At a terminal, crm asks for each missing field, offering principles by number."""
    monkeypatch.setattr(prompts, "stdin_is_terminal", lambda: True)
    root = write_review(tmp_path, {"doe-2020.yaml": source_yaml("doe-2020")})
    answers = [
        "doe-2020",  # source
        "Citizens new to committees",
        "Peer mentoring",
        "",  # an empty answer is asked again
        "Citizens speak up",
        "Views shape the plan",
        "negative",
        "9",  # no such number: asked again
        "2, quick",
        "They listened to us.",
        "p. 7",
        "n",
        "y",  # write it
    ]
    result = runner.invoke(app, ["add", "cmoc", "--review", str(root)], input="\n".join(answers) + "\n")
    assert result.exit_code == 0, result.output
    assert "1. quick-wins: Create quick and tangible wins." in result.output
    assert "there is no principle number 9" in result.output
    review = validate(root).review
    assert review is not None
    [cmoc] = review.sources[0].cmocs
    assert (cmoc.mechanism.response, cmoc.direction, cmoc.principles) == (
        "Citizens speak up",
        "negative",
        ["invest-in-skills", "quick-wins"],
    )


def test_add_source_prompts_for_title_and_authors(
    tmp_path: Path, runner: CliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Authors are asked one at a time; an empty line ends the list."""
    monkeypatch.setattr(prompts, "stdin_is_terminal", lambda: True)
    root = write_review(tmp_path, {})
    result = runner.invoke(
        app, ["add", "source", "--review", str(root)], input="A study\nDoe, Jane\nRoe, Rich\n\n2021\ny\n"
    )
    assert result.exit_code == 0, result.output
    review = validate(root).review
    assert review is not None
    assert (review.sources[0].id, review.sources[0].authors) == ("doe-2021", ["Doe, Jane", "Roe, Rich"])


def test_quote_without_locator_is_a_usage_error(tmp_path: Path, runner: CliRunner) -> None:
    """Quotes and locators come in pairs; a missing locator is exit 2."""
    root = write_review(tmp_path, {"doe-2020.yaml": source_yaml("doe-2020")})
    result = runner.invoke(app, ["add", "cmoc", "--review", str(root), *CMOC_FLAGS[:-2]])
    assert result.exit_code == 2
    assert "2 --quote but 1 --locator" in result.output


def test_misspelt_principle_on_the_command_line(tmp_path: Path, runner: CliRunner) -> None:
    """A misspelling gets the nearest id suggested and exit 1."""
    root = write_review(tmp_path, {"doe-2020.yaml": source_yaml("doe-2020")})
    flags = [f if f != "quick" else "qiuck-wins" for f in CMOC_FLAGS]
    result = runner.invoke(app, ["add", "cmoc", "--review", str(root), *flags])
    assert result.exit_code == 1
    assert "unknown principle `qiuck-wins`: did you mean `quick-wins`?" in result.output


# --- import --------------------------------------------------------------------------------------


@pytest.fixture
def chile(tmp_path: Path) -> Path:
    """A review that already has the Chile study."""
    text = source_yaml("montenegro-2020").replace("title: Study montenegro-2020", "title: Something else")
    return write_review(tmp_path, {"montenegro-2020.yaml": text + "doi: 10.1111/hex.12996\n"})


def test_import_ris_with_crlf_skips_duplicates(chile: Path, runner: CliRunner) -> None:
    """A Zotero RIS export: new records become stubs; same DOI or same title and year are skipped."""
    result = runner.invoke(app, ["import", str(IMPORTS / "zotero.ris"), "--review", str(chile)], catch_exceptions=False)
    assert result.exit_code == 0
    assert result.stdout.splitlines() == [
        f"created {chile}/evidence/de-weger-2018.yaml",
        f"created {chile}/evidence/world-health-organization-2020.yaml",
        "skipped Communities, health-care organizations and the contingencies and contradictions of engagement: "
        "A case study from Chile: same DOI as `montenegro-2020`",
        "skipped ACHIEVING SUCCESSFUL COMMUNITY ENGAGEMENT: A RAPID REALIST REVIEW.: same title and year as `de-weger-2018`",
        "note: world-health-organization-2020: `not a doi` is not a DOI, so it was left out",
    ]
    review = validate(chile).review
    assert review is not None
    de_weger = next(s for s in review.sources if s.id == "de-weger-2018")
    assert (de_weger.doi, de_weger.journal, de_weger.pages, de_weger.authors[0]) == (
        "10.1186/s12913-018-3090-1",
        "BMC Health Services Research",
        "285",
        "De Weger, E.",
    )


def test_import_endnote_ris(tmp_path: Path, runner: CliRunner) -> None:
    """EndNote's RIS tags (A1, T1, JF, Y1, N2) and CRLF line endings come through."""
    root = write_review(tmp_path, {})
    result = runner.invoke(app, ["import", str(IMPORTS / "endnote.ris"), "--review", str(root)], catch_exceptions=False)
    assert result.exit_code == 0
    review = validate(root).review
    assert review is not None
    [source] = review.sources
    assert (source.id, source.journal, source.year, source.pages) == (
        "okafor-2021",
        "Global Health Action",
        2021,
        "1-10",
    )
    assert source.authors == ["Okafor, Chinedu", "Bello, Amina"]
    assert source.abstract == "Ward development committees link communities and facilities."


def test_import_bibtex_decodes_latex(tmp_path: Path, runner: CliRunner, chile: Path) -> None:
    """BibTeX from Zotero: LaTeX escapes and protective braces come out as plain text."""
    result = runner.invoke(app, ["import", str(IMPORTS / "zotero.bib"), "--review", str(chile)], catch_exceptions=False)
    assert result.exit_code == 0
    assert "skipped" in result.stdout and "same DOI as `montenegro-2020`" in result.stdout
    review = validate(chile).review
    assert review is not None
    okafor = next(s for s in review.sources if s.id == "okafor-2021")
    assert okafor.title == "Le fait d'être engagé: community health committees in Nigeria"
    assert okafor.authors == ["Okafor, Chinedu", "d'Arcy, Jean-Luc", "van der Berg, Anna"]
    assert (okafor.abstract, okafor.keywords) == ("Committees & clinics.", ["community engagement", "Nigeria"])


def test_import_csl_json(tmp_path: Path, runner: CliRunner) -> None:
    """CSL-JSON: personal and corporate authors, years from date parts or raw dates, untitled records skipped."""
    root = write_review(tmp_path, {})
    result = runner.invoke(app, ["import", str(IMPORTS / "zotero.json"), "--review", str(root), "--json"])
    payload = json.loads(result.stdout)
    assert [c["id"] for c in payload["created"]] == ["arriola-vigo-nd", "grupo-de-apoyo-2022"]
    assert payload["skipped"] == [{"title": None, "reason": "no title"}]
    review = validate(root).review
    assert review is not None and review.sources[1].keywords == ["peer support", "Peru"]


def test_import_dry_run_writes_nothing(chile: Path, runner: CliRunner) -> None:
    """--dry-run shows what would be created and leaves the review as it was."""
    before = unlocked(chile)
    result = runner.invoke(app, ["import", str(IMPORTS / "zotero.ris"), "--review", str(chile), "--dry-run"])
    assert result.exit_code == 0
    assert "would create" in result.stdout
    assert unlocked(chile) == before


def test_importing_twice_creates_nothing_the_second_time(tmp_path: Path, runner: CliRunner) -> None:
    """Re-importing the same export skips every record it created before."""
    root = write_review(tmp_path, {})
    runner.invoke(app, ["import", str(IMPORTS / "zotero.bib"), "--review", str(root)], catch_exceptions=False)
    again = runner.invoke(app, ["import", str(IMPORTS / "zotero.bib"), "--review", str(root), "--json"])
    assert json.loads(again.stdout)["created"] == []


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("refs.txt", "x", "cannot tell the format from `.txt`: add --format ris"),
        ("refs.json", '[{"title": "a"},', "refs.json:1:"),
        ("refs.json", '{"title": "a"}', "CSL-JSON should be a list of records"),
        ("refs.bib", "@article{a,\n title = {unclosed\n", "refs.bib:1: this BibTeX entry cannot be read"),
        ("refs.ris", "\udcff", "not UTF-8 text; export it again choosing UTF-8"),
    ],
)
def test_unreadable_export(tmp_path: Path, runner: CliRunner, name: str, content: str, message: str) -> None:
    """An export crm cannot read is one clear line, exit 1, nothing written."""
    root = write_review(tmp_path / "r", {})
    export = tmp_path / name
    export.write_bytes(content.encode("utf-8", "surrogateescape"))
    before = unlocked(root)
    result = runner.invoke(app, ["import", str(export), "--review", str(root)])
    assert result.exit_code == 1
    assert message in result.output
    assert "Traceback" not in result.output
    assert unlocked(root) == before


def test_imported_stubs_validate_and_can_be_coded(tmp_path: Path, runner: CliRunner) -> None:
    """An imported stub takes CMOCs straight away."""
    root = write_review(tmp_path, {})
    shutil.copy(IMPORTS / "zotero.bib", tmp_path / "refs.bib")
    runner.invoke(app, ["import", str(tmp_path / "refs.bib"), "--review", str(root)], catch_exceptions=False)
    flags = [f if f != "doe-2020" else "okafor-2021" for f in CMOC_FLAGS]
    result = runner.invoke(app, ["add", "cmoc", "--review", str(root), *flags], catch_exceptions=False)
    assert result.exit_code == 0
    assert validate(root).errors == ()


def test_a_bad_value_for_a_new_source_names_the_value_not_a_file_that_does_not_exist(
    tmp_path: Path, runner: CliRunner
) -> None:
    """`crm add source --doi '<bad>'` says the new source's DOI is wrong; no evidence file is named or written."""
    root = write_review(tmp_path, {})
    result = runner.invoke(
        app,
        ["add", "source", "-r", str(root), "--title", "T", "--author", "Doe, Jane", "--doi", "10.1/x<b>", "--no-input"],
    )
    assert result.exit_code == 1
    assert result.output.startswith("the new source: error: `doi` is wrong: `10.1/x<b>` does not look like a DOI")
    assert "doe-nd.yaml" not in result.output
    assert sorted(p.name for p in (root / "evidence").iterdir()) == []
