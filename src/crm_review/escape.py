"""Evidence text made safe for each output format: text stays text, never markup or template code."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from functools import lru_cache

# Parentheses, braces, `+` and `!` act only next to `[` or at a line start, so they stay unescaped.
_MD_SPECIAL = "`*_[]<>#|~"
"""Backslash-escaped in Markdown text, after the backslash itself."""
_ENTITY = re.compile(r"&(?=#?[A-Za-z0-9]+;)")


XML_FORBIDDEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
"""The characters XML 1.0 cannot hold: control characters but tab, line feed and carriage return; U+FFFE, U+FFFF."""
_NOT_XML_FORBIDDEN_BYTE = bytes(sorted(set(range(256)) - (set(range(0x20)) - {0x09, 0x0A, 0x0D})))


def holds_xml_forbidden(joined: bytes, texts: int) -> bool:
    """Whether ``texts`` texts, in UTF-8 with a NUL between two, hold a character of :data:`XML_FORBIDDEN`.

    Searched in the bytes at once: each forbidden control character is one byte of its own in UTF-8 (the
    NULs between the texts are counted out), and U+FFFE and U+FFFF start with 0xEF, rare in most text, so a
    search for that one byte comes before the searches for three.
    """
    if len(joined.translate(None, _NOT_XML_FORBIDDEN_BYTE)) != max(texts - 1, 0):
        return True
    return b"\xef" in joined and (b"\xef\xbf\xbe" in joined or b"\xef\xbf\xbf" in joined)


def xml_escaped(data: bytes) -> bytes:
    """UTF-8 text as XML character data: ``&``, ``<`` and ``>`` escaped (Word's and Excel's texts, many at once)."""
    return data.replace(b"&", b"&amp;").replace(b"<", b"&lt;").replace(b">", b"&gt;")


def utf8_joined(texts: Iterable[str], separator: bytes = b"") -> bytes:
    """The texts in UTF-8, ``separator`` between two: each encoded on its own, then the bytes joined.

    Joined first, one character beyond Latin-1 among them (a curly quote, the minus sign) would widen
    every text to two bytes a character and send all of them through UTF-8's slow path, character by
    character; an ASCII text encodes as a plain copy.
    """
    return separator.join(map(str.encode, texts))


def one_line(text: str) -> str:
    """Runs of white space, newlines included, as single spaces; control characters as visible escapes."""
    # Every white space but the plain space is unprintable, so printable text without doubled, leading or
    # trailing spaces is already one line (checked in C: most evidence text is).
    if text.isprintable() and "  " not in text and text[:1] != " " and text[-1:] != " ":
        return text
    return visible(" ".join(text.split()), keep="")


def md_inline(text: str) -> str:
    """Text for a Markdown paragraph or table cell: punctuation that Markdown would act on is backslash-escaped.

    ``<script>`` stays visible text, ``*`` stays an asterisk, and a leading ``#`` or ``1.`` cannot turn
    the line into a heading or a list, because the text is always placed after a label on its line.
    In a table cell, ``|`` is escaped and line breaks are spaces, so the row cannot break.
    """
    flat = one_line(text)
    if "&" in flat:
        flat = _ENTITY.sub("&amp;", flat)
    flat = flat.replace("\\", "\\\\")  # the escape character first, so that the escapes added below stay single
    for special in _MD_SPECIAL:
        if special in flat:  # most text holds none of them: a scan in C, no copy
            flat = flat.replace(special, "\\" + special)
    return flat


def html_text(text: str) -> str:
    """Text for HTML or XML content and quoted attributes: ``& < > ' "`` as the entities markupsafe writes."""
    return (
        text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("'", "&#39;").replace('"', "&#34;")
    )


def mermaid_label(text: str) -> str:
    """Text for a quoted Mermaid label (``id["..."]``), with Mermaid's own entity codes.

    ``%`` is coded too: Mermaid obeys a ``%%{init: ...}%%`` directive wherever it stands, even inside a
    quoted label, and ``%%`` starts a comment.
    """
    replacements = {"#": "#35;", "%": "#37;", '"': "#quot;", "<": "#lt;", ">": "#gt;", "`": "#96;", "&": "#38;"}
    return "".join(replacements.get(ch, ch) for ch in one_line(text))


def mermaid_id(node: str) -> str:
    """A Mermaid node id from a graph node (``source:doe-2020`` -> ``source_doe_2020``)."""
    return re.sub(r"[^A-Za-z0-9_]", "_", node)


def dot_string(text: str) -> str:
    """A double-quoted Graphviz DOT string."""
    return '"' + one_line(text).replace("\\", "\\\\").replace('"', '\\"') + '"'


_SAFE_SCHEMES = ("http", "https")
# What a link may carry as it is: RFC 3986's unreserved and reserved characters, and `%` of an existing
# escape. Everything else (quotes, `<>`, backticks, braces, parentheses that would end a Markdown link,
# letters beyond ASCII) is percent-encoded, so a link is inert in an HTML attribute and a Markdown link.
_URL_SAFE = "-._~:/?#[]@!$&+,;=%"
_LONE_PERCENT = re.compile(r"%(?![0-9A-Fa-f]{2})")


