"""Suggestions for a mistyped name: "did you mean `early-involvement`?"."""

from __future__ import annotations

import difflib
from collections.abc import Iterable


def nearest(word: str, choices: Iterable[str]) -> str | None:
    """The choice closest to ``word`` (ignoring case), if any is close enough to suggest."""
    options = list(choices)
    folded = {choice.casefold(): choice for choice in options}
    if word.casefold() in folded:
        return folded[word.casefold()]
    matches = difflib.get_close_matches(word, options, n=1, cutoff=0.6)
    return matches[0] if matches else None


def did_you_mean(word: str, choices: Iterable[str], otherwise: str = "") -> str:
    """``: did you mean `choice`?`` for the nearest choice, or ``otherwise`` when none is close.

    The one place the suggestion is worded; every message that offers one appends this.
    """
    hint = nearest(word, choices)
    return f": did you mean `{hint}`?" if hint else otherwise


def did_you_mean_each(words: Iterable[str], choices: Iterable[str]) -> str:
    """`` (did you mean `doe-2020-22` -> `doe-2020-2`?)`` for each word near a choice, or ``""`` when none is.

    For a message that names several mistyped words at once.
    """
    options = list(choices)
    pairs = [f"`{word}` -> `{hint}`" for word in words if (hint := nearest(word, options))]
    return f" (did you mean {', '.join(pairs)}?)" if pairs else ""
