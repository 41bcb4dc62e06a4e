"""The loader's two ways of reading agree, and no file, however broken, gets a traceback out of crm."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from conftest import FIXTURES, source_yaml, write_review
from crm_review.cli import app
from crm_review.errors import CrmError
from crm_review.load import load_record
from crm_review.model import Source
from crm_review.pipeline import validate
from crm_review.yamltext import YamlProblems, dump, parse, plain_data

HERE = Path("evidence/f.yaml")

scalars = st.none() | st.integers(-(10**30), 10**30) | st.booleans() | st.text(max_size=30)
documents = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=15,
)


@settings(max_examples=300, deadline=None)
@given(documents)
def test_fast_reading_agrees_with_located_reading(data: object) -> None:
    """Whatever the fast reader accepts, the located reader reads the same; the rest it leaves to it."""
    text = dump(data)
    fast = plain_data(text)
    if fast is None:
        return
    assert parse(text, HERE).data == fast


@pytest.mark.parametrize(
    "text",
    [
        "a: 0x10\n",
        "a: 1:20\n",
        "a: NO\n",
        "a: 2020-01-31\n",
        "a: &x 1\nb: *x\n",
        "a: !!str 1\n",
        "a: 1\na: 2\n",
        "a: text # comment\n",
        "a: 1.5\n",
        "",
    ],
)
def test_fast_reading_leaves_unusual_files_to_the_located_reader(text: str) -> None:
    """Anything the located reader might refuse or explain is not read the fast way."""
    assert plain_data(text) is None


def test_a_comment_after_a_value_that_is_not_text_is_allowed(tmp_path: Path) -> None:
    """`direction: positive  # why` loses no words, so it is not an error (only cut text is)."""
    text = source_yaml("a", "a-1").replace("direction: positive", "direction: positive  # see the notes")
    root = write_review(tmp_path, {"a.yaml": text})
    assert validate(root).errors == ()


def test_a_quoted_hash_is_kept(tmp_path: Path) -> None:
    """In quotes, `#1` is text: the whole quote is stored."""
    text = source_yaml("a", "a-1").replace('"We learnt a lot."', '"funding was the #1 problem"')
    root = write_review(tmp_path, {"a.yaml": text})
    review = validate(root).review
    assert review is not None
    assert review.sources[0].cmocs[0].evidence[0].quote == "funding was the #1 problem"


@pytest.mark.parametrize("field", ["quote", "notes", "context"])
def test_long_text_may_span_lines_and_hold_tabs(tmp_path: Path, field: str) -> None:
    """Quotes, notes and contexts keep their line breaks and tabs as typed."""
    value = "first line\n\tsecond line"
    base = source_yaml("a", "a-1")
    if field == "quote":
        text = base.replace('"We learnt a lot."', '"first line\\n\\tsecond line"')
    elif field == "context":
        text = base.replace("context: Staff short of time.", 'context: "first line\\n\\tsecond line"')
    else:
        text = base + '    notes: "first line\\n\\tsecond line"\n'
    root = write_review(tmp_path, {"a.yaml": text})
    review = validate(root).review
    assert review is not None
    cmoc = review.sources[0].cmocs[0]
    stored = {"quote": cmoc.evidence[0].quote, "notes": cmoc.notes, "context": cmoc.context}[field]
    assert stored == value


def test_raw_control_character_crashes_no_command(tmp_path: Path, runner: CliRunner, in_dir: Path) -> None:
    """A form feed pasted from a PDF is one located line for every command that reads the review."""
    root = write_review(tmp_path / "r", {"a.yaml": source_yaml("a", "a-1")})
    (root / "evidence" / "cc.yaml").write_bytes(b'id: cc\ntitle: "a\x0cb"\n')
    for argv in (["validate"], ["synthesize"], ["list", "sources"], ["show", "a"], ["graph"]):
        result = runner.invoke(app, [*argv, "--review", "r"])
        assert result.exit_code == 1, argv
        assert "r/evidence/cc.yaml:2:10: error: an invisible control character (form feed, U+000C)" in result.output
        assert "Traceback" not in result.output


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda root: (root / "evidence").rmdir(), "evidence: error: is missing: evidence files go in a folder"),
        (
            lambda root: ((root / "evidence").rmdir(), (root / "evidence").write_text("oops")),
            "evidence: error: is a file, not a folder",
        ),
        (
            lambda root: (
                (root / "configs" / "principles.yaml").unlink(),
                (root / "configs" / "principles.yaml").mkdir(),
            ),
            "configs/principles.yaml: error: is not a file",
        ),
    ],
    ids=["evidence-missing", "evidence-a-file", "principles-a-folder"],
)
def test_a_folder_where_a_file_belongs_is_an_error(
    tmp_path: Path, runner: CliRunner, in_dir: Path, make: object, message: str
) -> None:
    """A missing or misplaced evidence folder or principles file is said, never silently worked around."""
    root = write_review(tmp_path / "r", {})
    make(root)  # type: ignore[operator]
    result = runner.invoke(app, ["validate", "--review", "r"])
    assert result.exit_code == 1
    assert f"r/{message}" in result.output
    assert "0 source(s)" not in result.output


# --- fuzzing: random and mutated evidence files never give a traceback --------------------------

SEED_FILES = [
    FIXTURES / "small-review" / "evidence" / p.name for p in (FIXTURES / "small-review" / "evidence").iterdir()
]
SEED_TEXTS = [p.read_bytes() for p in sorted(SEED_FILES)] + [
    p.read_bytes() for p in sorted((FIXTURES / "invalid").glob("*.yaml")) if p.stat().st_size < 5_000
]
YAML_PIECES = [
    b":",
    b": ",
    b"- ",
    b"#",
    b" #",
    b"\t",
    b"\n",
    b'"',
    b"'",
    b"[",
    b"]",
    b"{",
    b"}",
    b"&a ",
    b"*a",
    b"!!",
    b"---\n",
    b"|\n",
    b">-\n",
    b"\x0c",
    b"\\e",
    b"0x1f",
    b"12:30",
    b"~",
    b"NO",
    b"<<: ",
    b"  ",
    b"\xff",
]


@st.composite
def mutated_files(draw: st.DrawFn) -> bytes:
    data = bytearray(draw(st.sampled_from(SEED_TEXTS)))
    for _ in range(draw(st.integers(1, 6))):
        where = draw(st.integers(0, len(data)))
        action = draw(st.sampled_from(["insert", "delete", "random"]))
        if action == "insert":
            data[where:where] = draw(st.sampled_from(YAML_PIECES))
        elif action == "delete":
            del data[where : where + draw(st.integers(1, 20))]
        else:
            data[where:where] = draw(st.binary(max_size=8))
    return bytes(data)


@settings(
    max_examples=int(os.environ.get("CRM_FUZZ_EXAMPLES", "150")),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(mutated_files())
def test_fuzzed_evidence_gives_problems_never_a_traceback(tmp_path_factory: pytest.TempPathFactory, raw: bytes) -> None:
    """Any bytes in an evidence file give located problems or a review, never another exception."""
    root = write_review(tmp_path_factory.mktemp("fuzz"), {})
    (root / "evidence" / "fuzzed.yaml").write_bytes(raw)
    try:
        result = validate(root, use_cache=False)
    except CrmError:
        return
    for problem in result.problems:
        assert "\n" not in problem.message
        assert problem.line is None or problem.line >= 1
    if not result.errors:
        assert result.review is not None


@settings(max_examples=100, deadline=None)
@given(st.text(max_size=200))
def test_any_text_loads_or_gives_located_problems(text: str) -> None:
    """Random text as a source file: a record or problems, nothing else."""
    try:
        result = load_record(text, HERE, Source)
    except YamlProblems:  # pragma: no cover - load_record turns these into problems
        pytest.fail("YamlProblems escaped load_record")
    if isinstance(result, list):
        assert result and all(p.path == HERE for p in result)
