"""`crm add` as a library: ids, principle prefixes, text kept as it was, every refusal leaving files untouched."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import REPO, snapshot, source_yaml, write_review
from crm_review.edit import add_cmoc, add_source
from crm_review.entries import CmocInput, SourceInput
from crm_review.errors import (
    AmbiguousPrinciple,
    CrmError,
    InvalidEvidence,
    MissingFields,
    RefusedOverwrite,
    UnknownId,
    UnsupportedLayout,
)
from crm_review.pipeline import validate

COMMENTED = """\
# Coded by JD, checked by RR.
id: doe-2020
title: 'Study: "quoted" title'   # single quotes on purpose
authors: ["Doe, Jane"]

year: 2020
appraisal: {relevance: high, rigour: moderate}
cmocs:
  # the first CMOC
  - id: doe-2020-1
    context: >-
      Staff short
      of time.
    mechanism: {resource: Training, response: Confidence grows}
    outcome: More people take part.
    direction: positive
    principles: [quick-wins]
    evidence:
      - {quote: "We learnt a lot.", locator: p. 3}
"""


def new_cmoc(**changes: object) -> CmocInput:
    values: dict[str, object] = {
        "source": "doe-2020",
        "context": "Citizens new to committees.",
        "resource": "Mentoring by peers",
        "response": "Citizens speak up",
        "outcome": "Their views shape the plan.",
        "direction": "positive",
        "principles": ("invest",),
        "quotes": (("They listened to us.", "p. 7"),),
    }
    values.update(changes)
    return CmocInput(**values)  # type: ignore[arg-type]


@pytest.fixture
def commented(tmp_path: Path) -> Path:
    return write_review(tmp_path, {"doe-2020.yaml": COMMENTED})


def test_cmoc_is_appended_and_the_old_text_kept(commented: Path) -> None:
    """Comments, quoting, key order and blank lines stay; the CMOC comes at the end of `cmocs:`."""
    added = add_cmoc(commented, new_cmoc())
    text = (commented / "evidence" / "doe-2020.yaml").read_text(encoding="utf-8")
    assert added.id == "doe-2020-2"
    assert text.startswith(COMMENTED)
    assert text[len(COMMENTED) :] == (
        "\n"
        "  - id: doe-2020-2\n"
        "    context: Citizens new to committees.\n"
        "    mechanism:\n"
        "      resource: Mentoring by peers\n"
        "      response: Citizens speak up\n"
        "    outcome: Their views shape the plan.\n"
        "    direction: positive\n"
        "    principles: [invest-in-skills]\n"
        "    evidence:\n"
        "      - quote: They listened to us.\n"
        "        locator: p. 7\n"
    )
    assert validate(commented).errors == ()


def test_text_yaml_would_misread_is_quoted(commented: Path) -> None:
    """Whatever a user types (NO, colons, quotes) is written so that it reads back as the same text."""
    tricky = 'NO: "yes", 12 # not a comment'
    add_cmoc(commented, new_cmoc(context=tricky, quotes=(('He said: "no"', "12"),)))
    review = validate(commented).review
    assert review is not None
    cmoc = review.sources[0].cmocs[-1]
    assert (cmoc.context, cmoc.evidence[0].quote, cmoc.evidence[0].locator) == (tricky, 'He said: "no"', "12")


def test_next_id_follows_the_highest_number(tmp_path: Path) -> None:
    """With doe-2020-1 and doe-2020-7 taken, the next CMOC is doe-2020-8."""
    root = write_review(tmp_path, {"doe-2020.yaml": source_yaml("doe-2020", "doe-2020-1", "doe-2020-7")})
    assert add_cmoc(root, new_cmoc()).id == "doe-2020-8"


def test_crlf_file_keeps_crlf(tmp_path: Path) -> None:
    """A file saved with Windows line endings gets the new CMOC with Windows line endings."""
    root = write_review(tmp_path, {})
    path = root / "evidence" / "doe-2020.yaml"
    path.write_bytes(source_yaml("doe-2020", "doe-2020-1").replace("\n", "\r\n").encode())
    add_cmoc(root, new_cmoc())
    raw = path.read_bytes()
    assert raw.count(b"\n") == raw.count(b"\r\n")
    assert validate(root).errors == ()


@pytest.mark.parametrize(
    ("cmoc", "error", "message"),
    [
        (new_cmoc(source="doe-2021"), UnknownId, "no source `doe-2021` in"),
        (new_cmoc(principles=("quick-wnis",)), UnknownId, "did you mean `quick-wins`?"),
        (new_cmoc(principles=("",)), UnknownId, "unknown principle ``"),
        (new_cmoc(id="doe-2020-1"), RefusedOverwrite, "CMOC id `doe-2020-1` is already used"),
        (new_cmoc(id="Bad Id"), InvalidEvidence, "is not a valid id"),
        (new_cmoc(context="   "), InvalidEvidence, "`context` is empty"),
        (new_cmoc(outcome=""), MissingFields, "--outcome"),
    ],
)
def test_refusal_leaves_every_file_byte_identical(
    commented: Path, cmoc: CmocInput, error: type[CrmError], message: str
) -> None:
    """A refused CMOC changes nothing, and the error says why."""
    before = snapshot(commented)
    with pytest.raises(error) as caught:
        add_cmoc(commented, cmoc)
    text = str(caught.value) if error is not InvalidEvidence else caught.value.problems[0].message  # type: ignore[attr-defined]
    assert message in text
    assert {k: v for k, v in snapshot(commented).items() if k != ".crm.lock"} == {
        k: v for k, v in before.items() if k != ".crm.lock"
    }


def test_ambiguous_prefix_is_refused(tmp_path: Path) -> None:
    """A prefix matching two principles names both and changes nothing."""
    taxonomy = "principles:\n  - {id: shared-governance, title: A, statement: B}\n  - {id: safe-space, title: C, statement: D}\n"
    root = write_review(
        tmp_path, {"doe-2020.yaml": source_yaml("doe-2020", principle="safe-space")}, principles=taxonomy
    )
    with pytest.raises(AmbiguousPrinciple, match="principle `s` could be shared-governance or safe-space"):
        add_cmoc(root, new_cmoc(principles=("s",)))


def test_missing_fields_are_all_listed(commented: Path) -> None:
    """Without a terminal, every missing field is named at once."""
    with pytest.raises(MissingFields) as caught:
        add_cmoc(commented, CmocInput(source="doe-2020", context="C"))
    assert caught.value.fields == ["resource", "response", "outcome", "direction", "principle", "quote"]


def test_broken_target_file_is_reported_not_edited(tmp_path: Path) -> None:
    """Adding to a file with errors shows its errors and leaves it alone."""
    root = write_review(tmp_path, {"doe-2020.yaml": "id: doe-2020\ntitle: A\ntitle: B\n"})
    before = snapshot(root)
    with pytest.raises(InvalidEvidence) as caught:
        add_cmoc(root, new_cmoc())
    assert "`title` appears twice" in caught.value.problems[0].message
    assert {k: v for k, v in snapshot(root).items() if k != ".crm.lock"} == before


def test_source_ids_from_first_author_and_year(tmp_path: Path) -> None:
    """doe-2020, then doe-2020b; accents folded; `nd` without a year."""
    root = write_review(tmp_path, {})
    source = SourceInput(title="T", authors=("Doe, Jane",), year=2020)
    assert add_source(root, source).id == "doe-2020"
    assert add_source(root, source).id == "doe-2020b"
    assert add_source(root, SourceInput(title="T", authors=("Muñoz Pérez, Ana",))).id == "munoz-perez-nd"
    assert validate(root).errors == ()


def test_source_file_holds_every_given_field(tmp_path: Path) -> None:
    """The new file has the given fields in the format's order, and `cmocs: []` ready for coding."""
    root = write_review(tmp_path, {})
    add_source(
        root,
        SourceInput(
            title="Engaging: a study",
            authors=("Doe, Jane", "Roe, Rich"),
            year=2020,
            doi="10.1000/abc",
            countries=("NO", "Chile"),
            relevance="high",
            rigour="low",
        ),
    )
    assert (root / "evidence" / "doe-2020.yaml").read_text(encoding="utf-8") == (
        "id: doe-2020\n"
        "title: 'Engaging: a study'\n"
        "authors: ['Doe, Jane', 'Roe, Rich']\n"
        "year: 2020\n"
        "doi: 10.1000/abc\n"
        "countries: ['NO', Chile]\n"
        "appraisal: {relevance: high, rigour: low}\n"
        "cmocs: []\n"
    )


