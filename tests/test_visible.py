"""The fast check of `escape.visible` finds exactly the characters its rule escapes."""

from __future__ import annotations

import sys

import pytest

from crm_review.escape import _invisible_pattern, _is_invisible, visible


@pytest.mark.parametrize("keep", ["\n\t", "\n", ""])
def test_the_fast_search_agrees_with_the_rule_for_every_character(keep: str) -> None:
    """Over every code point, the regular expression matches exactly where the per-character rule escapes."""
    pattern = _invisible_pattern(keep)
    disagree = [
        code for code in range(sys.maxunicode + 1) if bool(pattern.search(chr(code))) != _is_invisible(chr(code), keep)
    ]
    assert disagree == []


def test_long_text_with_line_breaks_keeps_them_and_shows_the_rest() -> None:
    """A whole document's text keeps newlines and tabs; ESC and a bidi override are shown as escapes."""
    text = "line one\n\tline two " * 10_000
    assert visible(text) is text
    assert visible(text + "\x1b\u202e") == text + "\\x1b\\u202e"
