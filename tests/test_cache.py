"""The cache of checked files can only make crm faster: whatever it holds, the report is the files' own."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from conftest import source_yaml, write_review
from crm_review.cache import CACHE_DIR
from crm_review.cli import app
from crm_review.pipeline import validate


def report(root: Path, *, use_cache: bool) -> list[str]:
    return [f"{p.location()}: {p.severity}: {p.message}" for p in validate(root, use_cache=use_cache).problems]


def packs(root: Path) -> list[Path]:
    return sorted((root / CACHE_DIR).glob("pack-*.jsonl"))


def entries(root: Path) -> list[bytes]:
    return [line for pack in packs(root) for line in pack.read_bytes().splitlines() if line]


@pytest.fixture
def broken_review(tmp_path: Path) -> Path:
    """A review with valid files, a file with an error and a clash across files."""
    return write_review(
        tmp_path / "r",
        {
            "a.yaml": source_yaml("a", "a-1", "shared-1"),
            "b.yaml": source_yaml("b", "shared-1"),
            "c.yaml": source_yaml("c", "c-1").replace("direction: positive", "direction: positve"),
            "d.yaml": source_yaml("d"),
        },
    )


def test_warm_run_reports_exactly_what_a_cold_one_does(broken_review: Path) -> None:
    """The second run reads from the cache and says the same, errors, warnings and lines included."""
    cold = report(broken_review, use_cache=True)
    assert len(entries(broken_review)) == 4
    assert report(broken_review, use_cache=True) == cold == report(broken_review, use_cache=False)
    assert any("already used in" in line for line in cold) and any("positve" in line for line in cold)


def test_records_from_the_cache_equal_records_from_the_files(tmp_path: Path) -> None:
    """The review built from cached entries is the one built from the files."""
    root = write_review(tmp_path, {"a.yaml": source_yaml("a", "a-1", "a-2"), "b.yaml": source_yaml("b", "b-1")})
    fresh = validate(root, use_cache=False).review
    validate(root)
    assert validate(root).review == fresh == validate(root, keep_records=True).review


@pytest.mark.parametrize(
    "damage",
    [
        lambda data: data[: len(data) // 2],
        lambda data: b"",
        lambda data: b"\x00\xff garbage",
        lambda data: data.replace(b'"format": 1', b'"format": 99'),
        lambda data: data.replace(b'"problems": []', b'"problems": [[1, 1, "made up", "error"]]', 1)[:-3] + b"}\n",
        lambda data: data.replace(b'"appraised": true', b'"appraised": "yes"'),
        lambda data: data.split(b"\n", 1)[0] + b"\n",
    ],
    ids=["truncated", "empty", "garbage", "foreign-format", "broken-json", "wrong-type", "record-missing"],
)
def test_damaged_entries_are_ignored_and_rebuilt(broken_review: Path, damage: object) -> None:
    """A damaged, truncated or foreign entry is never trusted: the file is read again, the entry rewritten."""
    expected = report(broken_review, use_cache=False)
    report(broken_review, use_cache=True)
    for pack in packs(broken_review):
        pack.write_bytes(damage(pack.read_bytes()))  # type: ignore[operator]
    assert report(broken_review, use_cache=True) == expected
    assert report(broken_review, use_cache=True) == expected  # and once rebuilt


def test_entries_of_another_crm_are_never_used(broken_review: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Entries are found by crm's own fingerprint too: a changed crm reads every file again."""
    from crm_review import cache

    expected = report(broken_review, use_cache=False)
    report(broken_review, use_cache=True)
    monkeypatch.setattr(cache, "fingerprint", lambda: "another crm")
    assert report(broken_review, use_cache=True) == expected
    assert len(packs(broken_review)) == 2


def test_packs_are_compacted_and_keep_only_what_is_used(broken_review: Path) -> None:
    """Many runs with changes leave a few packs, holding only entries of files as they are now."""
    path = broken_review / "evidence" / "a.yaml"
    for number in range(12):
        path.write_text(path.read_text() + f"# edit {number}\n")
        report(broken_review, use_cache=True)
    assert len(packs(broken_review)) <= 9
    assert report(broken_review, use_cache=True) == report(broken_review, use_cache=False)


