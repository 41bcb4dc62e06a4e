"""`crm init`: a new review folder, or the missing parts of an existing one, with what a team needs.

Files that are already there are kept as they are (``--force FILE`` replaces one); ``.gitignore`` and
``.gitattributes`` only gain the lines they lack. In a git repository, evidence files get crm's merge
driver, so that two reviewers adding CMOCs to one source on two branches merge without a clash.
"""

from __future__ import annotations

import shlex
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from crm_review import gitrepo, layout
from crm_review.errors import UnknownId
from crm_review.files import write_all_atomic
from crm_review.yamltext import dump

DEFAULT_QUESTION = "What works, for whom, in what circumstances and why?"
FULLTEXT_SETTING = """
# `crm verify` checks quotes against fulltext/<source-id>.pdf (or .html, .md, .txt). To keep the PDFs
# in a folder outside the repository, name it here (the path from this review's folder):
# fulltext: ../review-pdfs
"""
WORKFLOW = PurePosixPath(".github/workflows/review.yml")
GITIGNORE = PurePosixPath(".gitignore")
GITATTRIBUTES = PurePosixPath(".gitattributes")
# Files made of independent lines: an existing one gains the lines it lacks instead of being kept as is.
LINE_FILES = (GITIGNORE, GITATTRIBUTES)
MERGE_DRIVER = "crm-evidence"


@dataclass
class InitReport:
    """What ``crm init`` did to each file, by its path relative to the review."""

    created: list[PurePosixPath] = field(default_factory=list)
    replaced: list[PurePosixPath] = field(default_factory=list)
    kept: list[PurePosixPath] = field(default_factory=list)
    extended: dict[PurePosixPath, list[str]] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


def scaffold_names() -> list[PurePosixPath]:
    """Every file ``crm init`` writes, relative to the review (what ``--force`` accepts)."""
    return list(_templates(install=lambda: "", title="", question=None, blank=False))


def init_review(
    root: Path,
    *,
    title: str | None = None,
    question: str | None = None,
    blank: bool = False,
    install: str | None = None,
    force: Sequence[str] = (),
) -> InitReport:
    """Write what ``root`` lacks of a review; keep what it has, except the files named in ``force``.

    The install spec is only worked out when the workflow is written; without ``install`` it comes from
    how crm itself was installed (:func:`crm_review.install.detected_spec`), which may raise
    :class:`~crm_review.errors.InstallUnknown`.
    """
    forced = {_scaffold_name(name) for name in force}
    title = title or root.resolve().name.replace("-", " ").replace("_", " ").capitalize() or "Realist review"

    def install_spec() -> str:
        if install is not None:
            return install
        from crm_review.install import detected_spec

        return detected_spec()

    report = InitReport()
    writes: dict[Path, str] = {}
    for name, make in _templates(install=install_spec, title=title, question=question, blank=blank).items():
        path = root / name
        if not path.exists() or name in forced:
            (report.replaced if path.exists() else report.created).append(name)
            writes[path] = make()
        elif name in LINE_FILES:
            missing = _missing_lines(path.read_text(encoding="utf-8"), make())
            if missing:
                report.extended[name] = missing
                writes[path] = _appended(path.read_text(encoding="utf-8"), missing)
            else:
                report.kept.append(name)
        else:
            report.kept.append(name)
    write_all_atomic(writes)
    report.notes += _register_merge_driver(root)
    return report


def _templates(
    *, install: Callable[[], str], title: str, question: str | None, blank: bool
) -> dict[PurePosixPath, Callable[[], str]]:
    """Each scaffold file and how to make its text (made only when it is written)."""
    return {
        PurePosixPath(layout.CONFIG_DIR, layout.REVIEW_FILE): lambda: (
            dump({"title": title, "question": question or DEFAULT_QUESTION})
            + _packaged("defaults", "scaffold", "search.yaml")
            + FULLTEXT_SETTING
        ),
        PurePosixPath(layout.CONFIG_DIR, layout.PRINCIPLES_FILE): lambda: (
            "principles: []\n" if blank else _packaged("defaults", layout.PRINCIPLES_FILE)
        ),
        PurePosixPath(layout.EVIDENCE_DIR, "README.md"): lambda: _packaged(
            "defaults", "scaffold", "evidence-README.md"
        ),
        PurePosixPath("README.md"): lambda: _packaged("defaults", "scaffold", "README.md").replace("@TITLE@", title),
        GITIGNORE: lambda: _packaged("defaults", "scaffold", "gitignore"),
        GITATTRIBUTES: lambda: _packaged("defaults", "scaffold", "gitattributes"),
        WORKFLOW: lambda: _packaged("defaults", "scaffold", "review.yml").replace("@INSTALL@", _shell_word(install())),
    }


def _shell_word(spec: str) -> str:
    """``spec`` as one word of the workflow's shell line (``crm-review @ git+...`` has spaces).

    Double quotes, so that a ``${TOKEN}`` in a URL (PEP 610 keeps such references) is expanded by the shell.
    """
    return f'"{spec}"' if not any(ch in spec for ch in '"`\\') else shlex.quote(spec)


def _scaffold_name(given: str) -> PurePosixPath:
    name = PurePosixPath(given.replace("\\", "/").removeprefix("./"))
    names = scaffold_names()
    if name not in names:
        listed = ", ".join(str(n) for n in names)
        raise UnknownId(f"--force {given}: crm init does not write that file; it writes {listed}")
    return name


def _missing_lines(existing: str, wanted: str) -> list[str]:
    """The rule lines of ``wanted`` (not comments or blanks) that ``existing`` lacks."""
    have = {line.strip() for line in existing.splitlines()}
    return [
        line for line in wanted.splitlines() if line.strip() and not line.startswith("#") and line.strip() not in have
    ]


def _appended(existing: str, lines: list[str]) -> str:
    body = existing if not existing or existing.endswith("\n") else existing + "\n"
    return body + "# Added by `crm init`\n" + "".join(f"{line}\n" for line in lines)


def merge_driver_command(python: str | None = None) -> str:
    """The command git runs (through ``sh``) to merge an evidence file.

    This Python's crm, so an unactivated virtual environment works too. Where that Python or crm is gone
    (a deleted environment), git's own text merge runs instead, with conflict markers: without the
    fallback git would take the failed driver's untouched file, our side alone, as the merge result.
    """
    py = shlex.quote(python or sys.executable)
    return (
        f"if {py} -c 'import crm_review' 2>/dev/null; then {py} -m crm_review merge-file %O %A %B %P; "
        "else echo 'crm is not installed here: git merges %P as text' >&2; "
        "git merge-file -L ours -L base -L theirs %A %O %B; fi"
    )


def _register_merge_driver(root: Path) -> list[str]:
    """Register crm's merge driver in the repository's own git config (which git never shares)."""
    if not gitrepo.is_repository(root):
        return [
            "not a git repository yet: after `git init` (or in each clone), run `crm init .` again "
            "to register the merge driver for evidence files"
        ]
    gitrepo.set_config(root, f"merge.{MERGE_DRIVER}.name", "crm-review evidence files: renumber clashing CMOC ids")
    gitrepo.set_config(root, f"merge.{MERGE_DRIVER}.driver", merge_driver_command())
    return [f"registered the `{MERGE_DRIVER}` merge driver for evidence files in this clone's git config"]


def _packaged(*parts: str) -> str:
    return layout.packaged(*parts).read_text(encoding="utf-8")
