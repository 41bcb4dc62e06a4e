"""Evidence text made safe for each output format: text stays text, never markup or template code."""

from __future__ import annotations

import re
from functools import lru_cache

# Parentheses, braces, `+` and `!` act only next to `[` or at a line start, so they stay unescaped.
_MD_SPECIAL = re.compile(r"([\\`*_\[\]<>#|~])")
_ENTITY = re.compile(r"&(?=#?[A-Za-z0-9]+;)")


def one_line(text: str) -> str:
    """Runs of white space, newlines included, as single spaces."""
    return " ".join(text.split())


@lru_cache(maxsize=65_536)
def md_inline(text: str) -> str:
    """Text for a Markdown paragraph: punctuation that Markdown would act on is backslash-escaped.

    ``<script>`` stays visible text, ``*`` stays an asterisk, and a leading ``#`` or ``1.`` cannot turn
    the line into a heading or a list, because the text is always placed after a label on its line.
    Cached: contrasts show the same CMOC's text once for every CMOC it is set against.
    """
    return _MD_SPECIAL.sub(r"\\\1", _ENTITY.sub("&amp;", one_line(text)))


def md_cell(text: str) -> str:
    """Text for a Markdown table cell: inline-escaped, so pipes and newlines cannot break the row."""
    return md_inline(text)


def mermaid_label(text: str) -> str:
    """Text for a quoted Mermaid label (``id["..."]``), with Mermaid's own entity codes."""
    replacements = {"#": "#35;", '"': "#quot;", "<": "#lt;", ">": "#gt;", "`": "#96;", "&": "#38;"}
    return "".join(replacements.get(ch, ch) for ch in one_line(text))


def mermaid_id(node: str) -> str:
    """A Mermaid node id from a graph node (``source:doe-2020`` -> ``source_doe_2020``)."""
    return re.sub(r"[^A-Za-z0-9_]", "_", node)


def dot_string(text: str) -> str:
    """A double-quoted Graphviz DOT string."""
    return '"' + one_line(text).replace("\\", "\\\\").replace('"', '\\"') + '"'


_SAFE_SCHEMES = ("http://", "https://")


def href(url: str | None) -> str | None:
    """A URL that may become a live link (``http``/``https`` only, no white space), else ``None``.

    Anything else (``javascript:``, ``data:``, a bare word) is shown as text by the templates, never linked.
    """
    if url is None:
        return None
    candidate = url.strip()
    if not candidate.lower().startswith(_SAFE_SCHEMES) or any(ch.isspace() or ord(ch) < 32 for ch in candidate):
        return None
    return candidate


def doi_url(doi: str) -> str:
    """The resolver link of a DOI, its characters percent-encoded where a URL needs it."""
    from urllib.parse import quote

    return "https://doi.org/" + quote(doi, safe="/:;()._-")
