"""The review team's GRADE-CERQual judgements: their files, their checks, and `crm assess`."""

from __future__ import annotations

import json
import os
import pty
import re
import select
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from conftest import FIXTURES, REPO, snapshot, source_yaml, write_review
from crm_review import layout
from crm_review.assess import resolve_concern, resolve_confidence
from crm_review.assessments import all_references
from crm_review.cli import app
from crm_review.confidence import ConfidenceView, confidence_view
from crm_review.errors import UnknownId
from crm_review.load import load_review_files
from crm_review.pipeline import load_valid_review, validate

ANSI = re.compile(r"\x1b\[[0-9;]*m")
INVALID = sorted((FIXTURES / "invalid-assessments").glob("*.yaml"))

VALID = """\
principle: quick-wins
finding: Quick wins keep people engaged.
components:
  methodological_limitations: {concern: minor, explanation: One small study.}
  coherence: {concern: no or very minor, explanation: The CMOCs agree.}
  adequacy: {concern: serious, explanation: Two CMOCs from one source.}
  relevance: {concern: minor, explanation: Another setting.}
confidence: low
explanation: Serious concerns about adequacy.
assessed_by: [Ana Ruiz]
assessed_on: 2026-11-23
cmocs: [doe-2020-1, doe-2020-2]
"""

FLAGS = [
    "--finding",
    "Quick wins keep people engaged.",
    "--limitations",
    "minor",
    "--limitations-why",
    "One small study.",
    "--coherence",
    "no",
    "--coherence-why",
    "The CMOCs agree.",
    "--adequacy",
    "serious",
    "--adequacy-why",
    "Two CMOCs from one source.",
    "--relevance",
    "mod",
    "--relevance-why",
    "Another setting.",
    "--confidence",
    "very",
    "--confidence-why",
    "Serious concerns about adequacy.",
    "--by",
    "Ana Ruiz",
    "--by",
    "Ben Cole",
    "--on",
    "2026-11-23",
]


def files_of(root: Path) -> dict[str, bytes]:
    """Every file of the review but the lock, which any changing command may leave behind."""
    return {k: v for k, v in snapshot(root).items() if k != ".crm.lock"}


def assess_file(root: Path, text: str = VALID, name: str = "quick-wins.yaml") -> Path:
    folder = root / "assessments"
    folder.mkdir(exist_ok=True)
    (folder / name).write_text(text, encoding="utf-8")
    return folder / name


def test_valid_assessment_is_part_of_the_review(review: Path) -> None:
    """A valid assessment loads with the review and keeps every judgement as written."""
    assess_file(review)
    loaded = load_valid_review(review)
    (assessment,) = loaded.assessments
    assert assessment.principle == "quick-wins"
    assert assessment.components.coherence.concern == "no or very minor"
    assert assessment.components.adequacy.explanation == "Two CMOCs from one source."
    assert assessment.confidence == "low"
    assert assessment.cmocs == ["doe-2020-1", "doe-2020-2"]


def expectation(path: Path) -> tuple[str, str]:
    where, message = path.read_text(encoding="utf-8").split("\n", 1)[0].removeprefix("# expect: ").split(" ", 1)
    return where, message


@pytest.mark.parametrize("fixture", INVALID, ids=[p.stem for p in INVALID])
def test_invalid_assessment_is_reported_at_its_line(
    fixture: Path, review: Path, runner: CliRunner, in_dir: Path
) -> None:
    """Each mistake in an assessment is one error naming the file, line and column, and what to write."""
    principle = re.search(r"^principle: (\S+)", fixture.read_text(encoding="utf-8"), re.MULTILINE)
    assert principle is not None
    name = f"{principle.group(1)}.yaml"
    (review / "assessments").mkdir()
    shutil.copy(fixture, review / "assessments" / name)

    result = runner.invoke(app, ["validate", "--review", "review"])

    where, message = expectation(fixture)
    errors = [line for line in result.output.splitlines() if ": error: " in line]
    assert result.exit_code == 1
    assert len(errors) == 1, result.output
    assert errors[0].startswith(f"review/assessments/{name}:{where}: error: ")
    assert message in errors[0]


def test_principle_must_match_the_file_name(review: Path) -> None:
    """An assessment names its principle twice (file and key): they must agree."""
    assess_file(review, name="invest-in-skills.yaml")
    (problem,) = validate(review).errors
    assert (problem.line, problem.col) == (1, 12)
    assert problem.message == (
        "principle `quick-wins` differs from the file name `invest-in-skills.yaml`: "
        "write `principle: invest-in-skills` or rename the file to `quick-wins.yaml`"
    )


