"""`crm edit`, `crm remove` and `crm rename` as users run them: the change made, the rest kept, refusals write nothing."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from conftest import snapshot, source_yaml, write_review
from crm_review import prompts, revise
from crm_review.cli import app
from crm_review.entries import CmocChanges, SourceChanges
from crm_review.errors import InvalidEvidence, UnknownId
from crm_review.pipeline import validate
from test_edit import COMMENTED


def unlocked(root: Path) -> dict[str, bytes]:
    return {k: v for k, v in snapshot(root).items() if k != ".crm.lock"}


@pytest.fixture
def commented(tmp_path: Path) -> Path:
    return write_review(
        tmp_path,
        {
            "doe-2020.yaml": COMMENTED,
            "roe-2021.yaml": source_yaml("roe-2021", "roe-2021-1", principle="invest-in-skills"),
        },
    )


def evidence(root: Path, name: str = "doe-2020.yaml") -> str:
    return (root / "evidence" / name).read_text(encoding="utf-8")


# --- edit -------------------------------------------------------------------------------------------------


def test_edit_source_with_flags_changes_only_those_lines(commented: Path, runner: CliRunner) -> None:
    """`--relevance low --country Chile` rewrites the appraisal and adds countries; comments and quoting stay."""
    result = runner.invoke(
        app, ["edit", "doe-2020", "--review", str(commented), "--relevance", "low", "--country", "Chile"],
        catch_exceptions=False,
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "appraisal.relevance: high -> low" in result.stdout
    assert evidence(commented) == COMMENTED.replace("year: 2020\n", "year: 2020\ncountries: [Chile]\n").replace(
        "relevance: high", "relevance: low"
    )
    assert validate(commented).errors == ()


def test_edit_source_fields_new_to_the_file_go_in_the_format_order(commented: Path, runner: CliRunner) -> None:
    """`--first-page`, `--fulltext` and `--keyword` add their keys after the appraisal, before the CMOCs."""
    result = runner.invoke(
        app, ["edit", "doe-2020", "--review", str(commented), "--first-page", "229", "--fulltext", "papers/doe.pdf",
              "--keyword", "peer support"],
        catch_exceptions=False,
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert evidence(commented) == COMMENTED.replace(
        "rigour: moderate}\n",
        "rigour: moderate}\nkeywords: [peer support]\nfulltext: papers/doe.pdf\nfirst_page: 229\n",
    )
    assert validate(commented).errors == ()


def test_edit_cmoc_relation_writes_the_mapping_form(commented: Path, runner: CliRunner) -> None:
    """`--relation quick=refines` turns the list into `{quick-wins: refines}` and nothing else."""
    result = runner.invoke(
        app, ["edit", "doe-2020-1", "--review", str(commented), "--relation", "quick=refines"], catch_exceptions=False
    )
    assert result.exit_code == 0, result.output
    assert evidence(commented) == COMMENTED.replace("principles: [quick-wins]", "principles: {quick-wins: refines}")
    review = validate(commented).review
    assert review is not None and review.sources[0].cmocs[0].links == (("quick-wins", "refines"),)


def test_edit_that_breaks_the_review_writes_nothing(commented: Path, runner: CliRunner) -> None:
    """A DOI that is not one is refused with its file and line; the file stays byte for byte."""
    before = unlocked(commented)
    result = runner.invoke(app, ["edit", "doe-2020", "--review", str(commented), "--doi", "not a doi"])
    assert result.exit_code == 1
    assert "evidence/doe-2020.yaml:7:" in result.output and "does not look like a DOI" in result.output
    assert unlocked(commented) == before


def test_edit_flags_for_the_other_kind_are_refused(commented: Path, runner: CliRunner) -> None:
    """`--relevance` on a CMOC says that the id is a CMOC."""
    result = runner.invoke(app, ["edit", "doe-2020-1", "--review", str(commented), "--relevance", "low"])
    assert result.exit_code == 1
    assert "`doe-2020-1` is a CMOC, but some flags given are for a source" in result.output


def test_edit_without_flags_in_a_script_says_what_to_give(commented: Path, runner: CliRunner) -> None:
    """No flags, no terminal: a usage error naming the ways to edit."""
    result = runner.invoke(app, ["edit", "doe-2020", "--review", str(commented)])
    assert result.exit_code == 2
    assert "nothing to change" in result.output


def test_edit_unknown_id_suggests_the_nearest(commented: Path) -> None:
    """A mistyped id gets the nearest one suggested."""
    with pytest.raises(UnknownId, match="did you mean `doe-2020-1`"):
        revise.edit_with_flags(commented, "doe-2020-l", SourceChanges({}), CmocChanges(outcome="O"))


def test_edit_at_a_terminal_shows_changes_and_writes_after_yes(
    commented: Path, runner: CliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each prompt offers the current value (an empty line keeps it); the summary lists what changes."""
    monkeypatch.setattr(prompts, "stdin_is_terminal", lambda: True)
    answers = ["", "", "", "", "neg", "", "", "", "n", "", "", "y"]
    result = runner.invoke(
        app, ["edit", "doe-2020-1", "--review", str(commented)], input="\n".join(answers) + "\n", catch_exceptions=False
    )
    assert result.exit_code == 0, result.output
    assert "direction: positive -> negative" in result.output
    assert evidence(commented) == COMMENTED.replace("direction: positive", "direction: negative")


