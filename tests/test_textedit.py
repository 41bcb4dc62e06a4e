"""Changing a file's text in place: what is read back is the old data plus the change, and nothing else moved."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from crm_review.entries import CMOC_KEYS, SOURCE_KEYS, CmocChanges, SourceChanges
from crm_review.textedit import apply, mapping_splices, remove_list_item
from crm_review.yamltext import dump, parse

HERE = Path("evidence/doe-2020.yaml")

words = st.text(
    alphabet=st.characters(codec="utf-8", categories=("L", "N", "P", "Zs"), exclude_characters="\u2028\u2029\x85"),
    min_size=1,
    max_size=30,
).filter(lambda s: s.strip() == s and s != "")
long_words = st.text(
    alphabet=st.characters(codec="utf-8", categories=("L", "N", "P", "Zs"), exclude_characters="\u2028\u2029\x85"),
    min_size=55,
    max_size=80,
).filter(lambda s: s.strip() == s)
lines_of_text = st.one_of(words, long_words, st.lists(words, min_size=2, max_size=3).map("\n".join))

SOURCE_FIELDS = {
    "title": lines_of_text,
    "authors": st.lists(st.one_of(words, long_words), min_size=1, max_size=3).map(tuple),
    "year": st.integers(1900, 2030),
    "journal": st.one_of(words, st.just("")),
    "doi": st.sampled_from(["10.1000/abc", "10.1111/hex.12996", ""]),
    "design": st.one_of(lines_of_text, st.just("")),
    "countries": st.one_of(st.lists(words, max_size=3).map(tuple)),
    "setting": st.one_of(words, st.just("")),
    "relevance": st.sampled_from(["high", "moderate", "low"]),
    "rigour": st.sampled_from(["high", "moderate", "low"]),
    "notes": st.one_of(lines_of_text, st.just("")),
}


@st.composite
def source_texts(draw: st.DrawFn) -> str:
    """An evidence file as a person might keep it: some optional fields, comments, blank lines, CMOCs."""
    data: dict[str, Any] = {"id": "doe-2020", "title": draw(words), "authors": draw(st.lists(words, min_size=1))}
    for key in ("year", "journal", "countries", "setting", "design", "notes"):
        if draw(st.booleans()):
            value = draw(SOURCE_FIELDS[key])
            if value not in ("", ()):
                data[key] = list(value) if isinstance(value, tuple) else value
    if draw(st.booleans()):
        data["appraisal"] = {"relevance": "high", "rigour": "low"}
    text = dump(data)
    lines = text.splitlines(keepends=True)
    decorated = []
    for line in lines:
        if not line.startswith(" ") and draw(st.integers(0, 3)) == 0:
            decorated.append(draw(st.sampled_from(["# a comment\n", "\n", "# coded by JD\n\n"])))
        decorated.append(line)
    cmocs = (
        "cmocs:\n"
        "  # the first CMOC\n"
        "  - id: doe-2020-1\n"
        "    context: Staff short of time.\n"
        "    mechanism: {resource: Training, response: Confidence grows}\n"
        "    outcome: More people take part.\n"
        "    direction: positive\n"
        "    principles: [quick-wins]\n"
        "    evidence:\n"
        '      - {quote: "We learnt a lot.", locator: p. 3}\n'
    )
    return "".join(decorated) + cmocs


COMMENTS = ("# a comment", "# coded by JD", "# the second one", "# the end", "# comment kept", "# both")
"""The comments the test texts carry (a line of a block scalar may start with # too, and is text)."""


def comment_lines(text: str) -> list[str]:
    return [line for line in text.splitlines() if any(comment in line for comment in COMMENTS)]


def keeps_comments(before: str, after: str) -> bool:
    """Every comment line of ``before`` is in ``after``, in order (new text may add lines that start with #)."""
    remaining = iter(after.splitlines())
    return all(any(line == candidate for candidate in remaining) for line in comment_lines(before))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(source_texts(), st.dictionaries(st.sampled_from(sorted(SOURCE_FIELDS)), st.none(), max_size=6), st.data())
def test_source_edit_reads_back_as_the_change_and_keeps_the_rest(
    text: str, chosen: dict[str, None], data: st.DataObject
) -> None:
    """parse(after) == parse(before) + the change; comments, the CMOCs and untouched keys stay to the character."""
    values = {key: data.draw(SOURCE_FIELDS[key]) for key in chosen}
    if "relevance" in values or "rigour" in values:
        values.setdefault("relevance", "moderate")
        values.setdefault("rigour", "moderate")
    before = parse(text, HERE)
    own = {k: v for k, v in before.data.items() if k != "cmocs"}
    wanted = SourceChanges(values).apply(own)
    after_text = apply(text, mapping_splices(text, before, (), own, wanted, SOURCE_KEYS))
    after = parse(after_text, HERE).data
    assert {k: v for k, v in after.items() if k != "cmocs"} == wanted
    assert after["cmocs"] == before.data["cmocs"]
    assert after_text.endswith(text[text.index("\ncmocs:") + 1 :])  # the key, not a value that says "cmocs:"
    assert keeps_comments(text, after_text)
    changed = {k for k in set(own) | set(wanted) if own.get(k) != wanted.get(k)}
    for key in set(own) - changed:
        start = before.key_marks[(key,)].index
        end = before.value_ends[(key,)].index
        # A block scalar's end mark takes in the blank lines after it; a key added after it goes before
        # them (the blank line keeps separating what it separated). The value itself is kept whole: the
        # data is compared above.
        assert text[start:end].rstrip(" \t\r\n") in after_text


CMOC_FIELDS = {
    "context": lines_of_text,
    "resource": words,
    "response": lines_of_text,
    "outcome": words,
    "direction": st.sampled_from(["positive", "negative", "mixed"]),
    "notes": st.one_of(lines_of_text, st.just("")),
    "themes": st.lists(st.sampled_from(["peer-support", "trust", "funding"]), max_size=2).map(tuple),
    "quotes": st.lists(st.tuples(lines_of_text, words), min_size=1, max_size=2).map(tuple),
    "relations": st.dictionaries(
        st.sampled_from(["quick-wins", "invest-in-skills"]), st.sampled_from(["supports", "refutes", "refines"])
    ),
}

TWO_CMOCS = """\
id: doe-2020
title: A study   # comment kept
cmocs:
  - id: doe-2020-1
    context: >-
      Staff short
      of time.
    mechanism: {resource: Training, response: Confidence grows}
    outcome: More people take part.
    direction: positive
    principles: [quick-wins]
    evidence:
      - {quote: "We learnt a lot.", locator: p. 3}

  # the second one
  - id: doe-2020-2
    context: 'Citizens: new'
    mechanism:
      resource: Mentoring
      response: They speak up
    outcome: Views count.
    direction: negative
    principles:
      quick-wins: refutes
    evidence:
      - quote: They listened.
        locator: p. 7
    notes: |-
      checked twice
      #2 reads best
# the end
"""


@settings(max_examples=150, deadline=None)
@given(st.sampled_from([0, 1]), st.dictionaries(st.sampled_from(sorted(CMOC_FIELDS)), st.none(), max_size=5), st.data())
def test_cmoc_edit_reads_back_as_the_change_and_keeps_the_rest(
    index: int, chosen: dict[str, None], data: st.DataObject
) -> None:
    """A CMOC edited in either layout reads back as the change; the other CMOC and every comment stay."""
    values = {key: data.draw(CMOC_FIELDS[key]) for key in chosen}
    before = parse(TWO_CMOCS, HERE)
    own = before.data["cmocs"][index]
    wanted = CmocChanges(**values).apply(own)  # type: ignore[arg-type]
    after_text = apply(TWO_CMOCS, mapping_splices(TWO_CMOCS, before, ("cmocs", index), own, wanted, CMOC_KEYS))
    after = parse(after_text, HERE).data
    assert after["cmocs"][index] == wanted
    assert after["cmocs"][1 - index] == before.data["cmocs"][1 - index]
    assert keeps_comments(TWO_CMOCS, after_text)
    other_start = before.value_starts[("cmocs", 1 - index)].index
    other_end = before.value_ends[("cmocs", 1 - index, "evidence")].index
    assert TWO_CMOCS[other_start:other_end] in after_text


def test_removing_a_cmoc_keeps_the_other_and_the_comments() -> None:
    """Removing the first CMOC takes its lines and the blank line after it; the rest is as it was."""
    after = remove_list_item(TWO_CMOCS, parse(TWO_CMOCS, HERE), ("cmocs", 0))
    assert after == TWO_CMOCS.replace(
        TWO_CMOCS[TWO_CMOCS.index("  - id: doe-2020-1") : TWO_CMOCS.index("  # the second")], ""
    )


def test_removing_the_only_cmoc_leaves_an_empty_list() -> None:
    """A source whose last CMOC goes keeps `cmocs: []`, ready for new ones."""
    text = TWO_CMOCS[: TWO_CMOCS.index("\n\n  # the second")] + "\n"
    assert remove_list_item(text, parse(text, HERE), ("cmocs", 0)) == text[: text.index("cmocs:")] + "cmocs: []\n"


LINK_LAYOUTS = {
    "flow list": "    principles: [quick-wins, invest-in-skills]  # both\n",
    "block list": "    principles:\n      - quick-wins\n      # a comment\n      - invest-in-skills\n",
    "flow mapping": "    principles: {quick-wins: refutes, 'invest-in-skills': supports}\n",
    "block mapping": "    principles:\n      quick-wins: refines\n      invest-in-skills: supports\n",
}

slugs = st.one_of(
    st.sampled_from(["no", "yes", "123", "1.5", "true", "null", "2020-01-31", "quick-wins-2"]),
    st.from_regex(r"[a-z0-9][a-z0-9._-]{0,12}", fullmatch=True),
).filter(lambda s: s not in ("quick-wins", "invest-in-skills"))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.sampled_from(sorted(LINK_LAYOUTS)), slugs)
def test_principle_rename_reads_back_as_the_rename_in_every_layout(
    tmp_path_factory: pytest.TempPathFactory, layout: str, new: str
) -> None:
    """Whatever the layout and however YAML would misread the new id, the links read back renamed, nothing else."""
    from conftest import source_yaml, write_review
    from crm_review.revise import rename

    text = source_yaml("doe-2020", "doe-2020-1").replace("    principles: [quick-wins]\n", LINK_LAYOUTS[layout])
    root = write_review(tmp_path_factory.mktemp("rename"), {"doe-2020.yaml": text})
    before = parse(text, HERE).data
    rename(root, "principle", "quick-wins", new)
    after_text = (root / "evidence" / "doe-2020.yaml").read_text(encoding="utf-8")
    after = parse(after_text, HERE).data
    links = before["cmocs"][0]["principles"]
    expected = (
        {(new if k == "quick-wins" else k): v for k, v in links.items()}
        if isinstance(links, dict)
        else [new if p == "quick-wins" else p for p in links]
    )
    assert after["cmocs"][0].pop("principles") == expected
    before["cmocs"][0].pop("principles")
    assert after == before
    old_lines, new_lines = text.splitlines(), after_text.splitlines()
    assert len(old_lines) == len(new_lines)
    for old_line, new_line in zip(old_lines, new_lines, strict=True):
        if "quick-wins" not in old_line:
            assert new_line == old_line
        elif "  #" in old_line:  # a comment on the renamed id's line stays
            assert new_line.endswith(old_line[old_line.index("  #") :])