def href(url: str | None) -> str | None:
    """A URL that may become a live link (``http``/``https`` with a host), percent-encoded, else ``None``.

    Anything else (``javascript:``, ``data:``, a relative path, a bare word, text with spaces or control
    characters) is shown by the templates as text, never linked.
    """
    if url is None:
        return None
    candidate = url.strip()
    if not candidate or any(ch.isspace() or _is_invisible(ch, keep="") for ch in candidate):
        return None
    from urllib.parse import quote, urlsplit, urlunsplit

    try:
        parts = urlsplit(candidate)
        host = parts.hostname
        parts.port  # noqa: B018 - read for its check: a port that is not a number raises
    except ValueError:  # an unclosed `[` of an IPv6 host, a port that is not a number
        return None
    if parts.scheme.lower() not in _SAFE_SCHEMES or not host or "\\" in candidate:
        return None
    try:
        netloc = parts.netloc.encode("idna").decode("ascii") if not parts.netloc.isascii() else parts.netloc
    except UnicodeError:
        return None
    rest = urlunsplit(("", "", parts.path, parts.query, parts.fragment))
    return f"{parts.scheme.lower()}://{quote(netloc, safe=_URL_SAFE)}" + quote(
        _LONE_PERCENT.sub("%25", rest), safe=_URL_SAFE
    )


def doi_url(doi: str) -> str:
    """The resolver link of a DOI: all but letters, digits, ``-._~`` and ``/:;()`` percent-encoded.

    doi.org decodes them again. ``<``, ``>``, quotes and spaces are encoded, so the link cannot end a
    Markdown autolink (``<...>``, which the documents use) or an HTML attribute; parentheses and
    colons, common in DOIs and harmless there, stay readable.
    """
    from urllib.parse import quote

    return "https://doi.org/" + quote(doi.strip(), safe="/:;()")


# Characters that act on a terminal or a parser instead of being shown: C0 and C1 controls, lone
# surrogates (which cannot even be encoded), and the bidirectional overrides that reorder what is shown.
_INVISIBLE = {"Cc", "Cs"}
_BIDI_CONTROLS = set("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
_XML_NONCHARACTERS = {"\ufffe", "\uffff"}


def _is_invisible(ch: str, keep: str) -> bool:
    if ch in keep:
        return False
    return unicodedata.category(ch) in _INVISIBLE or ch in _BIDI_CONTROLS or ch in _XML_NONCHARACTERS


def visible(text: str, keep: str = "\n\t") -> str:
    """``text`` with every control character written as a visible escape (ESC as ``\\x1b``).

    Newline and tab (or whatever ``keep`` names) stay. The one rule for text that reaches a terminal,
    an XML file or a document: it is shown, never obeyed, and always encodable.
    """
    if text.isprintable() or not _invisible_pattern(keep).search(text):  # the common cases, fast (in C)
        return text
    return "".join(_escape_code(ch) if _is_invisible(ch, keep) else ch for ch in text)


@lru_cache(maxsize=8)
def _invisible_pattern(keep: str) -> re.Pattern[str]:
    """A regular expression for what :func:`_is_invisible` finds: C0/C1 controls, surrogates, bidi controls,
    XML non-characters, less those in ``keep``. A plain character class (no look-ahead), so that searching a
    whole document costs little."""
    kept = {ord(ch) for ch in keep}
    spans = [(0x00, 0x1F), (0x7F, 0x9F), (0xD800, 0xDFFF)]
    spans += [(ord(ch), ord(ch)) for ch in sorted(_BIDI_CONTROLS | _XML_NONCHARACTERS)]
    codes = sorted(code for low, high in spans for code in range(low, high + 1) if code not in kept)
    ranges: list[list[int]] = []
    for code in codes:  # consecutive code points as one range
        if ranges and ranges[-1][1] == code - 1:
            ranges[-1][1] = code
        else:
            ranges.append([code, code])
    members = "".join(f"\\U{low:08x}-\\U{high:08x}" if high > low else f"\\U{low:08x}" for low, high in ranges)
    return re.compile(f"[{members}]")


_NAMED_ESCAPES = {"\n": "\\n", "\t": "\\t", "\r": "\\r"}


def first_invisible(text: str, keep: str = "\n\t") -> str | None:
    """The first control character of ``text`` that :func:`visible` would escape, or ``None``."""
    if text.isprintable():
        return None
    return next((ch for ch in text if _is_invisible(ch, keep)), None)


def _escape_code(ch: str) -> str:
    if ch in _NAMED_ESCAPES:
        return _NAMED_ESCAPES[ch]
    code = ord(ch)
    return f"\\x{code:02x}" if code <= 0xFF else f"\\u{code:04x}"


def json_text(text: str) -> str:
    """JSON text (from ``json.dumps``) with control and bidi characters as ``\\uXXXX`` escapes.

    ``json.dumps`` escapes C0 controls only; C1 controls, bidi overrides and lone surrogates would reach a
    terminal raw. Outside its strings JSON text is plain ASCII, so every such character stands in a
    string, where its escape means the same character: the data is unchanged.
    """
    if text.isascii():
        return text
    return "".join(f"\\u{ord(ch):04x}" if _is_invisible(ch, keep="\n") else ch for ch in text)
