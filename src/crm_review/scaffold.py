"""`crm init`: a new, valid review folder with everything a team and its CI need."""

from __future__ import annotations

from pathlib import Path

from crm_review import __version__, layout
from crm_review.errors import RefusedOverwrite
from crm_review.files import write_atomic
from crm_review.yamltext import dump

DEFAULT_QUESTION = "What works, for whom, in what circumstances and why?"


def scaffold_files(root: Path, *, title: str | None, question: str | None, blank: bool) -> dict[Path, str]:
    """Every file of a new review, by path."""
    title = title or root.resolve().name.replace("-", " ").replace("_", " ").capitalize() or "Realist review"
    config = dump({"title": title, "question": question or DEFAULT_QUESTION})
    taxonomy = "principles: []\n" if blank else _packaged("defaults", layout.PRINCIPLES_FILE)
    workflow = _packaged("defaults", "scaffold", "review.yml").replace("@INSTALL@", f'"crm-review=={__version__}"')
    return {
        layout.review_file(root): config,
        layout.principles_file(root): taxonomy,
        layout.evidence_dir(root) / "README.md": _packaged("defaults", "scaffold", "evidence-README.md"),
        root / ".gitignore": _packaged("defaults", "scaffold", "gitignore"),
        root / "README.md": _packaged("defaults", "scaffold", "README.md").replace("@TITLE@", title),
        root / ".github" / "workflows" / "review.yml": workflow,
    }


def init_review(
    root: Path, *, title: str | None = None, question: str | None = None, blank: bool = False
) -> list[Path]:
    """Write a new review into ``root``; refuse, writing nothing, if any of its files exists."""
    files = scaffold_files(root, title=title, question=question, blank=blank)
    existing = [path for path in files if path.exists()]
    if existing:
        names = ", ".join(str(layout.shown(p)) for p in existing)
        raise RefusedOverwrite(f"not overwriting what is there: {names}")
    for path, text in files.items():
        write_atomic(path, text)
    return [layout.shown(p) for p in files]


def _packaged(*parts: str) -> str:
    return layout.packaged(*parts).read_text(encoding="utf-8")
