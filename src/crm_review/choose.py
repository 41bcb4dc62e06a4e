"""One of several names from what a person typed: any case, or an unambiguous start of it."""

from __future__ import annotations

from collections.abc import Sequence

from crm_review.errors import Ambiguous, UnknownId
from crm_review.suggest import did_you_mean


def starting_with(token: str, options: Sequence[str]) -> list[str]:
    """The options ``token`` names: the one equal to it (ignoring case), else every one it starts."""
    wanted = token.strip().casefold()
    if not wanted:
        return []
    exact = [option for option in options if option.casefold() == wanted]
    if exact:
        return exact[:1]
    return [option for option in options if option.casefold().startswith(wanted)]


def pick(token: str, options: Sequence[str], what: str) -> str:
    """The option ``token`` names, or an error saying which it could be or what was meant.

    ``neg`` and ``Negative`` both give ``negative``; ``karuga`` gives ``karuga-2021`` when no other
    option starts so.
    """
    matches = starting_with(token, options)
    if len(matches) == 1:
        return matches[0]
    shown = token.strip()
    if matches:
        listed = ", ".join(matches[:8]) + (f" and {len(matches) - 8} more" if len(matches) > 8 else "")
        raise Ambiguous(f"{what} `{shown}` could be {listed}: write more of it")
    suggestion = did_you_mean(shown, options)
    if suggestion:
        raise UnknownId(f"unknown {what} `{shown}`{suggestion}")
    if len(options) <= 8:
        raise UnknownId(f"unknown {what} `{shown}`: write one of {', '.join(options)}")
    raise UnknownId(f"unknown {what} `{shown}`")