def test_edit_at_a_terminal_answered_no_writes_nothing(
    commented: Path, runner: CliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A no at the last question leaves the file and says so."""
    monkeypatch.setattr(prompts, "stdin_is_terminal", lambda: True)
    before = unlocked(commented)
    answers = ["New title", *[""] * 14, "n"]
    result = runner.invoke(app, ["edit", "doe-2020", "--review", str(commented)], input="\n".join(answers) + "\n")
    assert 'title: Study: "quoted" title -> New title' in result.output
    assert "nothing was written" in result.output
    assert unlocked(commented) == before


# --- edit --editor ------------------------------------------------------------------------------------------

FAKE_EDITOR = """\
import sys
from pathlib import Path
path = Path(sys.argv[-1])
text = path.read_text()
count = Path(sys.argv[0]).with_suffix(".count")
rounds = int(count.read_text()) if count.exists() else 0
count.write_text(str(rounds + 1))
Path(sys.argv[0]).with_suffix(f".seen{rounds}").write_text(text)
for old, new in (line.split("=>") for line in sys.argv[1:-1][rounds].split(";") if line):
    text = text.replace(old, new)
path.write_text(text)
"""


def fake_editor(folder: Path, *rounds: str) -> tuple[str, Path]:
    script = folder / "editor.py"
    script.write_text(FAKE_EDITOR)
    return " ".join([sys.executable, str(script), *(f"'{r}'" for r in rounds)]), script


def test_editor_opens_only_the_cmoc_and_writes_it_back(
    commented: Path, monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """The editor sees the CMOC alone, unindented; the edit lands in place, the rest stays."""
    command, script = fake_editor(tmp_path_factory.mktemp("editor"), "More people=>Many more people")
    monkeypatch.setenv("VISUAL", command)
    edited = revise.edit_in_editor(commented, "doe-2020-1")
    assert edited is not None and [d.field for d in edited.changes] == ["outcome"]
    seen = script.with_suffix(".seen0").read_text()
    assert "\nid: doe-2020-1\ncontext: >-\n  Staff short\n" in seen and "title:" not in seen
    assert evidence(commented) == COMMENTED.replace("More people", "Many more people")


def test_editor_reopens_with_the_problems_until_it_validates(
    commented: Path, monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """A broken edit is shown again with its problem on top; the second, fixed round is written."""
    command, script = fake_editor(
        tmp_path_factory.mktemp("editor"), "direction: positive=>direction: upward", "upward=>negative"
    )
    monkeypatch.setenv("VISUAL", command)
    revise.edit_in_editor(commented, "doe-2020-1")
    second = script.with_suffix(".seen1").read_text()
    assert "must be one of positive, negative, mixed, not `upward`" in second
    [problem] = [line for line in second.splitlines() if "upward`" in line]
    number = int(problem.split("line ")[1].split(":")[0])
    assert second.splitlines()[number - 1] == "direction: upward"  # the line number the editor shows
    assert evidence(commented) == COMMENTED.replace("direction: positive", "direction: negative")


def test_editor_saved_unchanged_gives_up_and_writes_nothing(
    commented: Path, monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """Giving up after a broken round leaves the file as it was."""
    command, _ = fake_editor(tmp_path_factory.mktemp("editor"), "direction: positive=>direction: upward", "")
    monkeypatch.setenv("VISUAL", command)
    before = unlocked(commented)
    assert revise.edit_in_editor(commented, "doe-2020-1") is None
    assert unlocked(commented) == before


# --- remove -------------------------------------------------------------------------------------------------


def test_remove_cmoc_needs_yes_in_a_script(commented: Path, runner: CliRunner) -> None:
    """Without --yes and without a terminal nothing is removed, and the message says to add --yes."""
    before = unlocked(commented)
    result = runner.invoke(app, ["remove", "doe-2020-1", "--review", str(commented)])
    assert result.exit_code == 1 and "add --yes" in result.output
    assert unlocked(commented) == before


def test_remove_cmoc_takes_its_lines_only(tmp_path: Path, runner: CliRunner) -> None:
    """The CMOC's lines go; the others, and the file's comments, stay."""
    root = write_review(tmp_path, {"doe-2020.yaml": source_yaml("doe-2020", "doe-2020-1", "doe-2020-2")})
    text = evidence(root)
    result = runner.invoke(app, ["remove", "doe-2020-1", "--review", str(root), "--yes"], catch_exceptions=False)
    assert result.exit_code == 0
    first = text.index("  - id: doe-2020-1")
    assert evidence(root) == text[:first] + text[text.index("  - id: doe-2020-2") :]


def test_remove_source_deletes_its_file_and_lists_its_cmocs(commented: Path, runner: CliRunner) -> None:
    """Removing a source shows its CMOCs, then deletes its file."""
    result = runner.invoke(app, ["remove", "roe-2021", "--review", str(commented), "--yes"], catch_exceptions=False)
    assert "with its 1 CMOC(s): roe-2021-1" in result.output
    assert not (commented / "evidence" / "roe-2021.yaml").exists()
    review = validate(commented).review
    assert review is not None and [s.id for s in review.sources] == ["doe-2020"]


def test_remove_at_a_terminal_asks_and_a_no_keeps_everything(
    commented: Path, runner: CliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    """At a terminal crm asks; an empty answer is no."""
    monkeypatch.setattr(prompts, "stdin_is_terminal", lambda: True)
    before = unlocked(commented)
    result = runner.invoke(app, ["remove", "doe-2020-1", "--review", str(commented)], input="\n")
    assert "Remove CMOC doe-2020-1?" in result.output and "nothing was written" in result.output
    assert unlocked(commented) == before


# --- rename -------------------------------------------------------------------------------------------------


def test_rename_principle_rewrites_every_reference(commented: Path, runner: CliRunner) -> None:
    """The taxonomy and both list and mapping forms in every evidence file get the new id."""
    runner.invoke(app, ["edit", "roe-2021-1", "--review", str(commented), "--relation", "invest=refines"])
    result = runner.invoke(
        app, ["rename", "principle", "invest-in-skills", "skills", "--review", str(commented), "--json"],
        catch_exceptions=False,
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["ids"] == {"invest-in-skills": "skills"}
    assert "  - id: skills\n" in (commented / "configs" / "principles.yaml").read_text()
    assert "principles: {skills: refines}" in evidence(commented, "roe-2021.yaml")
    assert evidence(commented) == COMMENTED
    assert validate(commented).errors == ()


def test_rename_source_moves_the_file_and_its_cmoc_ids(commented: Path, runner: CliRunner) -> None:
    """`crm rename source doe-2020 doe-2020x` renames the file and `doe-2020-1` to `doe-2020x-1`."""
    result = runner.invoke(app, ["rename", "source", "doe-2020", "doe-2020x", "--review", str(commented)])
    assert result.exit_code == 0, result.output
    assert not (commented / "evidence" / "doe-2020.yaml").exists()
    assert evidence(commented, "doe-2020x.yaml") == COMMENTED.replace("doe-2020", "doe-2020x")
    assert validate(commented).errors == ()


def test_rename_to_a_taken_id_changes_nothing(commented: Path) -> None:
    """Renaming onto an existing id is refused before anything is written."""
    before = unlocked(commented)
    with pytest.raises(UnknownId, match="`roe-2021-1` already exists"):
        revise.rename(commented, "cmoc", "doe-2020-1", "roe-2021-1")
    assert unlocked(commented) == before


def test_rename_principle_of_the_default_taxonomy_writes_principles_yaml(tmp_path: Path) -> None:
    """A review using the eight default principles gets its own principles.yaml with the new id."""
    root = write_review(
        tmp_path, {"doe-2020.yaml": source_yaml("doe-2020", "doe-2020-1", principle="motivations")}, principles=None
    )
    revise.rename(root, "principle", "motivations", "local-motivations")
    assert "id: local-motivations" in (root / "configs" / "principles.yaml").read_text()
    assert "principles: [local-motivations]" in evidence(root)
    assert validate(root).errors == ()


def test_broken_file_is_reported_not_renamed(commented: Path) -> None:
    """A rename that would leave an error (here: an id YAML reads as a number) writes nothing."""
    before = unlocked(commented)
    with pytest.raises((InvalidEvidence, UnknownId)):
        revise.rename(commented, "cmoc", "doe-2020-1", "Bad Id")
    assert unlocked(commented) == before


def test_add_cmoc_finds_the_source_by_its_start(commented: Path, runner: CliRunner) -> None:
    """`--source roe` is enough when only roe-2021 starts so."""
    from test_cli_intake import CMOC_FLAGS

    flags = [f if f != "doe-2020" else "roe" for f in CMOC_FLAGS]
    result = runner.invoke(app, ["add", "cmoc", "--review", str(commented), *flags], catch_exceptions=False)
    assert "added CMOC roe-2021-2" in result.stdout


@pytest.mark.parametrize(
    "argv",
    [
        ["edit", "montenegro-2020", "--no-input"],
        ["edit", "montenegro-2020", "--relevance", "high", "--review", "/nonexistent"],
        ["remove", "montenegro-2020-1"],
        ["rename", "--help"],
        ["add", "cmoc", "--no-input", "--source", "montenegro-2020"],
    ],
)
def test_commands_that_do_not_ask_stay_light(argv: list[str]) -> None:
    """Without a person to ask, no line-editing library is loaded, nor networkx or jinja2."""
    import subprocess

    from conftest import REPO

    code = (
        "import sys\n"
        "from crm_review.cli import app\n"
        f"try:\n    app({argv!r}, prog_name='crm')\nexcept SystemExit:\n    pass\n"
        "print(sorted(m for m in ('prompt_toolkit', 'networkx', 'jinja2') if m in sys.modules))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, check=True, stdin=subprocess.DEVNULL
    )
    assert out.stdout.strip().splitlines()[-1] == "[]"


def test_cli_editor_gives_up_saying_nothing_was_written(
    commented: Path, runner: CliRunner, monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """`crm edit ID --editor` saved unchanged says nothing was written and leaves the file."""
    command, _ = fake_editor(tmp_path_factory.mktemp("editor"), "")
    monkeypatch.setenv("VISUAL", command)
    before = unlocked(commented)
    result = runner.invoke(app, ["edit", "doe-2020", "--editor", "--review", str(commented)])
    assert result.exit_code == 0 and "nothing was written" in result.output
    assert unlocked(commented) == before


def test_editor_on_a_source_leaves_its_cmocs_out(
    commented: Path, monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """A source opens without its CMOCs, its comments with it; the edit lands above the untouched CMOCs."""
    command, script = fake_editor(tmp_path_factory.mktemp("editor"), "year: 2020=>year: 2019")
    monkeypatch.setenv("VISUAL", command)
    edited = revise.edit_in_editor(commented, "doe-2020")
    seen = script.with_suffix(".seen0").read_text()
    assert "# Coded by JD, checked by RR." in seen and "cmocs" not in seen.replace("crm:", "")
    assert edited is not None and [(d.field, d.old, d.new) for d in edited.changes] == [("year", 2020, 2019)]
    assert evidence(commented) == COMMENTED.replace("year: 2020", "year: 2019")


def test_rename_waits_for_every_file_to_be_readable(commented: Path) -> None:
    """A file with an error could name the id too: the rename is refused, naming that file's error."""
    (commented / "evidence" / "zed-2022.yaml").write_text("id: zed-2022\ntitle: A\ntitle: B\n", encoding="utf-8")
    before = unlocked(commented)
    with pytest.raises(InvalidEvidence) as caught:
        revise.rename(commented, "principle", "quick-wins", "wins")
    assert "`title` appears twice" in caught.value.problems[0].message
    assert unlocked(commented) == before


@pytest.mark.parametrize(
    "change",
    [
        lambda root: revise.rename(root, "principle", "quick-wins", "wins"),
        lambda root: revise.rename(root, "source", "doe-2020", "doe-2020x"),
        lambda root: revise.remove_entry(root, "doe-2020-1"),
        lambda root: revise.edit_with_flags(root, "doe-2020-1", SourceChanges({}), CmocChanges(outcome="Fewer.")),
    ],
    ids=["rename principle", "rename source", "remove", "edit"],
)
def test_failed_write_leaves_every_file_as_it_was(
    commented: Path, monkeypatch: pytest.MonkeyPatch, change: object
) -> None:
    """If the disk fails before the files are swapped in, every file is as it was and no temporary file is left."""
    import os

    before = unlocked(commented)

    def fail(*_: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", fail)
    with pytest.raises(OSError, match="disk full"):
        change(commented)  # type: ignore[operator]
    assert unlocked(commented) == before


CONCURRENT_EDITOR = """
import sys
from pathlib import Path
from crm_review.revise import CmocChanges, SourceChanges, edit_with_flags
for n in range(8):
    edit_with_flags(Path(sys.argv[1]), sys.argv[2], SourceChanges({}), CmocChanges(notes=f"{sys.argv[2]} round {n}"))
"""


@pytest.mark.slow
def test_two_processes_editing_one_file_lose_nothing(tmp_path: Path) -> None:
    """Two processes editing two CMOCs of one file at once: each one's last change is there."""
    import subprocess

    from conftest import REPO

    root = write_review(tmp_path, {"doe-2020.yaml": source_yaml("doe-2020", "doe-2020-1", "doe-2020-2")})
    procs = [
        subprocess.Popen([sys.executable, "-c", CONCURRENT_EDITOR, str(root), cmoc], cwd=REPO)
        for cmoc in ("doe-2020-1", "doe-2020-2")
    ]
    assert [p.wait(timeout=120) for p in procs] == [0, 0]
    review = validate(root).review
    assert review is not None
    assert [c.notes for c in review.sources[0].cmocs] == ["doe-2020-1 round 7", "doe-2020-2 round 7"]


def test_edit_doi_pasted_as_a_link_is_stored_bare(commented: Path) -> None:
    """`--doi https://doi.org/...` is written as the DOI itself, as crm add does."""
    revise.edit_with_flags(
        commented, "doe-2020", SourceChanges({"doi": "https://doi.org/10.1111/hex.12996"}), CmocChanges()
    )
    assert "doi: 10.1111/hex.12996\n" in evidence(commented)


def test_rename_cmoc_rewrites_mentions_in_notes_and_remove_lists_them(tmp_path: Path) -> None:
    """A CMOC named in another's notes: rename rewrites the mention; remove shows it as referring."""
    text = source_yaml("doe-2020", "doe-2020-1", "doe-2020-12")
    at = text.rindex("    evidence:\n")
    text = text[:at] + "    notes: Compare doe-2020-1 (and not doe-2020-12).\n" + text[at:]
    root = write_review(tmp_path, {"doe-2020.yaml": text})
    plan = revise.plan_removal(root, "doe-2020-1")
    assert [r.describe().split(": ", 1)[1] for r in plan.references] == [
        "the notes of CMOC doe-2020-12 names CMOC doe-2020-1"
    ]
    assert revise.plan_removal(root, "doe-2020-12").references == ()  # its own notes go with it
    revise.rename(root, "cmoc", "doe-2020-1", "doe-2020-first")
    assert "notes: Compare doe-2020-first (and not doe-2020-12).\n" in evidence(root)


ASSESSMENT = """\
principle: quick-wins
finding: Quick wins keep people engaged.
components:
  methodological_limitations: {concern: minor, explanation: One study.}
  coherence: {concern: minor, explanation: One direction.}
  adequacy: {concern: serious, explanation: One CMOC.}
  relevance: {concern: minor, explanation: Close to the question.}
confidence: low
explanation: Too little evidence.
assessed_by: [JD]
assessed_on: 2026-11-23
cmocs: [doe-2020-1]  # what the judgement covered
"""


@pytest.fixture
def assessed(commented: Path) -> Path:
    (commented / "assessments").mkdir()
    (commented / "assessments" / "quick-wins.yaml").write_text(ASSESSMENT, encoding="utf-8")
    assert validate(commented).errors == ()
    return commented


def test_remove_lists_the_assessment_that_covered_the_cmoc(assessed: Path) -> None:
    """Removing a CMOC an assessment covered names that assessment (it will be flagged as out of date)."""
    plan = revise.plan_removal(assessed, "doe-2020-1")
    assert [r.holder for r in plan.references] == ["the assessment of quick-wins"]
    revise.remove_entry(assessed, "doe-2020-1")
    assert any("may be out of date" in p.message for p in validate(assessed).warnings)


def test_rename_principle_moves_its_assessment(assessed: Path) -> None:
    """The assessment file is named after its principle: both change, the comment stays."""
    done = revise.rename(assessed, "principle", "quick-wins", "wins")
    assert not (assessed / "assessments" / "quick-wins.yaml").exists()
    assert (assessed / "assessments" / "wins.yaml").read_text(encoding="utf-8") == ASSESSMENT.replace(
        "principle: quick-wins", "principle: wins"
    )
    assert any(target.name == "wins.yaml" for _, target in done.moved)
    result = validate(assessed)
    assert result.errors == () and not any("out of date" in p.message for p in result.warnings)


def test_rename_source_carries_its_cmoc_ids_into_the_assessment(assessed: Path) -> None:
    """Renaming a source renames its CMOCs, and the assessment that covered them follows."""
    revise.rename(assessed, "source", "doe-2020", "doe-2020x")
    text = (assessed / "assessments" / "quick-wins.yaml").read_text(encoding="utf-8")
    assert "cmocs: [doe-2020x-1]  # what the judgement covered\n" in text
    result = validate(assessed)
    assert result.errors == () and not any("out of date" in p.message for p in result.warnings)


KILL_AT_THE_SECOND_MOVE = """
import os, signal, sys
from pathlib import Path
from crm_review import files, revise
real, moves = Path.replace, []
def replace(self, target):
    if not str(target).endswith(files.JOURNAL):
        moves.append(1)
        if len(moves) == 2:
            os.kill(os.getpid(), signal.SIGKILL)
    return real(self, target)
Path.replace = replace
revise.rename(Path(sys.argv[1]), "source", "doe-2020", "doe-2020x")
"""


def test_rename_source_killed_half_way_is_finished_before_the_review_is_read(
    commented: Path, runner: CliRunner
) -> None:
    """Killed after the new file is in place, before the old one went: never both sources, never neither."""
    import signal
    import subprocess

    killed = subprocess.run([sys.executable, "-c", KILL_AT_THE_SECOND_MOVE, str(commented)], check=False)
    assert killed.returncode == -signal.SIGKILL
    folder = commented / "evidence"
    assert (folder / "doe-2020.yaml").exists() and (folder / "doe-2020x.yaml").exists()  # half way

    check = runner.invoke(app, ["validate", "--review", str(commented), "--no-cache"])
    assert check.exit_code == 0, check.output
    assert "finished a change that was interrupted half way" in check.output
    assert sorted(p.name for p in folder.iterdir()) == ["doe-2020x.yaml", "roe-2021.yaml"]
    assert evidence(commented, "doe-2020x.yaml") == COMMENTED.replace("doe-2020", "doe-2020x")
    assert validate(commented).problems == ()


def test_a_command_that_writes_nothing_says_a_change_was_interrupted(commented: Path, runner: CliRunner) -> None:
    import subprocess

    subprocess.run([sys.executable, "-c", KILL_AT_THE_SECOND_MOVE, str(commented)], check=False)
    before = snapshot(commented / "evidence")
    result = runner.invoke(app, ["synthesize", "--review", str(commented), "--check"])
    assert result.exit_code == 1
    assert "a change to these files was interrupted half way: run `crm validate` to finish it" in result.output
    assert snapshot(commented / "evidence") == before
