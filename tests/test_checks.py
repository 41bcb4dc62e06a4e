"""Rules across files: ids that must be unique or match, principle references that must resolve."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import source_yaml, write_review
from crm_review.pipeline import validate


def messages(root: Path, severity: str = "error") -> list[str]:
    return [f"{p.location()}: {p.message}" for p in validate(root).problems if p.severity == severity]


def test_id_must_equal_file_name(tmp_path: Path) -> None:
    """A source whose id differs from its file name is refused, with both fixes offered."""
    root = write_review(tmp_path, {"doe-2020.yaml": source_yaml("doe-2021", "doe-2021-1")})
    assert messages(root) == [
        f"{root}/evidence/doe-2020.yaml:1:5: id `doe-2021` differs from the file name `doe-2020.yaml`: "
        "write `id: doe-2020` or rename the file to `doe-2021.yaml`"
    ]


def test_duplicate_source_id_names_both_files(tmp_path: Path) -> None:
    """The same source in a .yaml and a .yml file is refused, naming the first file."""
    text = source_yaml("doe-2020", "doe-2020-1")
    root = write_review(tmp_path, {"doe-2020.yaml": text, "doe-2020.yml": text.replace("doe-2020-1", "doe-2020-9")})
    assert messages(root) == [
        f"{root}/evidence/doe-2020.yml:1:5: source id `doe-2020` is already used in {root}/evidence/doe-2020.yaml:1"
    ]


def test_duplicate_cmoc_id_across_files_names_both(tmp_path: Path) -> None:
    """A CMOC id used in two sources is refused at the second, naming the first file and line."""
    root = write_review(
        tmp_path,
        {"a.yaml": source_yaml("a", "shared-1"), "b.yaml": source_yaml("b", "b-1", "shared-1")},
    )
    assert messages(root) == [
        f"{root}/evidence/b.yaml:15:9: CMOC id `shared-1` is already used in {root}/evidence/a.yaml:7: "
        "give this CMOC its own id"
    ]


def test_unknown_principle_suggests_nearest(tmp_path: Path) -> None:
    """A misspelt principle is refused with the nearest principle id suggested."""
    root = write_review(tmp_path, {"a.yaml": source_yaml("a", "a-1", principle="quick-wnis")})
    assert messages(root) == [
        f"{root}/evidence/a.yaml:12:18: CMOC `a-1`: unknown principle `quick-wnis`: did you mean `quick-wins`?"
    ]


def test_unknown_principle_without_near_match_lists_them(tmp_path: Path) -> None:
    """With nothing close, the message lists the principles there are."""
    root = write_review(tmp_path, {"a.yaml": source_yaml("a", "a-1", principle="zzz")})
    assert messages(root)[0].endswith("unknown principle `zzz`; the principles are quick-wins, invest-in-skills")


def test_duplicate_principle_id_in_taxonomy(tmp_path: Path) -> None:
    """Two principles with one id are refused at the second."""
    taxonomy = "principles:\n" + "  - {id: p, title: P, statement: S}\n" * 2
    root = write_review(tmp_path, {"a.yaml": source_yaml("a", "a-1", principle="p")}, principles=taxonomy)
    assert messages(root) == [f"{root}/configs/principles.yaml:3:10: principle id `p` is already used on line 2"]


def test_warnings_for_uncoded_source_and_unsupported_principle(tmp_path: Path) -> None:
    """A source with no CMOCs and a principle with no evidence are warnings, not errors."""
    root = write_review(tmp_path, {"a.yaml": source_yaml("a", "a-1"), "b.yaml": source_yaml("b")})
    result = validate(root)
    assert result.errors == ()
    assert messages(root, "warning") == [
        f"{root}/configs/principles.yaml:5:9: principle `invest-in-skills` has no evidence: no CMOC links to it",
        f"{root}/evidence/b.yaml:1:1: source `b` has no CMOCs yet",
    ]
    assert not result.failed() and result.failed(strict=True)


def test_source_without_appraisal_is_a_warning(tmp_path: Path) -> None:
    """Coded CMOCs without an appraisal are flagged, since confidence needs it."""
    text = source_yaml("a", "a-1").replace("appraisal: {relevance: high, rigour: moderate}\n", "")
    root = write_review(tmp_path, {"a.yaml": text})
    assert "source `a` has CMOCs but no `appraisal`" in messages(root, "warning")[-1]


def test_default_taxonomy_is_used_when_review_has_none(tmp_path: Path) -> None:
    """A review without configs/principles.yaml gets the eight principles of De Weger et al."""
    root = write_review(tmp_path, {"a.yaml": source_yaml("a", "a-1", principle="motivations")}, principles=None)
    review = validate(root).review
    assert review is not None
    assert [p.id for p in review.principles] == [
        "facilitative-leadership",
        "safe-trusting-environment",
        "early-involvement",
        "shared-governance",
        "power-imbalances",
        "invest-in-skills",
        "quick-wins",
        "motivations",
    ]


@pytest.mark.parametrize("suffix", [".yaml", ".yml"])
def test_both_suffixes_are_read(tmp_path: Path, suffix: str) -> None:
    """Evidence may be saved as .yaml or .yml."""
    root = write_review(tmp_path, {f"a{suffix}": source_yaml("a", "a-1", principle="invest-in-skills")})
    review = validate(root).review
    assert review is not None and [s.id for s in review.sources] == ["a"]


@pytest.mark.parametrize(
    ("folder", "message"),
    [
        ("evidence", "not read: only .yaml and .yml files in evidence/ are evidence"),
        ("assessments", "not read: only .yaml and .yml files in assessments/ are read"),
    ],
)
def test_stray_file_in_a_read_folder_is_a_warning(tmp_path: Path, folder: str, message: str) -> None:
    """A Word file saved into evidence/ or assessments/ is named, since it will not be read; a README is not."""
    root = write_review(tmp_path, {"a.yaml": source_yaml("a", "a-1")})
    (root / folder).mkdir(exist_ok=True)
    for name in ("notes.docx", "README.md", ".DS_Store"):
        (root / folder / name).write_text("x", encoding="utf-8")
    warnings = [p for p in validate(root).problems if p.severity == "warning" and "not read" in p.message]
    assert [(str(p.path), p.message) for p in warnings] == [(f"{root}/{folder}/notes.docx", message)]


def test_warnings_about_the_default_taxonomy_say_how_to_change_it(tmp_path: Path) -> None:
    """Without configs/principles.yaml, warnings name the default principles, not lines of a hidden file."""
    root = write_review(tmp_path, {"a.yaml": source_yaml("a", "a-1", principle="motivations")}, principles=None)
    warnings = [p for p in validate(root).problems if p.severity == "warning"]
    assert len(warnings) == 7
    assert warnings[0].location() == "(the eight default principles: add configs/principles.yaml to change them)"


def test_principle_listed_twice_in_one_cmoc(tmp_path: Path) -> None:
    """The same principle twice in one CMOC is refused at the second mention."""
    text = source_yaml("a", "a-1").replace("principles: [quick-wins]", "principles: [quick-wins, quick-wins]")
    root = write_review(tmp_path, {"a.yaml": text})
    assert messages(root) == [
        f"{root}/evidence/a.yaml:12:30: CMOC `a-1`: principle `quick-wins` is listed twice: remove one"
    ]


@pytest.mark.parametrize(
    ("name", "text"),
    [
        ("b.yaml", source_yaml("b", "b-1")),
        ("b.yaml", source_yaml("b", "a-1")),
        ("a.yaml", source_yaml("a", "a-1", "a-2", principle="nope")),
        ("a.yaml", "id: a\ntitle: x\ntitle: y\n"),
    ],
    ids=["new-file", "duplicate-cmoc-id", "changed-file", "broken-file"],
)
def test_checking_a_change_agrees_with_reading_it_from_disk(tmp_path: Path, name: str, text: str) -> None:
    """`crm add` checks a change by parsing only the changed file; that gives what a full re-read would."""
    from crm_review.load import load_review_files, with_changes
    from crm_review.pipeline import check

    root = write_review(tmp_path, {"a.yaml": source_yaml("a", "a-1"), "c.yaml": source_yaml("c", "c-1")})
    path = root / "evidence" / name
    predicted = check(with_changes(load_review_files(root), {path: text})).problems
    path.write_text(text, encoding="utf-8")
    assert predicted == validate(root).problems
