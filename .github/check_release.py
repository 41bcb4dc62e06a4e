"""Refuse a release whose tag and built files disagree with the version crm-review reports.

Run by .github/workflows/release.yml as ``python .github/check_release.py TAG DIST_DIR``; a test runs
it too. The version lives in one place, ``src/crm_review/__init__.py``, which hatchling reads at build
time and ``crm --version`` at run time.
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def package_version() -> str:
    tree = ast.parse((ROOT / "src" / "crm_review" / "__init__.py").read_text(encoding="utf-8"))
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(getattr(t, "id", "") == "__version__" for t in node.targets):
            value = node.value
            if isinstance(value, ast.Constant) and isinstance(value.value, str):
                return value.value
    raise SystemExit('src/crm_review/__init__.py has no __version__ = "..."')


def problems(tag: str, dist: Path) -> list[str]:
    version = package_version()
    found = []
    if tag != f"v{version}":
        found.append(f"the tag is {tag} but crm-review's version is {version}: tag v{version}, or change __version__")
    expected = {f"crm_review-{version}.tar.gz", f"crm_review-{version}-py3-none-any.whl"}
    built = {p.name for p in dist.iterdir()} if dist.is_dir() else set()
    found += [f"{name} was not built in {dist}" for name in sorted(expected - built)]
    found += [f"{name} in {dist} is not this version's" for name in sorted(built - expected)]
    return found


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print("usage: check_release.py TAG DIST_DIR", file=sys.stderr)
        return 2
    found = problems(argv[0], Path(argv[1]))
    for problem in found:
        print(f"error: {problem}", file=sys.stderr)
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
