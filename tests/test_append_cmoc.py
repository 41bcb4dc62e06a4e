"""`crm add cmoc` writes the new CMOC into the evidence file as text: every layout people write keeps its words.

A property test over generated evidence files: `cmocs:` missing, empty (`cmocs:`, `cmocs: []`, with a
comment or not), or a block list indented 0, 2 or 4 spaces whose items are block or flow mappings,
spaced by blank lines or not, with comments inside and after it, a key after it, LF or CRLF line
ends, a last newline or none. After the append the file parses, holds the same data with the new CMOC
last, keeps every word it had, in order, its line ends and the spacing of its items, and a comment
written after the list stays after the new CMOC.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from crm_review.edit import append_cmoc
from crm_review.errors import UnsupportedLayout
from crm_review.yamltext import parse

WORDS = st.sampled_from(["panels", "trust", "rural", "clinics", "citizens", "listen", "Doe", "Peru"])
ONE_LINE_LAYOUTS = {
    "null": "cmocs:",
    "null-comment": "cmocs:   # none yet",
    "empty-flow": "cmocs: []",
    "empty-flow-comment": "cmocs: []  # none yet",
    "flow-items": "cmocs: [{id: doe-2020-1, context: x}]",
}
CMOC_LAYOUTS = ("absent", *ONE_LINE_LAYOUTS, "block")
AFTER_THE_LIST = "# after the list"
"""A comment at the indentation of `cmocs:` below the list: it belongs to what follows, not to the list."""


@dataclass(frozen=True)
class EvidenceFile:
    text: str
    layout: str
    trailer: bool
    spaced: bool
    """Whether the new CMOC should follow a blank line: the file spaces its items so, or has only one."""


@st.composite
def phrases(draw: st.DrawFn) -> str:
    return " ".join(draw(st.lists(WORDS, min_size=1, max_size=4)))


@st.composite
def items(draw: st.DrawFn, number: int, indent: int) -> list[str]:
    """One CMOC of the list, as a block mapping (perhaps with a comment in it) or a flow mapping."""
    pad = " " * indent
    cmoc_id, context = f"doe-2020-{number}", draw(phrases())
    if draw(st.booleans()):
        return [f"{pad}- {{id: {cmoc_id}, context: {context}}}"]
    lines = [f"{pad}- id: {cmoc_id}"]
    if draw(st.booleans()):
        lines.append(f"{pad}  # coded by {draw(WORDS)}")
    lines.append(f"{pad}  context: {context}")
    if draw(st.booleans()):
        lines.append(f"{pad}  themes:")
        lines += [f"{pad}    - {word}" for word in draw(st.lists(WORDS, min_size=1, max_size=2))]
    return lines


@st.composite
def evidence_files(draw: st.DrawFn) -> EvidenceFile:
    lines: list[str] = []
    if draw(st.booleans()):
        lines.append("# Coded by JD, checked by RR.")
    lines.append("id: doe-2020")
    lines.append(f"title: {draw(phrases())}" + ("   # as printed" if draw(st.booleans()) else ""))
    if draw(st.booleans()):
        lines.append('authors: ["Doe, Jane"]')
    else:
        lines += ["authors:", f"{' ' * draw(st.sampled_from([0, 2]))}- Doe, Jane"]
    if draw(st.booleans()):
        lines.append("")
    layout = draw(st.sampled_from(CMOC_LAYOUTS) | st.just("block"))  # half of them lists: most branches are there
    trailer = spaced = False
    if layout in ONE_LINE_LAYOUTS:
        lines.append(ONE_LINE_LAYOUTS[layout])
    elif layout == "block":
        lines.append("cmocs:")
        indent = draw(st.sampled_from([0, 2, 4]))
        blank_lines = draw(st.booleans())
        count = draw(st.integers(1, 3))
        spaced = count == 1
        for number in range(1, count + 1):
            if number > 1 and blank_lines:
                lines.append("")
            commented = draw(st.booleans())
            if commented:
                lines.append(f"{' ' * indent}# the CMOC {number}")
            if number == 2:  # the line above the second item tells how the file spaces them
                spaced = blank_lines and not commented
            lines += draw(items(number, indent))
        trailer = draw(st.booleans())
        if trailer:
            lines += [""] * draw(st.integers(0, 1)) + [AFTER_THE_LIST]
    if draw(st.booleans()):
        lines.append(f"notes: {draw(phrases())}")
    newline = draw(st.sampled_from(["\n", "\r\n"]))
    text = newline.join(lines) + (newline if draw(st.booleans()) else "")
    return EvidenceFile(text, layout, trailer, spaced)


TEXT = st.text(alphabet="ab :#'\"-é\n", min_size=1, max_size=30).filter(str.strip)
new_cmocs = st.fixed_dictionaries(
    {
        "context": TEXT,
        "mechanism": st.fixed_dictionaries({"resource": TEXT, "response": TEXT}),
        "outcome": TEXT,
        "direction": st.sampled_from(["positive", "negative", "mixed"]),
        "principles": st.just(["quick-wins"]),
        "evidence": st.lists(st.fixed_dictionaries({"quote": TEXT, "locator": st.just("p. 3")}), min_size=1),
    }
).map(lambda fields: {"id": "doe-2020-9", **fields})  # as crm add writes it: the id first


def is_subsequence(part: list[str], whole: list[str]) -> bool:
    rest = iter(whole)
    return all(word in rest for word in part)


@settings(max_examples=400, deadline=None)
@given(evidence_files(), new_cmocs)
def test_append_keeps_every_word_and_adds_the_cmoc_last(file: EvidenceFile, entry: dict[str, Any]) -> None:
    """The file parses, keeps its data and words in order, and its last CMOC is the new one."""
    path = Path("evidence/doe-2020.yaml")
    before = yaml.safe_load(file.text)
    if file.layout == "flow-items":
        with pytest.raises(UnsupportedLayout, match="flow, list"):
            append_cmoc(file.text, parse(file.text, path), entry)
        return
    after = append_cmoc(file.text, parse(file.text, path), entry)
    parse(after, path)
    assert yaml.safe_load(after) == before | {"cmocs": [*(before.get("cmocs") or []), entry]}
    kept = [word for word in file.text.split() if not (word == "[]" and file.layout.startswith("empty-flow"))]
    assert is_subsequence(kept, after.split())
    if file.trailer:
        assert after.index("id: doe-2020-9") < after.index(AFTER_THE_LIST)
    if file.layout == "block":
        lines = after.splitlines()
        new_line = next(i for i, line in enumerate(lines) if "id: doe-2020-9" in line)
        assert (lines[new_line - 1].strip() == "") is file.spaced, "the new CMOC is not spaced as the others"
    if "\r\n" in file.text:
        assert re.search(r"(?<!\r)\n", after) is None, "a CRLF file gained a bare LF"
    else:
        assert "\r" not in after, "an LF file gained a CR"
