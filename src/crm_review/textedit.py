"""Changing values inside a YAML text while keeping every line the change does not touch.

A person's evidence file carries comments, quoting, flow mappings and blank lines that a load-and-dump
round trip would throw away. So a change is made on the text itself: the located data of :func:`parse`
says where each key and value stands, only those characters are rewritten, and the new text of a value
comes from :func:`dump` (so it reads back as exactly the value given).
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from crm_review.errors import UnsupportedLayout
from crm_review.yamltext import Loc, Located, dump

_END_KEY = "zz-end-of-entry"
"""A key with a number value, dumped after the real one so that the real one is written in block style."""


@dataclass(frozen=True, order=True)
class Splice:
    """Replace ``text[start:end]`` with ``new`` (an insertion when ``start == end``)."""

    start: int
    end: int
    new: str


def apply(text: str, splices: Sequence[Splice]) -> str:
    """``text`` with every splice made; splices must not overlap."""
    ordered = sorted(splices, key=lambda s: (s.start, s.end))
    for before, after in itertools.pairwise(ordered):
        if after.start < before.end:
            raise UnsupportedLayout("two changes overlap in one place of the file: make them one at a time")
    for splice in reversed(ordered):
        text = text[: splice.start] + splice.new + text[splice.end :]
    return text


def newline_of(text: str) -> str:
    return "\r\n" if "\r\n" in text else "\n"


# --- rendering values as YAML text ----------------------------------------------------------------


def block_entry(key: str, value: Any, indent: int, newline: str) -> str:
    """``key: value`` as written in a block mapping whose keys start at column ``indent`` (no final newline)."""
    lines = dump({key: value, _END_KEY: 0}).splitlines()[:-1]
    return (newline + " " * indent).join(lines)


def flow_value(value: Any) -> str:
    """``value`` as written inside ``[...]`` or ``{...}`` on one line."""
    if isinstance(value, Mapping):
        return "{" + ", ".join(f"{flow_value(k)}: {flow_value(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list | tuple):
        return "[" + ", ".join(flow_value(v) for v in value) + "]"
    if isinstance(value, bool) or value is None:
        return json.dumps(value)
    if isinstance(value, int):
        return str(value)
    text = dump([value, 0]).strip()
    if text.startswith("[") and text.endswith(", 0]") and "\n" not in text:
        return text[1:-4]
    quoted = json.dumps(str(value), ensure_ascii=False)
    # YAML 1.1 reads these as line breaks even inside quotes; JSON leaves them raw.
    return quoted.replace("\u2028", "\\u2028").replace("\u2029", "\\u2029").replace("\x85", "\\x85")


def scalar_text(value: str, *, flow: bool) -> str:
    """A one-line scalar (an id) as it must be written where it stands, quoted only if YAML needs it."""
    if flow:
        return flow_value(value)
    return block_entry("k", value, 0, "\n").removeprefix("k: ")


# --- where things stand ------------------------------------------------------------------------------


def is_flow(text: str, located: Located, loc: Loc) -> bool:
    """Whether the collection at ``loc`` is written in flow style (``[...]`` or ``{...}``)."""
    start = located.value_starts[loc].index
    return text[start : start + 1] in ("{", "[")


def node_end(text: str, located: Located, loc: Loc) -> int:
    """Where the text of the value at ``loc`` ends: after its last character, before any comment or blank line.

    A block collection's end mark lies at whatever follows it (comments and blank lines included), so its
    end is found from inside: the last scalar or flow collection it holds, whose end marks are exact. A line
    starting with ``#`` inside a block scalar is text, not a comment, and is kept with its value.
    """
    ends = [
        mark.index
        for sub, mark in located.value_ends.items()
        if sub[: len(loc)] == loc and (sub in located.scalars or is_flow(text, located, sub))
    ]
    end = max(ends, default=located.value_starts[loc].index)
    return len(text[:end].rstrip(" \t\r\n"))


def line_start(text: str, index: int) -> int:
    return text.rfind("\n", 0, index) + 1


def line_end(text: str, index: int) -> int:
    """The index of the line break ending the line that holds ``index`` (or the text's length)."""
    found = text.find("\n", index)
    return len(text) if found == -1 else found


def _column(text: str, index: int) -> int:
    return index - line_start(text, index)


# --- changing a mapping ------------------------------------------------------------------------------


def mapping_splices(
    text: str, located: Located, loc: Loc, old: Mapping[str, Any], new: Mapping[str, Any], order: Sequence[str]
) -> list[Splice]:
    """The splices that turn the mapping at ``loc`` from ``old`` into ``new``.

    Unchanged keys are left alone to the character; a changed mapping value (``mechanism``, ``appraisal``)
    is changed key by key; a new key goes after the nearest key that comes before it in ``order``.
    """
    flow = is_flow(text, located, loc)
    newline = newline_of(text)
    splices: list[Splice] = []
    for key in old:
        if key not in new:
            splices.append(_removal(text, located, (*loc, key), flow))
        elif new[key] != old[key]:
            if isinstance(old[key], dict) and isinstance(new[key], dict) and (*loc, key) in located.value_starts:
                inner_order = list(new[key]) + [k for k in old[key] if k not in new[key]]
                splices += mapping_splices(text, located, (*loc, key), old[key], new[key], inner_order)
            else:
                splices.append(_replacement(text, located, (*loc, key), new[key], flow, newline))
    added = [key for key in new if key not in old]
    if added:
        splices += _insertions(text, located, loc, old, new, added, order, flow, newline)
    return splices


def _replacement(text: str, located: Located, loc: Loc, value: Any, flow: bool, newline: str) -> Splice:
    start = located.value_starts[loc].index
    end = located.value_ends[loc].index
    if flow:
        return Splice(start, end, flow_value(value))
    key_start = located.key_marks[loc].index
    return Splice(
        key_start, node_end(text, located, loc), block_entry(str(loc[-1]), value, _column(text, key_start), newline)
    )


def _removal(text: str, located: Located, loc: Loc, flow: bool) -> Splice:
    key_start = located.key_marks[loc].index
    end = located.value_ends[loc].index
    if flow:
        after = end
        while after < len(text) and text[after] in " \t":
            after += 1
        if after < len(text) and text[after] == ",":
            after += 1
            while after < len(text) and text[after] in " \t":
                after += 1
            return Splice(key_start, after, "")
        before = key_start
        while before > 0 and text[before - 1] in " \t":
            before -= 1
        if before > 0 and text[before - 1] == ",":
            return Splice(before - 1, end, "")
        return Splice(key_start, end, "")
    if text[line_start(text, key_start) : key_start].strip():
        raise UnsupportedLayout(f"`{loc[-1]}` shares its line with another key: put each key on its own line")
    stop = line_end(text, node_end(text, located, loc))
    return Splice(line_start(text, key_start), min(stop + 1, len(text)), "")


def _insertions(
    text: str,
    located: Located,
    loc: Loc,
    old: Mapping[str, Any],
    new: Mapping[str, Any],
    added: list[str],
    order: Sequence[str],
    flow: bool,
    newline: str,
) -> list[Splice]:
    rank = {key: i for i, key in enumerate(order)}
    present = [key for key in old if key in new]
    if flow:
        end = located.value_ends[loc].index - 1  # the closing brace
        inside = text[located.value_starts[loc].index + 1 : end].strip()
        items = ", ".join(f"{flow_value(key)}: {flow_value(new[key])}" for key in added)
        return [Splice(end, end, (", " if inside else "") + items)]
    if not old:
        raise UnsupportedLayout("the entry has no keys to place new ones beside: write at least `id:` first")
    indent = _column(text, located.key_marks[(*loc, next(iter(old)))].index)
    groups: dict[str | None, list[str]] = {}
    for key in sorted(added, key=lambda k: rank.get(k, len(rank))):
        anchor = None
        for candidate in present:
            if rank.get(candidate, len(rank)) < rank.get(key, len(rank)):
                anchor = candidate
        groups.setdefault(anchor, []).append(key)
    splices = []
    for anchor, keys in groups.items():
        lines = [" " * indent + block_entry(key, new[key], indent, newline) for key in keys]
        if anchor is None:
            first = located.key_marks[(*loc, next(iter(old)))].index
            at = line_start(text, first)
            splices.append(Splice(at, at, "".join(line + newline for line in lines)))
        else:
            at = line_end(text, node_end(text, located, (*loc, anchor)))
            if at < len(text) and text[at - 1 : at] == "\r":
                at -= 1
            splices.append(Splice(at, at, "".join(newline + line for line in lines)))
    return splices


# --- lists and ids -------------------------------------------------------------------------------------


def remove_list_item(text: str, located: Located, loc: Loc) -> str:
    """``text`` without the block-list item at ``loc`` (its comments above stay; so do the other items)."""
    parent = loc[:-1]
    items = located.data
    for part in parent:
        items = items[part]
    if is_flow(text, located, parent):
        raise UnsupportedLayout("the list is written as a [flow, list]: write one `- ` item per line to remove one")
    if len(items) == 1:
        key_start = located.key_marks[parent].index
        end = node_end(text, located, parent)
        return apply(text, [Splice(key_start, end, f"{parent[-1]}: []")])
    start = line_start(text, located.value_starts[loc].index)
    stop = line_end(text, node_end(text, located, loc))
    stop = min(stop + 1, len(text))
    above = line_start(text, max(start - 1, 0))
    if start > 0 and not text[above:start].strip():
        start = above  # the blank line that separated this item from the one before
    elif loc[-1] == 0:
        below = line_end(text, stop)
        if stop < len(text) and not text[stop:below].strip():
            stop = min(below + 1, len(text))
    return apply(text, [Splice(start, stop, "")])


def replace_scalar(text: str, located: Located, loc: Loc, value: str) -> Splice:
    """A splice writing the scalar at ``loc`` as ``value`` (quoted where YAML would misread it)."""
    start = located.value_starts[loc].index
    end = located.value_ends[loc].index
    return Splice(start, end, scalar_text(value, flow=_in_flow(text, located, loc)))


def replace_key(text: str, located: Located, loc: Loc, key: str) -> Splice:
    """A splice renaming the mapping key at ``loc`` to ``key``."""
    start = located.key_marks[loc].index
    old = str(loc[-1])
    for written in (old, f'"{old}"', f"'{old}'"):
        if text.startswith(written, start):
            return Splice(start, start + len(written), scalar_text(key, flow=_in_flow(text, located, loc)))
    raise UnsupportedLayout(f"the key `{old}` is written in a way crm cannot rewrite: write it plainly")


def _in_flow(text: str, located: Located, loc: Loc) -> bool:
    return any(is_flow(text, located, loc[:end]) for end in range(len(loc)) if loc[:end] in located.value_starts)
