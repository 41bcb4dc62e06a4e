"""Exports that are broken, cut short or of an unexpected shape: one located line, never a traceback.

One fixture per case in fixtures/import-broken/, named for it; then a fuzz test of the three importers
(150 examples each in `make test`; CRM_FUZZ_EXAMPLES=3000 for a longer campaign).
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from conftest import FIXTURES, snapshot, write_review
from crm_review.cli import app
from crm_review.edit import import_references
from crm_review.errors import CrmError

BROKEN = FIXTURES / "import-broken"

CASES = {
    "truncated.ris": "truncated.ris:7: the last record has no `ER  - ` line: the export looks cut short",
    "record-without-end.ris": "record-without-end.ris:1: this record has no `ER  - ` line before the next record",
    "plain-text.ris": "plain-text.ris: no RIS records in this file",
    "plain-text.bib": "plain-text.bib: no BibTeX records in this file",
    "control-character-in-title.ris": (
        'control-character-in-title.ris:1: record 1 ("Ward committees\\x1b]0;pwned\\x07 in Nigeria"): '
        "its title holds the control character \\x1b"
    ),
    "csl-author-string.json": (
        'csl-author-string.json: record 1 ("Peer support in Lima"): `author` should be a list of names'
    ),
    "csl-issued-string.json": (
        'csl-issued-string.json: record 1 ("Peer support in Lima"): `issued` should be a date such as'
    ),
    "csl-flat-date-parts.json": (
        'csl-flat-date-parts.json: record 1 ("Peer support in Lima"): `issued.date-parts` should be a list of'
    ),
    "csl-numeric-family.json": (
        'csl-numeric-family.json: record 2 ("Peer support in Lima"): the `family` of an `author` should be text,'
        " not the number 42"
    ),
    "csl-deep-nesting.json": "csl-deep-nesting.json: JSON nested too deeply to read",
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_broken_export_is_one_located_line(name: str, tmp_path: Path, runner: CliRunner, in_dir: Path) -> None:
    """The export and the record are named; exit 1; no traceback; no evidence file named or written."""
    root = write_review(tmp_path / "r", {})
    shutil.copy(BROKEN / name, tmp_path / name)
    before = snapshot(root)

    result = runner.invoke(app, ["import", name, "--review", "r"])

    assert result.exit_code == 1
    lines = result.output.splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"error: {CASES[name]}"), result.output
    assert "evidence/" not in result.output and "Traceback" not in result.output
    assert {k: v for k, v in snapshot(root).items() if k != ".crm.lock"} == before


def test_whole_records_before_a_truncated_one_are_not_imported_either(tmp_path: Path, runner: CliRunner) -> None:
    """A cut-short export imports nothing, so a second run after exporting again starts clean."""
    root = write_review(tmp_path / "r", {})
    runner.invoke(app, ["import", str(BROKEN / "truncated.ris"), "--review", str(root)])
    assert list((root / "evidence").iterdir()) == []


@pytest.mark.skipif(not Path("/dev/zero").exists(), reason="needs /dev/zero")
def test_endless_input_is_refused_not_read_forever(
    tmp_path: Path, runner: CliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`crm import /dev/zero`: the read stops at the size limit and says so, in one line."""
    monkeypatch.setattr("crm_review.importers.MAX_EXPORT_BYTES", 1_000_000)
    root = write_review(tmp_path / "r", {})
    result = runner.invoke(app, ["import", "/dev/zero", "--format", "ris", "--review", str(root)])
    assert result.exit_code == 1
    assert result.output == (
        "error: /dev/zero: larger than 1 MB, far beyond a reference library's export: is it the right file?"
        " Split it into smaller exports\n"
    )


# --- fuzz: any bytes-like export either imports or fails with one message ------------------------

RIS_TAGS = ["TY", "ER", "TI", "T1", "AU", "A1", "PY", "Y1", "DO", "UR", "KW", "SP", "EP", "JO", "N2", "AB", "XX"]
CSL_KEYS = ["title", "author", "issued", "DOI", "URL", "keyword", "container-title", "volume", "page", "abstract"]
CSL_PARTS = ["family", "given", "literal", "non-dropping-particle", "date-parts", "raw", "literal"]

text = st.text(st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=30)
ris_line = st.one_of(
    st.builds(lambda tag, value: f"{tag}  - {value}", st.sampled_from(RIS_TAGS), text),
    st.sampled_from(["TY  - JOUR", "ER  - ", "", "TY", "ER  -"]),
    text,
)
ris = st.lists(ris_line, max_size=14).map("\n".join)

bib_piece = st.one_of(
    st.sampled_from(
        [
            "@article{",
            "@book{",
            "@string{",
            "@comment{",
            "key,",
            "title = ",
            "author = ",
            "year = ",
            "doi = ",
            "{",
            "}",
            '"',
            ",",
            "\n",
            " and ",
            "@",
            "#",
            "%",
            "=",
            "\\'{e}",
            "{\\^e}",
            "2020",
            "Doe, Jane",
        ]
    ),
    text,
)
bibtex = st.lists(bib_piece, max_size=25).map("".join)

json_leaf = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False, allow_infinity=False), text)
json_value = st.recursive(
    json_leaf,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.dictionaries(st.one_of(st.sampled_from(CSL_KEYS + CSL_PARTS), text), inner, max_size=4),
    ),
    max_leaves=12,
)
csl_record = st.dictionaries(st.sampled_from(CSL_KEYS), json_value, max_size=6)
csl_json = st.one_of(st.lists(st.one_of(csl_record, json_value), max_size=4), json_value).map(json.dumps)


@pytest.fixture(scope="module")
def fuzz_review(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_review(tmp_path_factory.mktemp("fuzz"), {})


def import_or_refuse(root: Path, export: str, name: str, fmt: str) -> None:
    path = root.parent / name
    path.write_text(export, encoding="utf-8")
    try:
        import_references(root, path, fmt, dry_run=True)
    except CrmError as error:
        assert "\n" not in str(error).strip() and "evidence/" not in str(error)


FUZZ = settings(
    max_examples=int(os.environ.get("CRM_FUZZ_EXAMPLES", "150")),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)


@FUZZ
@given(export=ris)
def test_fuzzed_ris_never_crashes(fuzz_review: Path, export: str) -> None:
    """Any RIS-like text imports or is refused with one message."""
    import_or_refuse(fuzz_review, export, "fuzz.ris", "ris")


@FUZZ
@given(export=bibtex)
def test_fuzzed_bibtex_never_crashes(fuzz_review: Path, export: str) -> None:
    """Any BibTeX-like text imports or is refused with one message."""
    import_or_refuse(fuzz_review, export, "fuzz.bib", "bibtex")


@FUZZ
@given(export=csl_json)
def test_fuzzed_csl_json_never_crashes(fuzz_review: Path, export: str) -> None:
    """Any JSON, of any shape, imports or is refused with one message."""
    import_or_refuse(fuzz_review, export, "fuzz.json", "csl-json")