def test_a_principle_assessed_twice_is_an_error(review: Path) -> None:
    """`.yaml` and `.yml` files for one principle would be two judgements of one finding."""
    assess_file(review)
    assess_file(review, name="quick-wins.yml")
    messages = [p.message for p in validate(review).errors]
    assert any("principle `quick-wins` is already assessed in" in m for m in messages), messages


def test_stale_assessment_is_a_warning_after_crm_add_cmoc(review: Path, runner: CliRunner, in_dir: Path) -> None:
    """A CMOC added to an assessed principle makes `crm validate` say the judgement may be out of date."""
    assess_file(review)
    assert not validate(review).problems
    added = runner.invoke(
        app,
        [
            "add", "cmoc", "--review", "review", "--source", "roe-2021", "--context", "c", "--resource", "r",
            "--response", "s", "--outcome", "o", "--direction", "positive", "--principle", "quick-wins",
            "--quote", "q", "--locator", "p. 1",
        ],
    )  # fmt: skip
    assert added.exit_code == 0, added.output

    result = runner.invoke(app, ["validate", "--review", "review"])

    assert result.exit_code == 0
    assert result.output.splitlines()[0] == (
        "review/assessments/quick-wins.yaml:12:1: warning: assessment of `quick-wins` covers 2 of the 3 CMOCs "
        "now linked: 1 added since (roe-2021-2): it may be out of date; review it with `crm assess quick-wins`"
    )
    assert runner.invoke(app, ["validate", "--review", "review", "--strict"]).exit_code == 1


def test_removed_or_mistyped_cmoc_makes_the_assessment_stale_with_a_hint(review: Path) -> None:
    """A covered id no longer linked is named; a near miss of a newly linked one is suggested."""
    assess_file(review, VALID.replace("doe-2020-2]", "doe-2020-22]"))
    (warning,) = validate(review).warnings
    assert warning.message == (
        "assessment of `quick-wins` covers 1 of the 2 CMOCs now linked: 1 added since (doe-2020-2); "
        "1 it covered no longer linked (doe-2020-22) (did you mean `doe-2020-22` -> `doe-2020-2`?): "
        "it may be out of date; review it with `crm assess quick-wins`"
    )


def test_references_name_every_id_with_its_place(review: Path) -> None:
    """For commands that rename or remove ids: the principle and CMOC ids each file holds, located."""
    assess_file(review)
    refs = all_references(load_review_files(review))
    assert [(r.kind, r.id, r.line, r.col) for r in refs] == [
        ("principle", "quick-wins", 1, 12),
        ("cmoc", "doe-2020-1", 12, 9),
        ("cmoc", "doe-2020-2", 12, 21),
    ]
    assert all(r.path.name == "quick-wins.yaml" for r in refs)


@pytest.mark.parametrize(
    ("token", "level"),
    [("no", "no or very minor"), ("None", "no or very minor"), ("very minor", "no or very minor"), ("mi", "minor"),
     ("Moderate concerns", "moderate"), ("ser", "serious")],
)  # fmt: skip
def test_concern_levels_may_be_shortened(token: str, level: str) -> None:
    """People type `no` or `mod`; the file gets CERQual's words."""
    assert resolve_concern(token) == level


def test_ambiguous_or_unknown_level_is_refused_with_the_choices() -> None:
    """`m` could be minor or moderate: crm asks for more rather than guessing."""
    with pytest.raises(UnknownId, match="write one of no or very minor, minor, moderate, serious"):
        resolve_concern("m")
    assert resolve_confidence("very") == "very low"
    with pytest.raises(UnknownId, match="did you mean `moderate`"):
        resolve_confidence("moderat e")


# --- crm assess ------------------------------------------------------------------------------------


def test_assess_with_flags_writes_the_judgement_and_the_covered_cmocs(
    review: Path, runner: CliRunner, in_dir: Path
) -> None:
    """In a script every judgement comes from flags; the file records the CMOCs linked now."""
    result = runner.invoke(
        app, ["assess", "quick", "--review", "review", "--no-input", "--json", *FLAGS], catch_exceptions=False
    )
    assert result.exit_code == 0, result.output
    assert json.loads(result.output) == {
        "principle": "quick-wins",
        "file": "review/assessments/quick-wins.yaml",
        "cmocs": 2,
    }
    (assessment,) = load_valid_review(review).assessments
    assert assessment.components.relevance.concern == "moderate"
    assert assessment.confidence == "very low"
    assert assessment.assessed_by == ["Ana Ruiz", "Ben Cole"]
    assert assessment.cmocs == ["doe-2020-1", "doe-2020-2"]
    assert not validate(review).problems


