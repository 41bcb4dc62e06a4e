"""The one wording of "did you mean ...": for one mistyped name, and for several named at once."""

from __future__ import annotations

from crm_review.suggest import did_you_mean, did_you_mean_each


def test_one_word_gets_the_nearest_choice_or_the_fallback() -> None:
    """A near choice is offered; otherwise the caller's own ending is used."""
    assert did_you_mean("modrate", ["high", "moderate", "low"]) == ": did you mean `moderate`?"
    assert did_you_mean("zzz", ["high", "moderate"], "; write high or moderate") == "; write high or moderate"


def test_several_words_each_get_their_nearest_choice() -> None:
    """Only the words with a near choice are named, each with its own; none near says nothing."""
    assert did_you_mean_each(["doe-2020-22", "zzz", "roe-2021-l"], ["doe-2020-2", "roe-2021-1"]) == (
        " (did you mean `doe-2020-22` -> `doe-2020-2`, `roe-2021-l` -> `roe-2021-1`?)"
    )
    assert did_you_mean_each(["zzz"], ["doe-2020-2"]) == ""
