"""The built wheel carries everything crm needs (templates, taxonomy, scaffold, schema) and works."""

from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from conftest import FIXTURES, REPO

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--wheel-dir", str(out), str(REPO)],
        check=True,
        capture_output=True,
    )
    [built] = out.glob("crm_review-*.whl")
    return built


def test_wheel_contains_the_package_data(wheel: Path) -> None:
    """Templates, the explorer's script and style, the default taxonomy, the scaffold and the JSON Schema are inside the wheel."""
    names = set(zipfile.ZipFile(wheel).namelist())
    for name in (
        "crm_review/templates/REVIEW.md.j2",
        "crm_review/templates/review.html.j2",
        "crm_review/templates/explorer.html.j2",
        "crm_review/assets/explorer.js",
        "crm_review/assets/explorer.css",
        "crm_review/defaults/principles.yaml",
        "crm_review/defaults/scaffold/review.yml",
        "crm_review/schema/review.schema.json",
    ):
        assert name in names


def test_crm_from_the_wheel_renders_a_review(wheel: Path, tmp_path: Path) -> None:
    """crm imported from the wheel alone (not the source tree) validates and renders a review."""
    review = tmp_path / "r"
    shutil.copytree(FIXTURES / "small-review", review)
    env = {"PYTHONPATH": str(wheel), "PATH": "/usr/bin:/bin"}
    where = subprocess.run(
        [sys.executable, "-c", "import crm_review; print(crm_review.__file__)"], env=env, capture_output=True, text=True
    )
    assert where.stdout.startswith(str(wheel))
    code = "import sys; from crm_review.cli import main; sys.argv[1:] = sys.argv[2:]; main()"
    for args in (["validate"], ["synthesize"], ["init", str(tmp_path / "new")]):
        subprocess.run(
            [sys.executable, "-c", code, "crm", *args, *(["--review", str(review)] if args[0] != "init" else [])],
            check=True,
            env=env,
            cwd=tmp_path,
            capture_output=True,
        )
    assert (review / "review" / "review.html").read_text().startswith("<!DOCTYPE html>")
    assert (tmp_path / "new" / "configs" / "principles.yaml").is_file()