def test_assess_refuses_to_replace_without_replace(review: Path, runner: CliRunner, in_dir: Path) -> None:
    """An earlier judgement is the team's words: replacing it takes --replace."""
    assess_file(review)
    before = files_of(review)
    result = runner.invoke(app, ["assess", "quick-wins", "--review", "review", "--no-input", *FLAGS])
    assert result.exit_code == 1
    assert "`quick-wins` is already assessed in review/assessments/quick-wins.yaml: add --replace" in result.output
    assert files_of(review) == before
    replaced = runner.invoke(app, ["assess", "quick-wins", "--review", "review", "--no-input", "--replace", *FLAGS])
    assert replaced.exit_code == 0, replaced.output
    assert load_valid_review(review).assessments[0].confidence == "very low"


def test_assess_without_input_lists_what_is_missing(review: Path, runner: CliRunner, in_dir: Path) -> None:
    """With --no-input nothing is guessed: every missing judgement is named, nothing is written."""
    before = files_of(review)
    result = runner.invoke(app, ["assess", "quick-wins", "--review", "review", "--no-input", *FLAGS[:4]])
    assert result.exit_code == 1
    assert "missing required field(s): --limitations-why, --coherence, --coherence-why" in result.output
    assert files_of(review) == before


def test_assess_unknown_level_is_one_line_and_writes_nothing(review: Path, runner: CliRunner, in_dir: Path) -> None:
    """A mistyped level on the command line is refused with the choices."""
    flags = [("high-ish" if value == "very" else value) for value in FLAGS]
    result = runner.invoke(app, ["assess", "quick-wins", "--review", "review", "--no-input", *flags])
    assert result.exit_code == 1
    assert "`high-ish` is not a level of confidence: write one of high, moderate, low, very low" in result.output
    assert not (review / "assessments").exists()


def test_assess_suggest_shows_the_evidence_and_the_rule(review: Path, runner: CliRunner, in_dir: Path) -> None:
    """--suggest prints the numbers and each suggestion with its reason, labelled, and writes nothing."""
    result = runner.invoke(app, ["assess", "quick-wins", "--review", "review", "--suggest", "--json"])
    data = json.loads(result.output)
    assert data["cmocs"] == ["doe-2020-1", "doe-2020-2"]
    assert data["relations"] == {"supports": 2, "refutes": 0, "refines": 0}
    assert data["suggestion"]["components"]["adequacy"]["concern"] == "moderate"
    assert "1 source(s) and 2 CMOC(s)" in data["suggestion"]["components"]["adequacy"]["reason"]
    assert data["assessed"] is False
    assert not (review / "assessments").exists()


# --- at a real terminal ----------------------------------------------------------------------------


class Terminal:
    """`crm` in a pseudo-terminal: what a person at a keyboard sees and types."""

    def __init__(self, args: list[str], cwd: Path) -> None:
        self.fd, child = pty.openpty()
        env = {**os.environ, "COLUMNS": "120", "LINES": "50", "TERM": "xterm", "NO_COLOR": "1"}
        self.process = subprocess.Popen(
            [sys.executable, "-m", "crm_review", *args], stdin=child, stdout=child, stderr=child, cwd=cwd, env=env
        )
        os.close(child)
        self.seen = ""

    def expect(self, text: str, timeout: float = 20) -> None:
        deadline = time.monotonic() + timeout
        while text not in self.seen:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise AssertionError(f"never saw {text!r}; the screen shows:\n{self.seen}")
            ready, _, _ = select.select([self.fd], [], [], remaining)
            if ready:
                try:
                    raw = os.read(self.fd, 4096).decode("utf-8", "replace")
                    self.seen += ANSI.sub("", raw)  # bold and dim stay on even with NO_COLOR
                except OSError:  # the child closed the terminal
                    raise AssertionError(f"crm ended before {text!r}; the screen shows:\n{self.seen}") from None

    def type(self, line: str) -> None:
        os.write(self.fd, (line + "\r").encode())

    def finish(self) -> int:
        code = self.process.wait(timeout=20)
        os.close(self.fd)
        return code

    def kill(self) -> None:
        """Stop crm if a test failed half-way, so that no process is left waiting for input."""
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=20)


@pytest.fixture
def terminals() -> Iterator[list[Terminal]]:
    started: list[Terminal] = []
    yield started
    for terminal in started:
        terminal.kill()