def test_source_input_takes_only_the_fields_of_a_source() -> None:
    """A name that is not a field of model.Source is a bug caught at once, not a value silently dropped."""
    with pytest.raises(TypeError, match="not a field of a source: journl"):
        SourceInput(title="T", journl="J")


def test_source_input_replace_and_empty_values() -> None:
    """An empty value means not given; `replace` changes a copy and an empty value takes a field out."""
    given = SourceInput(title="T", authors=("Doe, J",), doi="10.1/x", journal="")
    assert given == SourceInput(title="T", authors=("Doe, J",), doi="10.1/x")
    assert given.replace(doi=None) == SourceInput(title="T", authors=("Doe, J",))
    assert given.doi == "10.1/x" and given.get("journal") is None


def test_half_an_appraisal_is_not_written() -> None:
    """A relevance without a rigour is missing the rigour, and the record leaves the half appraisal out."""
    given = SourceInput(title="T", authors=("Doe, J",), relevance="high")
    assert given.missing() == ["rigour"]
    assert "appraisal" not in given.record("doe-nd")


def test_explicit_source_id_is_never_overwritten(tmp_path: Path) -> None:
    """--id naming an existing source is refused."""
    root = write_review(tmp_path, {"doe-2020.yaml": source_yaml("doe-2020", "doe-2020-1")})
    before = snapshot(root)
    with pytest.raises(RefusedOverwrite, match="source `doe-2020` already exists"):
        add_source(root, SourceInput(title="T", authors=("X, Y",), id="doe-2020"))
    assert {k: v for k, v in snapshot(root).items() if k != ".crm.lock"} == before