ITEM_LAYOUTS = [
    "  - id: {id}\n    context: Staff short of time.\n    mechanism: {{resource: R, response: S}}\n",
    "  - id: {id}\n    context: |-\n      two lines\n      #3 of them\n    mechanism:\n      resource: R\n      response: S\n",
    "  - id: {id}  # inline\n    context: 'C: quoted'\n    mechanism: {{resource: R, response: S}}\n    notes: >-\n      folded\n      text\n",
]
ITEM_TAIL = (
    "    outcome: O.\n    direction: mixed\n    principles: [quick-wins]\n    evidence:\n"
    "      - {{quote: q, locator: p. 1}}\n"
)


@settings(max_examples=100, deadline=None)
@given(
    st.lists(
        st.tuples(st.sampled_from(range(len(ITEM_LAYOUTS))), st.booleans(), st.booleans()), min_size=1, max_size=4
    ),
    st.data(),
)
def test_removing_any_cmoc_leaves_exactly_the_others(items: list[tuple[int, bool, bool]], data: st.DataObject) -> None:
    """Remove one CMOC of any layout: the others read back the same and keep their text to the character."""
    text = "id: doe-2020\ntitle: T\ncmocs:\n"
    for number, (layout, blank_before, comment_before) in enumerate(items, start=1):
        text += ("\n" if blank_before and number > 1 else "") + ("  # about the next one\n" if comment_before else "")
        text += ITEM_LAYOUTS[layout].format(id=f"doe-2020-{number}") + ITEM_TAIL.format()
    text += data.draw(st.sampled_from(["", "# the end\n", "\nnotes: after the list\n"]))
    index = data.draw(st.integers(0, len(items) - 1))
    before = parse(text, HERE)
    after_text = remove_list_item(text, before, ("cmocs", index))
    after = parse(after_text, HERE).data
    expected = [c for i, c in enumerate(before.data["cmocs"]) if i != index]
    assert (after["cmocs"] or []) == expected
    assert {k: v for k, v in after.items() if k != "cmocs"} == {k: v for k, v in before.data.items() if k != "cmocs"}
    for other in range(len(items)):
        if other != index:
            start = text.rfind("\n", 0, before.value_starts[("cmocs", other)].index) + 1
            stop = before.value_ends[("cmocs", other, "evidence", 0)].index
            assert text[start:stop] in after_text
