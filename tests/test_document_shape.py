"""The shape of the documents at size: each CMOC in full once, each quote once, growth linear in the evidence."""

from __future__ import annotations

import html
import io
import json
import zipfile
from pathlib import Path

import pytest

from conftest import REPO, generated_review, write_review
from crm_review import output
from crm_review.analysis import analyse
from crm_review.escape import md_inline
from crm_review.pipeline import load_valid_review, synthesize
from crm_review.verify import for_review


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = generated_review(tmp_path_factory.mktemp("shape"), sources=30, cmocs_per_source=6)
    synthesize(root)
    return root


def test_each_cmoc_has_one_full_entry_with_a_stable_anchor(rendered: Path) -> None:
    """Every CMOC has exactly one `cmoc-<id>` entry in review.html and one `CMOC <id>` heading in REVIEW.md."""
    page = (rendered / "review" / "review.html").read_text(encoding="utf-8")
    markdown = (rendered / "review" / "REVIEW.md").read_text(encoding="utf-8")
    for _, cmoc in load_valid_review(rendered).cmocs():
        assert page.count(f'id="cmoc-{cmoc.id}"') == 1
        assert markdown.count(f"\n#### CMOC {md_inline(cmoc.id)}\n") == 1
        assert page.count(f'href="#cmoc-{cmoc.id}"') >= 1


def test_each_quote_appears_verbatim_exactly_once(rendered: Path) -> None:
    """A quote is printed in the appendix only, never again in the principle sections."""
    page = (rendered / "review" / "review.html").read_text(encoding="utf-8")
    markdown = (rendered / "review" / "REVIEW.md").read_text(encoding="utf-8")
    for _, cmoc in load_valid_review(rendered).cmocs():
        for quote in cmoc.evidence:
            assert page.count(html.escape(quote.quote, quote=False)) == 1
            assert markdown.count(md_inline(quote.quote)) == 1


def test_review_json_lists_each_cmoc_once_and_patterns_per_principle(rendered: Path) -> None:
    """review.json: every CMOC once with its evidence; each pattern's CMOCs split by outcome."""
    document = json.loads((rendered / "review" / "review.json").read_text(encoding="utf-8"))
    ids = [c["id"] for c in document["cmocs"]]
    assert len(ids) == len(set(ids)) == 180
    for principle in document["principles"]:
        for pattern in principle["patterns"]:
            outcomes = pattern["outcomes"]
            assert sorted(outcomes["positive"] + outcomes["negative"] + outcomes["mixed"]) == sorted(
                pattern["cmoc_ids"]
            )
            assert len(pattern["cmoc_ids"]) >= 2
        linked = principle["links"]
        assert sorted(linked["supports"] + linked["refutes"] + linked["refines"]) == principle["cmoc_ids"]


@pytest.mark.parametrize("at_once", [1, 7, 256])
def test_review_json_written_in_parts_is_the_document_serialized_whole(
    at_once: int, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """The CMOCs, serialized a part at a time into their place, give the bytes of the whole document at once.

    The bundled review (quotes verified, notes) and a generated one spanning several parts of each size.
    """
    monkeypatch.setattr(output, "CMOCS_AT_ONCE", at_once)
    for root in (REPO, generated_review(tmp_path, sources=30, cmocs_per_source=20)):
        review = load_valid_review(root, write_cache=False)
        findings = analyse(review)
        verification = for_review(review, root, write_cache=False)
        whole = output.ReviewDocument.__pydantic_serializer__.to_json(
            output.review_document(review, findings, verification), indent=2, exclude_none=True
        )
        parts = io.BytesIO()
        output.write_review_json(parts, review, findings, verification)
        assert parts.getvalue() == whole + b"\n"


def test_review_json_of_a_review_without_cmocs_is_the_document_serialized_whole(tmp_path: Path) -> None:
    review = load_valid_review(write_review(tmp_path, {}))
    findings = analyse(review)
    whole = output.ReviewDocument.__pydantic_serializer__.to_json(
        output.review_document(review, findings), indent=2, exclude_none=True
    )
    parts = io.BytesIO()
    output.write_review_json(parts, review, findings)
    assert parts.getvalue() == whole + b"\n"
    assert json.loads(parts.getvalue())["cmocs"] == []


def test_documents_grow_linearly_with_the_evidence(tmp_path: Path) -> None:
    """Twice the sources, about twice the bytes: nothing is set pairwise against anything else."""
    sizes = []
    for sources in (25, 50):  # both above the size at which the network figure gives way to the map
        root = generated_review(tmp_path / str(sources), sources=sources, cmocs_per_source=6)
        synthesize(root)
        sizes.append({p.name: _content_size(p) for p in (root / "review").iterdir()})
    for name in sizes[0]:
        assert 1.8 < sizes[1][name] / sizes[0][name] < 2.2, name


def _content_size(path: Path) -> int:
    """A text document's bytes; for Word and Excel, the uncompressed body and sheets (styles are a constant)."""
    if path.suffix not in {".docx", ".xlsx"}:
        return path.stat().st_size
    with zipfile.ZipFile(path) as package:
        parts = [i for i in package.infolist() if i.filename in BODY or i.filename.startswith("xl/worksheets/")]
        return sum(info.file_size for info in parts)


BODY = {"word/document.xml"}


def test_rendering_on_two_cores_gives_the_same_bytes(
    rendered: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """A large review rendered with a forked second process is byte for byte the one-process rendering."""
    from crm_review import pipeline

    monkeypatch.setattr(pipeline, "PARALLEL_FROM_CMOCS", 1)
    synthesize(rendered, out=tmp_path)
    for name in ("REVIEW.md", "review.html", "review.json"):
        assert (tmp_path / name).read_bytes() == (rendered / "review" / name).read_bytes()


def test_a_failure_in_the_second_process_is_the_same_one_line_error(
    rendered: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """A team template that fails while rendered in the forked process is reported as in one process."""
    from crm_review import pipeline
    from crm_review.errors import TemplateFailed

    monkeypatch.setattr(pipeline, "PARALLEL_FROM_CMOCS", 1)
    templates = rendered / "templates"
    templates.mkdir(exist_ok=True)
    (templates / "review.html.j2").write_text("<p>\n{{ 1/0 }}</p>\n", encoding="utf-8")
    try:
        with pytest.raises(TemplateFailed, match=r"review.html.j2:2: the template failed: ZeroDivisionError"):
            synthesize(rendered, out=tmp_path)
    finally:
        (templates / "review.html.j2").unlink()
    assert not list(tmp_path.iterdir())