def test_failed_rename_leaves_the_old_file_and_no_temporary(commented: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """If the write fails before the rename, the old file is intact and no temporary file is left."""
    before = snapshot(commented)

    def fail(*_: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", fail)
    with pytest.raises(OSError, match="disk full"):
        add_cmoc(commented, new_cmoc())
    assert {k: v for k, v in snapshot(commented).items() if k != ".crm.lock"} == before


KILL_BEFORE_RENAME = """
import os, signal, sys
from pathlib import Path
from crm_review.edit import add_cmoc
from crm_review.entries import CmocInput
os.replace = lambda *a: os.kill(os.getpid(), signal.SIGKILL)
add_cmoc(Path(sys.argv[1]), CmocInput(source="doe-2020", context="C", resource="R", response="S", outcome="O",
    direction="positive", principles=("quick-wins",), quotes=(("q", "p. 1"),)))
"""


def test_process_killed_between_write_and_rename(commented: Path) -> None:
    """A crm killed mid-write leaves the evidence file as it was, and the review still validates."""
    path = commented / "evidence" / "doe-2020.yaml"
    before = path.read_bytes()
    done = subprocess.run([sys.executable, "-c", KILL_BEFORE_RENAME, str(commented)], check=False)
    assert done.returncode == -signal.SIGKILL
    assert path.read_bytes() == before
    assert validate(commented).errors == ()


CONCURRENT_ADDER = """
import sys
from pathlib import Path
from crm_review.edit import add_cmoc
from crm_review.entries import CmocInput
for n in range(10):
    add_cmoc(Path(sys.argv[1]), CmocInput(source="doe-2020", context=f"{sys.argv[2]} {n}", resource="R",
        response="S", outcome="O", direction="positive", principles=("quick-wins",), quotes=(("q", "p. 1"),)))
"""


@pytest.mark.slow
def test_two_processes_adding_at_once_lose_nothing(tmp_path: Path) -> None:
    """Two processes each adding ten CMOCs to one source end with all twenty, every id distinct."""
    root = write_review(tmp_path, {"doe-2020.yaml": source_yaml("doe-2020")})
    procs = [
        subprocess.Popen([sys.executable, "-c", CONCURRENT_ADDER, str(root), name], cwd=REPO) for name in ("a", "b")
    ]
    assert [p.wait(timeout=120) for p in procs] == [0, 0]
    review = validate(root).review
    assert review is not None
    cmocs = review.sources[0].cmocs
    assert len(cmocs) == 20
    assert len({c.id for c in cmocs}) == 20
    assert sorted(c.context for c in cmocs) == sorted(f"{who} {n}" for who in "ab" for n in range(10))


def test_broken_taxonomy_is_reported_not_a_crash(tmp_path: Path) -> None:
    """With principles.yaml in error, adding a CMOC shows that file's error and changes nothing."""
    root = write_review(tmp_path, {"doe-2020.yaml": source_yaml("doe-2020")}, principles="principles:\n  - id: a\n")
    before = snapshot(root)
    with pytest.raises(InvalidEvidence) as caught:
        add_cmoc(root, new_cmoc(principles=("a",)))
    problems = caught.value.problems
    assert all(str(p.path).endswith("configs/principles.yaml") for p in problems)
    assert [p.message for p in problems] == [
        "missing `statement`: add `statement:` with its value",
        "missing `title`: add `title:` with its value",
    ]
    assert {k: v for k, v in snapshot(root).items() if k != ".crm.lock"} == before


def test_a_principle_named_twice_is_written_once(commented: Path) -> None:
    """`--principle quick --principle quick-wins` links the CMOC to quick-wins once."""
    add_cmoc(commented, new_cmoc(principles=("quick", "quick-wins", "invest")))
    review = validate(commented).review
    assert review is not None
    assert review.sources[0].cmocs[-1].principles == ["quick-wins", "invest-in-skills"]


def test_flow_style_cmoc_list_is_refused_with_advice(tmp_path: Path) -> None:
    """A hand-written `cmocs: [{...}]` is left alone, with the layout crm add needs explained."""
    text = source_yaml("doe-2020", "doe-2020-1")
    start = text.index("cmocs:\n")
    flow = (
        "cmocs: [{id: doe-2020-1, context: C, mechanism: {resource: R, response: S}, outcome: O, "
        "direction: positive, principles: [quick-wins], evidence: [{quote: q, locator: p. 1}]}]\n"
    )
    root = write_review(tmp_path, {"doe-2020.yaml": text[:start] + flow})
    before = snapshot(root)
    with pytest.raises(UnsupportedLayout, match="write one `- id:` item per line to use crm add"):
        add_cmoc(root, new_cmoc())
    assert {k: v for k, v in snapshot(root).items() if k != ".crm.lock"} == before


def test_doi_pasted_as_a_link_is_stored_bare(tmp_path: Path) -> None:
    """`--doi https://doi.org/10.1111/hex.12996` is written as the DOI itself."""
    root = write_review(tmp_path, {})
    add_source(root, SourceInput(title="T", authors=("Doe, J",), year=2020, doi="https://doi.org/10.1111/hex.12996"))
    review = validate(root).review
    assert review is not None and review.sources[0].doi == "10.1111/hex.12996"