def test_assess_at_a_terminal_shows_suggestions_and_takes_them_as_defaults(
    review: Path, terminals: list[Terminal]
) -> None:
    """At a terminal: evidence, each suggestion with its reason, Enter takes it, typed text replaces it."""
    terminal = Terminal(["assess", "quick", "--review", str(review)], review.parent)
    terminals.append(terminal)
    terminal.expect("Evidence: 1 source(s), 2 CMOC(s): 2 supports, 0 refutes, 0 refines")
    terminal.expect("Finding (the summary statement")
    terminal.type("Quick wins keep people engaged.")
    terminal.expect("Suggestion: no or very minor concerns")  # methodological limitations
    terminal.type("")  # keep the suggested level
    terminal.type("Moderate rigour, from abstracts.")
    terminal.expect("Concern (no or very minor, minor, moderate, serious) (no or very minor)")  # coherence
    terminal.type("mi")
    terminal.type("")  # keep the rule's reason as the explanation
    terminal.expect("Suggestion: moderate concerns (1 source(s) and 2 CMOC(s)")  # adequacy
    terminal.type("serious")
    terminal.type("One source only.")
    terminal.type("")  # relevance: suggestion
    terminal.type("")
    terminal.expect("Suggestion: moderate (the rule lowers high by one level")
    terminal.type("bogus")
    terminal.expect("`bogus` is not a level of confidence")
    terminal.type("low")
    terminal.expect("Enter keeps: Serious concerns about adequacy; minor concerns about coherence;")
    terminal.type("")
    terminal.expect("Assessed by")
    terminal.type("Ana Ruiz, Ben Cole")
    terminal.expect("wrote ")
    assert terminal.finish() == 0

    (assessment,) = load_valid_review(review).assessments
    components = assessment.components
    assert components.methodological_limitations.concern == "no or very minor"
    assert components.methodological_limitations.explanation == "Moderate rigour, from abstracts."
    assert components.coherence.concern == "minor"
    assert components.coherence.explanation is not None
    assert components.coherence.explanation.startswith("0 refuting and 0 refining CMOC(s)")
    assert components.adequacy.concern == "serious"
    assert assessment.confidence == "low"
    assert assessment.explanation == (
        "Serious concerns about adequacy; minor concerns about coherence; "
        "no or very minor concerns about methodological limitations and relevance."
    )
    assert assessment.assessed_by == ["Ana Ruiz", "Ben Cole"]
    assert assessment.cmocs == ["doe-2020-1", "doe-2020-2"]


# --- the bundled review ----------------------------------------------------------------------------


def test_bundled_review_assesses_every_principle_and_says_whose_judgement_it_is() -> None:
    """All eight principles are judged, none out of date, each saying it is the example review's."""
    bundled = load_valid_review(REPO)
    assert {a.principle for a in bundled.assessments} == {p.id for p in bundled.principles}
    assert not [p for p in validate(REPO).warnings if "assessments/" in str(p.path)]
    for assessment in bundled.assessments:
        assert assessment.notes is not None and "example review's assessment" in assessment.notes
        assert assessment.assessed_by == ["crm-review developers (example review)"]


def test_readme_example_assessment_is_valid(tmp_path: Path) -> None:
    """The assessment shown in the README is one crm accepts."""
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    example = re.search(r"```yaml\n(principle: quick-wins .*?)```", readme, re.DOTALL)
    assert example is not None
    root = write_review(
        tmp_path / "r",
        {
            "arriola-vigo-nd.yaml": source_yaml("arriola-vigo-nd", "arriola-vigo-nd-7"),
            "de-weger-2018.yaml": source_yaml("de-weger-2018", "de-weger-2018-3"),
        },
    )
    assess_file(root, example.group(1))
    assert not [p for p in validate(root).problems if "assessments" in str(p.path)]


# --- what documents show -------------------------------------------------------------------------


def _principle_view(review_root: Path, principle_id: str) -> ConfidenceView:
    from crm_review.analysis import analyse

    loaded = load_valid_review(review_root)
    finding = next(f for f in analyse(loaded).principles if f.id == principle_id)
    assessment = next((a for a in loaded.assessments if a.principle == principle_id), None)
    return confidence_view(
        finding.statement, finding.cmoc_ids, finding.suggestion, finding.suggested_confidence, assessment
    )


