"""The YAML boundary: positions kept, duplicates and foreign tags refused, YAML text written back readable."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from crm_review.yamltext import YamlProblems, decode, dump, parse

HERE = Path("f.yaml")


def test_positions_of_keys_and_values() -> None:
    """Keys and values keep their 1-based line and column."""
    located = parse("id: a\ncmocs:\n  - id: a-1\n    principles: [x, y]\n", HERE)
    assert located.key_marks[("cmocs", 0, "id")].line == 3
    assert located.value_starts[("cmocs", 0, "principles", 1)].col == 21
    assert located.mark(("cmocs", 0, "missing", 3)).line == 3


def test_scalars_remember_how_they_were_written() -> None:
    """A plain `NO` is known as a boolean written without quotes, so messages can quote it."""
    located = parse("a: NO\nb: 'NO'\n", HERE)
    assert located.data == {"a": False, "b": "NO"}
    assert (located.scalars[("a",)].kind, located.scalars[("a",)].plain) == ("bool", True)
    assert located.scalars[("b",)].plain is False


def test_duplicate_key_in_nested_mapping() -> None:
    """PyYAML would keep the last; here the second is refused with the first one's line."""
    with pytest.raises(YamlProblems) as caught:
        parse("a:\n  b: 1\n  c: 2\n  b: 3\n", HERE)
    [problem] = caught.value.problems
    assert (problem.line, problem.col) == (4, 3)
    assert problem.message == "`b` appears twice in this mapping (first on line 2): keep one"


def test_merge_key_is_refused() -> None:
    """`<<` merges hide where values come from; evidence spells values out."""
    with pytest.raises(YamlProblems, match="keys must be plain names"):
        parse("base: &b {x: 1}\nother:\n  <<: *b\n", HERE)


def test_aliases_within_the_bound_are_read() -> None:
    """A few aliases are fine: only expansion beyond the bound is refused."""
    assert parse("a: &q [1, 2]\nb: *q\n", HERE).data == {"a": [1, 2], "b": [1, 2]}


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (b"\xef\xbb\xbfid: a\n", None),
        (b"id: caf\xc3\xa9\n", None),
        (b"id: a\ntitle: \xff\n", "2:8"),
    ],
)
def test_decode(raw: bytes, message: str | None) -> None:
    """UTF-8 (with or without a byte-order mark) is read; other bytes are located."""
    if message is None:
        assert decode(raw, HERE).startswith("id:")
        return
    with pytest.raises(YamlProblems) as caught:
        decode(raw, HERE)
    [problem] = caught.value.problems
    assert f"{problem.line}:{problem.col}" == message


text = st.text(st.characters(codec="utf-8", exclude_categories=["Cs", "Cc"]), max_size=40)
plain = st.recursive(
    st.none() | st.booleans() | st.integers() | text,
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(st.from_regex(r"[a-z][a-z_]{0,9}", fullmatch=True), inner, max_size=4)
    ),
    max_leaves=12,
)


@given(st.dictionaries(st.from_regex(r"[a-z][a-z_]{0,9}", fullmatch=True), plain, min_size=1, max_size=5))
def test_dump_then_parse_gives_the_data_back(data: dict[str, object]) -> None:
    """What crm writes, crm reads back unchanged, whatever the text (quotes, `NO`, colons, Unicode)."""
    assert parse(dump(data), HERE).data == data


@pytest.mark.parametrize("value", ["Fewer visits.\n\n", "\n", "Two\nlines\n\n\n"])
def test_text_ending_in_blank_lines_can_be_spliced_into_a_file(value: str) -> None:
    """Quoted, not `|+`: that ends the document with `...` and takes in the blank lines after it."""
    written = dump([{"id": "doe-2020-2", "notes": value}])
    assert "..." not in written and "|+" not in written
    assert parse(written + "- id: doe-2020-3\n", HERE).data == [
        {"id": "doe-2020-2", "notes": value},
        {"id": "doe-2020-3"},
    ]
