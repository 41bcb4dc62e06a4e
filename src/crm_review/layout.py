"""Where a review keeps its files, and where the packaged defaults stand."""

from __future__ import annotations

import os
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path

CONFIG_DIR = "configs"
REVIEW_FILE = "review.yaml"
PRINCIPLES_FILE = "principles.yaml"
EVIDENCE_DIR = "evidence"
ASSESSMENTS_DIR = "assessments"
TEMPLATES_DIR = "templates"
OUTPUT_DIR = "review"
DEFAULT_TAXONOMY = Path("(the eight default principles: add configs/principles.yaml to change them)")
LOCK_FILE = ".crm.lock"
EVIDENCE_SUFFIXES = (".yaml", ".yml")


def review_file(root: Path) -> Path:
    return root / CONFIG_DIR / REVIEW_FILE


def principles_file(root: Path) -> Path:
    return root / CONFIG_DIR / PRINCIPLES_FILE


def evidence_dir(root: Path) -> Path:
    return root / EVIDENCE_DIR


def evidence_files(root: Path) -> list[Path]:
    """The review's evidence files, sorted by name so that every run reads them in one order."""
    folder = evidence_dir(root)
    if not folder.is_dir():
        return []
    return sorted((p for p in folder.iterdir() if p.is_file() and p.suffix in EVIDENCE_SUFFIXES), key=lambda p: p.name)


def assessments_dir(root: Path) -> Path:
    return root / ASSESSMENTS_DIR


def assessment_file(root: Path, principle_id: str) -> Path:
    return assessments_dir(root) / f"{principle_id}.yaml"


def assessment_files(root: Path) -> list[Path]:
    """The team's confidence assessments, sorted by name (one file per principle)."""
    folder = assessments_dir(root)
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.iterdir() if p.is_file() and p.suffix in EVIDENCE_SUFFIXES)


def packaged(*parts: str) -> Traversable:
    """A file shipped inside the package (default taxonomy, templates, schema)."""
    node = resources.files("crm_review")
    for part in parts:
        node = node / part
    return node


def shown(path: Path) -> Path:
    """The path as a user should see it: relative to the current folder when it lies below it."""
    try:
        return Path(os.path.relpath(path)) if path.is_absolute() and Path.cwd() in path.parents else path
    except ValueError:  # pragma: no cover - another drive on Windows
        return path
