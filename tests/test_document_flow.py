"""The PRISMA-style document flow: written commented by `crm init`, checked by `crm validate`, drawn in review.html."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from conftest import REVIEW_YAML, source_yaml, write_review
from crm_review.cli import app
from crm_review.pipeline import synthesize, validate

COUNTS = {
    "identified": 120,
    "duplicates_removed": 20,
    "screened": 100,
    "excluded_at_screening": 80,
    "full_text_assessed": 20,
    "excluded_at_full_text": 18,
    "included": 2,
}


def review_with(tmp_path: Path, **changes: int) -> Path:
    counts = COUNTS | changes
    root = write_review(tmp_path, {f"s{i}.yaml": source_yaml(f"s{i}", f"s{i}-1") for i in (1, 2)})
    block = "search:\n" + "".join(f"  {name}: {count}\n" for name, count in counts.items())
    (root / "configs" / "review.yaml").write_text(REVIEW_YAML + block, encoding="utf-8")
    return root


def warnings(root: Path) -> list[str]:
    return [f"{p.line}:{p.col}: {p.message}" for p in validate(root).warnings if "search:" in p.message]


def test_counts_that_add_up_give_no_warning(tmp_path: Path) -> None:
    """Each stage equals the one before less what was removed there, and included equals the sources."""
    assert warnings(review_with(tmp_path)) == []


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"screened": 90, "excluded_at_screening": 70},
         "6:3: search: identified (120) minus duplicates_removed (20) is 100, but screened is 90: correct one of the three"),
        ({"full_text_assessed": 25, "excluded_at_full_text": 23},
         "8:3: search: screened (100) minus excluded_at_screening (80) is 20, but full_text_assessed is 25: "
         "correct one of the three"),
        ({"excluded_at_full_text": 17, "included": 3},
         "10:3: search: included is 3, but evidence/ holds 2 source(s): add the missing sources or correct the count"),
    ],
    ids=["screened", "full-text", "included-vs-sources"],
)  # fmt: skip
def test_a_count_that_does_not_add_up_is_a_located_warning(
    tmp_path: Path, changes: dict[str, int], expected: str
) -> None:
    """The warning stands on the count's line in configs/review.yaml and names the numbers involved."""
    assert warnings(review_with(tmp_path, **changes)) == [expected]


def test_init_writes_the_search_block_commented(tmp_path: Path, runner: CliRunner) -> None:
    """A new review's config explains the counts; uncommented with real numbers, they validate and are drawn."""
    runner.invoke(app, ["init", str(tmp_path / "new")], catch_exceptions=False)
    config = tmp_path / "new" / "configs" / "review.yaml"
    text = config.read_text(encoding="utf-8")
    assert "\n# search:\n#   identified: 0" in text
    assert validate(tmp_path / "new").review is not None
    uncommented = text.replace("\n# search:", "\nsearch:").replace("\n#   ", "\n  ")
    config.write_text(uncommented, encoding="utf-8")
    result = validate(tmp_path / "new")
    assert result.review is not None and result.review.config.search is not None
    assert result.review.config.search.included == 0


def test_review_html_draws_the_flow_as_a_figure(tmp_path: Path) -> None:
    """With counts recorded, review.html has an SVG figure with a box per stage and arrows between them."""
    root = review_with(tmp_path)
    synthesize(root, formats=("html",))
    page = (root / "review" / "review.html").read_text(encoding="utf-8")
    figure = page[page.index('<svg xmlns="http://www.w3.org/2000/svg"') : page.index("</svg>")]
    assert 'class="flow"' in figure
    assert "Records identified: 120</text>" in figure and "Documents included: 2</text>" in figure
    assert "Excluded at full text: 18</text>" in figure
    assert figure.count('marker-end="url(#arrowhead)"') == 6