def test_cache_that_cannot_be_written_changes_nothing(broken_review: Path) -> None:
    """A file where the cache folder should be (or a read-only review) only makes crm slower."""
    (broken_review / CACHE_DIR).write_text("not a folder")
    assert report(broken_review, use_cache=True) == report(broken_review, use_cache=False)


def test_no_cache_writes_no_cache(broken_review: Path, runner: CliRunner) -> None:
    """`crm validate --no-cache` neither reads nor writes .crm-cache/."""
    runner.invoke(app, ["validate", "--review", str(broken_review), "--no-cache"])
    assert not (broken_review / CACHE_DIR).exists()
    runner.invoke(app, ["validate", "--review", str(broken_review)])
    assert entries(broken_review)
    assert (broken_review / CACHE_DIR / ".gitignore").read_text().splitlines()[-1] == "*"


def test_new_review_ignores_the_cache_in_git(tmp_path: Path, runner: CliRunner) -> None:
    """The .gitignore `crm init` writes names .crm-cache/."""
    runner.invoke(app, ["init", str(tmp_path / "new")], catch_exceptions=False)
    assert ".crm-cache/" in (tmp_path / "new" / ".gitignore").read_text().splitlines()


EDITS = st.sampled_from(
    [
        ("direction: positive", "direction: positve"),
        ("direction: positive", "direction: negative"),
        ('"We learnt a lot."', "We learnt the #1 lesson"),
        ('"We learnt a lot."', '"We learnt a lot, again."'),
        ("principles: [quick-wins]", "principles: [quick-wnis]"),
        ("principles: [quick-wins]", "principles: {quick-wins: refines}"),
        ("year: 2020", "year: 0x7e4"),
        ("year: 2020", "year: 2021"),
        ("context: Staff short of time.", "context: Staff: short of time."),
        ("title: Study", "title: 'Study"),
        ("-1\n", "-2\n"),
        ("id: ", "id: x"),
    ]
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.tuples(st.sampled_from(["a.yaml", "b.yaml", "c.yaml"]), EDITS), min_size=1, max_size=6))
def test_random_edits_give_the_same_report_with_and_without_the_cache(
    tmp_path_factory: pytest.TempPathFactory, edits: list[tuple[str, tuple[str, str]]]
) -> None:
    """After any sequence of edits, validating with the cache reports exactly what validating without it does."""
    root = write_review(
        tmp_path_factory.mktemp("edits"),
        {name: source_yaml(name[0], f"{name[0]}-1", f"{name[0]}-2") for name in ("a.yaml", "b.yaml", "c.yaml")},
    )
    report(root, use_cache=True)
    for name, (old, new) in edits:
        path = root / "evidence" / name
        path.write_text(path.read_text().replace(old, new, 1))
        assert report(root, use_cache=True) == report(root, use_cache=False)


@pytest.mark.slow
def test_two_validations_while_a_third_process_adds(tmp_path: Path) -> None:
    """Validating in two processes while a third adds CMOCs: no failure, and the cache stays truthful."""
    root = write_review(tmp_path / "r", {f"s{i}.yaml": source_yaml(f"s{i}", f"s{i}-1") for i in range(20)})
    crm = [sys.executable, "-m", "crm_review"]
    add = (
        "for i in $(seq 8); do "
        f"{' '.join(crm)} add cmoc --review {root} --source s3 --context C --resource R --response S "
        "--outcome O --direction positive --principle quick-wins --quote Q --locator p.1 --no-input || exit 1; done"
    )
    check = f"for i in $(seq 8); do {' '.join(crm)} validate --review {root} >/dev/null || exit 1; done"
    processes = [subprocess.Popen(["bash", "-c", command]) for command in (add, check, check)]
    assert [p.wait(timeout=300) for p in processes] == [0, 0, 0]
    assert report(root, use_cache=True) == report(root, use_cache=False)
    review = validate(root).review
    assert review is not None
    assert len(next(s for s in review.sources if s.id == "s3").cmocs) == 9
