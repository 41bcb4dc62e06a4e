"""The questions crm asks, answered by a stand-in for a person: what is accepted, what is asked back."""

from __future__ import annotations

import io
from collections.abc import Sequence

import pytest
from rich.console import Console

from crm_review.model import DIRECTIONS, RATINGS
from crm_review.prompts import Asker


class Person:
    """Answers each question in turn, and remembers what was asked with which default."""

    def __init__(self, *answers: str) -> None:
        self.answers = list(answers)
        self.asked: list[tuple[str, str]] = []

    def read(self, label: str, default: str = "", completions: Sequence[str] = ()) -> str:
        self.asked.append((label, default))
        return self.answers.pop(0)


def asker(*answers: str) -> tuple[Asker, Person, io.StringIO]:
    out = io.StringIO()
    person = Person(*answers)
    return Asker(Console(file=out, width=100, no_color=True), person), person, out


@pytest.mark.parametrize("typed", ["neg", "Negative", "NEG", " negative "])
def test_a_choice_in_any_case_or_by_its_start(typed: str) -> None:
    """`neg`, `Negative` and `NEG` all give negative."""
    ask, _, _ = asker(typed)
    assert ask.choice("Direction", DIRECTIONS) == "negative"


def test_a_wrong_choice_is_asked_again_with_the_text_as_typed() -> None:
    """`hihg` is refused with a suggestion, and offered again for correction."""
    ask, person, out = asker("hihg", "high")
    assert ask.choice("Relevance", RATINGS) == "high"
    assert "did you mean `high`?" in out.getvalue()
    assert person.asked[1][1] == "hihg"


def test_many_sources_are_found_by_their_start_and_a_number() -> None:
    """With 60 sources none is listed at first; a shared start lists just those, by number."""
    ids = [f"doe-20{n:02d}" for n in range(50)] + [f"karuga-20{n:02d}" for n in range(10)]
    ask, _, out = asker("karuga-2005")
    assert ask.source(ids) == "karuga-2005"
    ask, _, out = asker("karuga-200", "3")
    assert ask.source(ids) == "karuga-2002"
    shown = out.getvalue()
    assert "60 sources: type the start of an id" in shown and "doe-2001" not in shown
    assert "1. karuga-2000" in shown and "10. karuga-2009" in shown and "11." not in shown


def test_a_unique_start_names_the_source() -> None:
    """`karuga` is enough when only one source starts so."""
    ask, _, _ = asker("karuga")
    assert ask.source(["doe-2020", "karuga-2021"]) == "karuga-2021"


@pytest.mark.parametrize(
    ("typed", "reply", "stored"),
    [("Jane Smith", "", "Smith, Jane"), ("Jane Smith", "n", "Jane Smith"), ("Smith, Jane", None, "Smith, Jane")],
)
def test_a_name_not_written_family_given_is_asked_back(typed: str, reply: str | None, stored: str) -> None:
    """ "Jane Smith" gets "Smith, Jane?"; yes turns it, no keeps it as typed (an organisation, say)."""
    ask, person, _ = asker(typed, *([reply] if reply is not None else []))
    assert ask.author("Author 1") == stored
    if reply is not None:
        assert "Smith, Jane?" in person.asked[1][0]


def test_the_year_may_stay_empty_and_a_wrong_one_is_asked_again() -> None:
    """An empty year is unknown; `20x` is refused and offered again."""
    ask, person, out = asker("20x", "2021")
    assert ask.year() == 2021
    assert person.asked[0][0] == "Year (leave empty if unknown)"
    assert "`20x` is not a year" in out.getvalue()
    ask, _, _ = asker("")
    assert ask.year() is None
