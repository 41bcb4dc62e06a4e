"""Team templates: replace a packaged template, or extend it and replace one block; a broken one is one line."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from conftest import FIXTURES
from crm_review.cli import app

SMALL = FIXTURES / "small-review"


@pytest.fixture
def review(tmp_path: Path) -> Path:
    root = tmp_path / "review-repo"
    shutil.copytree(SMALL, root)
    (root / "templates").mkdir()
    return root


def synth(runner: CliRunner, root: Path) -> tuple[int, str]:
    result = runner.invoke(app, ["synthesize", "--review", str(root)])
    return result.exit_code, result.output


def test_a_template_of_the_same_name_replaces_the_packaged_one(review: Path, runner: CliRunner) -> None:
    """A whole REVIEW.md.j2 in templates/ is used instead of the packaged one; review.html stays packaged."""
    (review / "templates" / "REVIEW.md.j2").write_text(
        "# {{ view.config.title|md }}\n{% for p in view.principles %}- {{ p.finding.title|md }}: "
        "{{ p.finding.links.refutes|length }} refuting\n{% endfor %}"
    )
    assert synth(runner, review)[0] == 0
    assert (review / "review" / "REVIEW.md").read_text() == (
        "# Citizen panels in primary care\n- Shared governance: 1 refuting\n- Quick wins: 0 refuting\n"
        "- Skills: 0 refuting\n"
    )
    assert "<!DOCTYPE html>" in (review / "review" / "review.html").read_text()


def test_extending_the_packaged_page_replaces_only_one_block(review: Path, runner: CliRunner) -> None:
    """`{% extends "crm/review.html.j2" %}` with a `method` block changes the Method and keeps the rest."""
    (review / "templates" / "review.html.j2").write_text(
        '{% extends "crm/review.html.j2" %}\n'
        '{% block method %}<section><h2 id="method">Method</h2><p>Our own method &amp; words.</p></section>'
        "{% endblock %}\n"
    )
    assert synth(runner, review)[0] == 0
    page = (review / "review" / "review.html").read_text()
    assert "<p>Our own method &amp; words.</p>" in page
    assert "A rapid realist review asks" not in page
    assert 'id="cmoc-alpha-2019-1"' in page and 'id="evidence-appendix"' in page


def test_a_scoped_block_replaces_each_principle_section(review: Path, runner: CliRunner) -> None:
    """The `principle` block sees the loop's principle, so a team can restyle every principle section."""
    (review / "templates" / "REVIEW.md.j2").write_text(
        '{% extends "crm/REVIEW.md.j2" %}\n'
        "{% block principle %}\n## {{ p.heading|md }} ({{ p.patterns|length }} patterns)\n{% endblock %}\n"
    )
    assert synth(runner, review)[0] == 0
    markdown = (review / "review" / "REVIEW.md").read_text()
    assert "\n## 1. Shared governance (2 patterns)\n" in markdown
    assert "\n## 3. Skills (0 patterns)\n" in markdown
    assert "## Evidence appendix" in markdown


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ("<p>\n{% for x in %}</p>\n", "review.html.j2:2: the template cannot be read: Expected an expression"),
        ("<p>\n{{ 1/0 }}</p>\n", "review.html.j2:2: the template failed: ZeroDivisionError: division by zero"),
        ('{% include "review.html.j2" %}', "review.html.j2: the template includes or extends itself without end"),
        (b"<p>caf\xe9</p>", "review.html.j2: a template is not UTF-8 text: save it as UTF-8"),
        ('{% extends "crm/nothing.html.j2" %}', "the template refers to `crm/nothing.html.j2`, which does not exist"),
    ],
    ids=["syntax", "raises", "recursion", "not-utf8", "missing-parent"],
)
def test_a_broken_team_template_is_one_line(
    review: Path, runner: CliRunner, content: str | bytes, expected: str
) -> None:
    """A team template that cannot be read or rendered: one line naming it, exit 1, nothing written."""
    path = review / "templates" / "review.html.j2"
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content)
    code, output = synth(runner, review)
    assert code == 1
    assert expected in output
    assert len(output.splitlines()) == 1 and "Traceback" not in output
    assert not (review / "review").exists()


@pytest.mark.parametrize("kind", ["folder", "symlink-loop", "dangling-symlink"])
def test_an_unreadable_team_template_is_not_silently_replaced(review: Path, runner: CliRunner, kind: str) -> None:
    """A template path that is a folder or a broken link is an error, not a quiet fall-back to the packaged one."""
    path = review / "templates" / "review.html.j2"
    if kind == "folder":
        path.mkdir()
    elif kind == "symlink-loop":
        path.symlink_to(path)
    else:
        path.symlink_to(review / "templates" / "gone.j2")
    code, output = synth(runner, review)
    assert code == 1
    assert "review.html.j2: not a readable file" in output
    assert not (review / "review").exists()


def test_control_characters_never_reach_a_document(tmp_path: Path) -> None:
    """Text that escaped the loader's refusal (a record made in code) still shows ESC and BEL as visible escapes."""
    from dataclasses import replace

    from conftest import source_yaml, write_review
    from crm_review.analysis import analyse
    from crm_review.outputs import render_outputs
    from crm_review.pipeline import load_valid_review

    root = write_review(tmp_path / "r", {"doe-2020.yaml": source_yaml("doe-2020", "doe-2020-1")})
    review = load_valid_review(root)
    source = review.sources[0]
    cmoc = source.cmocs[0].model_copy(update={"context": "clear \x1b[2J screen"})
    hostile = replace(review, sources=(source.model_copy(update={"title": "bell\x07", "cmocs": [cmoc]}),))
    for name, content in render_outputs(hostile, analyse(hostile), ("md", "html"), root / "templates").items():
        text = content.decode("utf-8")
        assert "\x1b" not in text and "\x07" not in text, name
        assert "\\x1b" in text, name  # shown as written, never obeyed