def test_unassessed_principle_shows_no_confidence_only_a_labelled_suggestion(review: Path) -> None:
    """Without the team's judgement the confidence is empty; the rule's levels sit apart, as suggestions."""
    shown = _principle_view(review, "quick-wins")
    assert shown.judged_by == "not assessed"
    assert shown.confidence is None
    assert shown.suggested_confidence == "moderate"
    adequacy = next(c for c in shown.components if c.key == "adequacy")
    assert (adequacy.concern, adequacy.explanation) == (None, None)
    assert adequacy.suggested == "moderate"
    assert adequacy.reason is not None and "1 source(s) and 2 CMOC(s)" in adequacy.reason


def test_assessed_principle_shows_the_team_judgement_and_whether_it_is_stale(review: Path) -> None:
    """The team's words are shown as written; a judgement covering other CMOCs says so."""
    assess_file(review, VALID.replace("[doe-2020-1, doe-2020-2]", "[doe-2020-1]"))
    shown = _principle_view(review, "quick-wins")
    assert shown.judged_by == "review team"
    assert shown.confidence == "low"
    assert shown.explanation == "Serious concerns about adequacy."
    assert [c.concern for c in shown.components] == ["minor", "no or very minor", "serious", "minor"]
    assert shown.stale
    assert shown.changes == "covers 1 of the 2 CMOCs now linked: 1 added since (doe-2020-2)"


def test_former_name_of_the_rule_still_works_with_a_warning(review: Path) -> None:
    """Reviews written before the rename keep their thresholds and are told the new name, at its line."""
    config = review / "configs" / "review.yaml"
    config.write_text(config.read_text(encoding="utf-8") + "confidence: {min_cmocs: 1}\n", encoding="utf-8")
    result = validate(review)
    assert result.review is not None and result.review.config.rule.min_cmocs == 1
    (warning,) = result.warnings
    assert (warning.line, warning.col) == (3, 1)
    assert warning.message.startswith("rename `confidence:` to `suggestion:`")


def test_replacing_an_assessment_keeps_its_notes_and_comments(review: Path, runner: CliRunner, in_dir: Path) -> None:
    """Judging again replaces the judgement, never the team's notes or the comments above them."""
    path = assess_file(review, "# Our team's own comment.\n" + VALID + "notes: Discussed on 12 May.\n")
    result = runner.invoke(app, ["assess", "quick-wins", "--review", "review", "--no-input", "--replace", *FLAGS])
    assert result.exit_code == 0, result.output
    text = path.read_text(encoding="utf-8")
    assert text.startswith("# Our team's own comment.\nprinciple: quick-wins\n")
    assert load_valid_review(review).assessments[0].notes == "Discussed on 12 May."


def test_long_explanations_are_written_as_readable_folded_text(review: Path, runner: CliRunner, in_dir: Path) -> None:
    """A long explanation is folded into lines a person can edit, and reads back word for word."""
    long = "Two studies of moderate rigour, coded from abstracts only; " * 4
    flags = [long.strip() if value == "One small study." else value for value in FLAGS]
    assert runner.invoke(app, ["assess", "quick-wins", "--review", "review", "--no-input", *flags]).exit_code == 0
    text = (review / "assessments" / "quick-wins.yaml").read_text(encoding="utf-8")
    assert "    explanation: >-\n      Two studies of moderate rigour" in text
    assert max(len(line) for line in text.splitlines()) <= 110
    judged = load_valid_review(review).assessments[0].components.methodological_limitations
    assert judged.explanation == long.strip()


def test_a_principle_without_evidence_cannot_be_assessed(tmp_path: Path, runner: CliRunner, in_dir: Path) -> None:
    """With no CMOC linked there is no finding to judge: one line saying so, nothing written."""
    write_review(tmp_path / "r", {"doe-2020.yaml": source_yaml("doe-2020", "doe-2020-1")})
    result = runner.invoke(app, ["assess", "invest", "--review", "r", "--no-input", *FLAGS])
    assert result.exit_code == 1
    assert "no CMOC links to `invest-in-skills` yet: there is no finding to judge" in result.output
    assert not (tmp_path / "r" / "assessments").exists()


def test_renumbering_a_covered_cmoc_updates_the_assessment(review: Path) -> None:
    """`crm renumber` renames, it adds no evidence: the judgement covers the new id and stays current."""
    from crm_review.merging import renumber

    path = assess_file(review)
    done = renumber(review, "doe-2020-2", "doe-2020-7")
    assert "cmocs: [doe-2020-1, doe-2020-7]" in path.read_text(encoding="utf-8")
    assert (layout.shown(path), 12) in done.mentions
    assert not validate(review).problems
