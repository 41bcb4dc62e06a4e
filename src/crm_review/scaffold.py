"""`crm init`: a new, valid review folder with everything a team and its CI need."""

from __future__ import annotations

from pathlib import Path

from crm_review import __version__, layout
from crm_review.errors import RefusedOverwrite
from crm_review.files import write_all_atomic
from crm_review.yamltext import dump

DEFAULT_QUESTION = "What works, for whom, in what circumstances and why?"


def default_install() -> str:
    """What the review's CI workflow installs unless the team says otherwise."""
    return f"crm-review=={__version__}"


def scaffold_files(
    root: Path, *, title: str | None, question: str | None, blank: bool, install: str | None = None
) -> dict[Path, str]:
    """Every file of a new review, by path."""
    title = title or root.resolve().name.replace("-", " ").replace("_", " ").capitalize() or "Realist review"
    config = dump({"title": title, "question": question or DEFAULT_QUESTION})
    config += _packaged("defaults", "scaffold", "search.yaml")
    taxonomy = "principles: []\n" if blank else _packaged("defaults", layout.PRINCIPLES_FILE)
    workflow = _packaged("defaults", "scaffold", "review.yml").replace("@INSTALL@", f'"{install or default_install()}"')
    return {
        layout.review_file(root): config,
        layout.principles_file(root): taxonomy,
        layout.evidence_dir(root) / "README.md": _packaged("defaults", "scaffold", "evidence-README.md"),
        root / ".gitignore": _packaged("defaults", "scaffold", "gitignore"),
        root / "README.md": _packaged("defaults", "scaffold", "README.md").replace("@TITLE@", title),
        root / ".github" / "workflows" / "review.yml": workflow,
    }


def init_review(
    root: Path,
    *,
    title: str | None = None,
    question: str | None = None,
    blank: bool = False,
    install: str | None = None,
) -> list[Path]:
    """Write a new review into ``root``; refuse, writing nothing, if any of its files exists."""
    files = scaffold_files(root, title=title, question=question, blank=blank, install=install)
    existing = [path for path in files if path.exists()]
    if existing:
        names = ", ".join(str(layout.shown(p)) for p in existing)
        raise RefusedOverwrite(f"not overwriting what is there: {names}")
    write_all_atomic(files)
    return [layout.shown(p) for p in files]


def _packaged(*parts: str) -> str:
    return layout.packaged(*parts).read_text(encoding="utf-8")
