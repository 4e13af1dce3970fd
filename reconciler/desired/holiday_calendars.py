"""Public holidays that cancel occurrences (`skip_holidays: NL`, `[DE-BY, NL]`), from the `holidays` library.

Pure and deterministic: the same file gives the same dates whatever today is. The years looked at are the
series' own: up to its `until` or last counted occurrence; a series without end gets its first
`ENDLESS_YEARS` years (give it an end, or renew it, to go further).
"""

from __future__ import annotations

import difflib
from datetime import date
from functools import cache

import holidays

ENDLESS_YEARS = 5


@cache
def supported() -> dict[str, tuple[str, ...]]:
    """Country code → its subdivision codes (2- and 3-letter country codes both)."""
    countries = holidays.list_supported_countries()
    return {c.upper(): tuple(s.upper() for s in subs) for c, subs in countries.items()}


def problem(code: str) -> str | None:
    """What is wrong with a calendar code, with the close matches; None when it is known."""
    country, _, subdivision = code.upper().partition("-")
    known = supported()
    if country not in known:
        close = difflib.get_close_matches(country, list(known), n=3, cutoff=0.5)
        hint = f"; did you mean {', '.join(close)}?" if close else "; use an ISO 3166 country code such as NL"
        return f"{code!r} is not a holiday calendar the holidays library knows{hint}"
    if subdivision and subdivision not in known[country]:
        subs = known[country]
        close = difflib.get_close_matches(subdivision, list(subs), n=3, cutoff=0.3)
        listing = ", ".join(f"{country}-{s}" for s in (close or subs[:8]))
        return f"{code!r}: {country} has no subdivision {subdivision}; " + (
            f"did you mean {listing}?" if close else f"it has {listing}{'…' if len(subs) > 8 else ''}"
        )
    return None


def holiday_names(codes: tuple[str, ...], first: date, last: date) -> dict[date, str]:
    """Each holiday date in [first, last] of any of the calendars, with its name(s)."""
    years = list(range(first.year, last.year + 1))
    out: dict[date, list[str]] = {}
    for code in codes:
        country, _, subdivision = code.upper().partition("-")
        calendar = holidays.country_holidays(country, subdiv=subdivision or None, years=years)
        for day, name in calendar.items():
            if first <= day <= last and name not in out.setdefault(day, []):
                out[day].append(name)
    return {day: "; ".join(names) for day, names in sorted(out.items())}
