"""The one "did you mean" helper: the closest known names to a value, as the end of an error
message (sqlglot's ``suggest_closest_match``; ``difflib`` does the matching)."""

from __future__ import annotations

from typing import Iterable


def closest(value: str, known: Iterable[str], n: int = 1, cutoff: float = 0.6,
            ignore_case: bool = False) -> list[str]:
    """Up to ``n`` of ``known`` that are close to ``value``, closest first (as spelled in ``known``)."""
    from difflib import get_close_matches

    known = list(known)
    if not ignore_case:
        return get_close_matches(value, known, n=n, cutoff=cutoff)
    lower = {k.lower(): k for k in known}
    return [lower[c] for c in get_close_matches(value.lower(), list(lower), n=n, cutoff=cutoff)]


def did_you_mean(value: str, known: Iterable[str], n: int = 1, *, lead: str = "; ", tail: str = "?",
                 joiner: str = ", ", quote: str = "`", cutoff: float = 0.6) -> str:
    """``"; did you mean `x`?"`` (``lead`` + the ``n`` closest, quoted and joined + ``tail``),
    or ``""`` when nothing is close."""
    picks = closest(value, known, n=n, cutoff=cutoff)
    return phrase(picks, lead=lead, tail=tail, joiner=joiner, quote=quote)


def phrase(picks: Iterable[str], *, lead: str = "; ", tail: str = "?", joiner: str = ", ",
           quote: str = "`") -> str:
    """``picks`` as the "did you mean" words, or ``""`` when there are none."""
    picks = list(picks)
    if not picks:
        return ""
    return f"{lead}did you mean {joiner.join(f'{quote}{p}{quote}' for p in picks)}{tail}"
