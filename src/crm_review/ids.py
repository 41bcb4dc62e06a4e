"""Ids: made from what a reviewer already knows (the first author's family name and the year), and found
again where people mention them in their own words."""

from __future__ import annotations

import re
import string
import unicodedata
from collections.abc import Collection, Sequence

from crm_review.model import family_name


def slugify(text: str) -> str:
    """``"Muñoz Pérez"`` -> ``"munoz-perez"``: ASCII letters and digits joined by hyphens."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")


def source_id(authors: Sequence[str], year: int | None, title: str, taken: Collection[str]) -> str:
    """``doe-2020``, then ``doe-2020b``, ``doe-2020c``... (``nd`` when the year is not known)."""
    name = slugify(family_name(authors[0])) if authors else ""
    if not name:
        name = slugify(" ".join(title.split()[:3])) or "source"
    base = f"{name}-{year if year is not None else 'nd'}"
    if base not in taken:
        return base
    for letter in string.ascii_lowercase[1:]:
        if f"{base}{letter}" not in taken:
            return f"{base}{letter}"
    number = 2
    while f"{base}-{number}" in taken:
        number += 1
    return f"{base}-{number}"


def next_cmoc_id(source: str, taken: Collection[str]) -> str:
    """``<source>-N`` with N one past the highest number the source's CMOCs use."""
    pattern = re.compile(rf"^{re.escape(source)}-(\d+)$")
    numbers = [int(m.group(1)) for cmoc_id in taken if (m := pattern.match(cmoc_id))]
    number = max(numbers, default=0) + 1
    while f"{source}-{number}" in taken:
        number += 1
    return f"{source}-{number}"


def mention_pattern(entry_id: str) -> re.Pattern[str]:
    """What counts as a mention of ``entry_id`` in free text (notes): the id as a whole word.

    Not a part of a longer id (``doe-2020-1`` is not mentioned in ``doe-2020-12`` nor in
    ``x.doe-2020-1``), but ended by punctuation (``see doe-2020-1.`` mentions it). ``crm renumber``,
    ``crm rename`` and ``crm remove`` all find mentions by this one rule.
    """
    return re.compile(rf"(?<![A-Za-z0-9_.-]){re.escape(entry_id)}(?![A-Za-z0-9_-]|\.[A-Za-z0-9])")
