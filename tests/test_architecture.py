"""The pipeline's shape: each outside library has one owner, and interactive commands start light."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "src" / "crm_review"

OWNERS = {
    "yaml": {"yamltext.py"},
    "networkx": {"graph.py", "analysis.py", "export.py"},
    "jinja2": {"templating.py"},
    "typer": {"cli.py"},
    "rich": {"cli.py", "prompts.py", "progress.py"},
    "rispy": {"importers.py"},
    "bibtexparser": {"importers.py"},
    "filelock": {"edit.py"},
    "prompt_toolkit": {"prompts.py"},
    "docx": {"docx_writer.py"},
    "xlsxwriter": {"xlsx_writer.py"},
    "PIL": {"figure_png.py"},
    "pypdf": {"fulltext.py"},
    "selectolax": {"fulltext.py"},
    "markdown_it": {"fulltext.py"},
    "rapidfuzz": {"verify.py"},
}


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


@pytest.mark.parametrize("library", sorted(OWNERS))
def test_library_is_imported_only_by_its_owner(library: str) -> None:
    """One module owns each outside library, so a change of library touches one file."""
    importers = {p.name for p in PACKAGE.rglob("*.py") if library in imported_modules(p)}
    assert importers <= OWNERS[library]


def test_errors_module_imports_nothing_of_the_package() -> None:
    """errors.py sits below everything, so anything may raise its errors."""
    assert "crm_review" not in imported_modules(PACKAGE / "errors.py")


@pytest.mark.parametrize("argv", [["--help"], ["validate", "--review", "."]])
def test_interactive_commands_do_not_import_heavy_modules(argv: list[str]) -> None:
    """`crm --help` and `crm validate` stay quick: no networkx, jinja2 or full-text readers on their path."""
    code = (
        "import sys\n"
        "from crm_review.cli import app\n"
        f"try:\n    app({argv!r}, prog_name='crm')\nexcept SystemExit:\n    pass\n"
        "print(sorted(m for m in ('networkx', 'jinja2', 'pypdf', 'rapidfuzz', 'selectolax') if m in sys.modules))\n"
    )
    repo = PACKAGE.parents[1]
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=repo, check=True)
    assert out.stdout.strip().splitlines()[-1] == "[]"


@pytest.mark.parametrize(
    ("formats", "loaded"),
    [
        ("md,html,json", []),
        ("xlsx", ["xlsxwriter"]),
        ("csv", []),
        ("docx", ["PIL", "docx"]),
    ],
)
def test_office_libraries_load_only_for_their_formats(formats: str, loaded: list[str], tmp_path: Path) -> None:
    """Rendering Markdown never loads python-docx, XlsxWriter or Pillow; each loads only for its own format."""
    code = (
        "import sys\n"
        "from crm_review.cli import app\n"
        f"try:\n    app(['synthesize', '--out', {str(tmp_path)!r}, '--format', {formats!r}], prog_name='crm')\n"
        "except SystemExit:\n    pass\n"
        "print(sorted(m for m in ('docx', 'xlsxwriter', 'PIL') if m in sys.modules))\n"
    )
    repo = PACKAGE.parents[1]
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=repo, check=True)
    assert out.stdout.strip().splitlines()[-1] == str(loaded)


def test_cli_choices_match_the_library() -> None:
    """The CLI spells its choices out (to start light) and they must stay the library's."""
    from crm_review import cli
    from crm_review.export import GRAPH_FORMATS
    from crm_review.importers import FORMATS
    from crm_review.model import DIRECTIONS, RATINGS

    assert tuple(cli.DirectionChoice) == DIRECTIONS
    assert tuple(cli.RatingChoice) == RATINGS
    assert tuple(cli.ImportFormat) == FORMATS
    assert tuple(cli.GraphFormat) == GRAPH_FORMATS


HEAVY = ("networkx", "jinja2")
IMPORTERS = ("rispy", "bibtexparser", "crm_review.importers")


def modules_loaded_by(argv: list[str], review: Path) -> set[str]:
    code = (
        "import sys\n"
        "from crm_review.cli import app\n"
        f"try:\n    app({argv!r}, prog_name='crm')\nexcept SystemExit:\n    pass\n"
        f"print('LOADED:', *(m for m in {HEAVY + IMPORTERS!r} if m in sys.modules))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=review, check=True)
    [line] = [line for line in out.stdout.splitlines() if line.startswith("LOADED:")]
    return set(line.split()[1:])


@pytest.mark.parametrize(
    ("argv", "allowed"),
    [
        (["--help"], set()),
        (["validate"], set()),
        (["list", "sources"], set()),
        (["list", "cmocs"], set()),
        (["show", "doe-2020"], set()),
        # From an editable checkout `crm init` asks what CI should install, through prompts.py and edit.py.
        (["init", "new-review"], set(IMPORTERS)),
        # `crm add` goes through edit.py, which also serves `crm import` and imports the importers at its top.
        (
            [
                "add",
                "cmoc",
                "--source",
                "doe-2020",
                "--context",
                "C",
                "--resource",
                "R",
                "--response",
                "S",
                "--outcome",
                "O",
                "--direction",
                "positive",
                "--principle",
                "quick-wins",
                "--quote",
                "Q",
                "--locator",
                "p. 1",
                "--no-input",
            ],
            set(IMPORTERS),
        ),
    ],
    ids=["help", "validate", "list-sources", "list-cmocs", "show", "init", "add"],
)
def test_every_command_but_synthesis_starts_light(review: Path, argv: list[str], allowed: set[str]) -> None:
    """Commands people run often load neither networkx nor jinja2, and only `import`/`add` the importers."""
    loaded = modules_loaded_by(argv, review)
    assert loaded <= allowed, loaded
