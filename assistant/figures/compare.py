"""Comparing figures: whether a quote's figure backs a claim's (same value in a compatible unit and scale,
and the same role when the quote holds rival figures), and whether a figure is within a limit."""

from __future__ import annotations

import math
import unicodedata
from collections.abc import Collection, Sequence
from datetime import date

from assistant.figures.base import Figure
from assistant.figures.parse import explicit, parse_figures
from assistant.figures.roles import claim_window, figure_window, party_of
from assistant.figures.units import TO_HOURS, TO_MONTHS, to_hours

_ROLE_KINDS = ("duration", "percent", "money")


def _close(a: float, b: float) -> bool:
    """Equal values: whole numbers exactly (a SIRET or an amount differs by one), others to 1e-9."""
    if float(a).is_integer() and float(b).is_integer():
        return a == b
    return abs(a - b) <= 1e-9 * max(1.0, abs(a), abs(b))


def _same_duration(a: Figure, b: Figure) -> bool:
    if a.unit == b.unit:
        return _close(a.value, b.value)
    if a.unit in TO_HOURS and b.unit in TO_HOURS:  # exact conversions only: 24 h = 1 day, 1 week = 7 days
        return _close(a.value * TO_HOURS[a.unit], b.value * TO_HOURS[b.unit])
    if a.unit in TO_MONTHS and b.unit in TO_MONTHS:  # 12 months = 1 year
        return _close(a.value * TO_MONTHS[a.unit], b.value * TO_MONTHS[b.unit])
    return False


def _year_of(f: Figure) -> int:
    return date.fromordinal(int(f.value)).year


def supported_by(claim: Figure, quote: Figure) -> bool:
    """Whether `quote`'s figure backs `claim`'s: the same value in a compatible unit. One-way: a claim's bare
    number ("48") is backed by "48 heures", but "48 hours" is not backed by a bare 48; "May 2018" is backed
    by "25 mai 2018", not the reverse."""
    if math.isnan(claim.value) or math.isnan(quote.value):
        return False
    if claim.kind == "count" and claim.unit == "":
        if quote.kind == "date":
            return quote.unit in ("date", "month_date") and _close(claim.value, _year_of(quote))
        return _close(claim.value, quote.value)
    if claim.kind == "count" and claim.unit == "times":
        return quote.kind == "count" and quote.unit in ("", "times") and _close(claim.value, quote.value)
    if claim.kind == "count" and claim.unit == "fraction":
        if quote.kind == "percent":
            return _close(claim.value * 100, quote.value)
        return quote.kind == "count" and quote.unit == "fraction" and _close(claim.value, quote.value)
    if claim.kind == "percent" and quote.kind == "count" and quote.unit == "fraction":
        return _close(claim.value, quote.value * 100)
    if claim.kind != quote.kind:
        return False
    if claim.kind == "duration":
        return _same_duration(claim, quote)
    if claim.kind == "date":
        if claim.unit == quote.unit or (claim.unit == "date" and quote.unit == "date"):
            return _close(claim.value, quote.value)
        if quote.unit != "date":
            return False
        c, q = date.fromordinal(int(claim.value)), date.fromordinal(int(quote.value))
        if claim.unit == "month_date":
            return (c.year, c.month) == (q.year, q.month)
        return (c.month, c.day) == (q.month, q.day)  # day_month
    return claim.unit == quote.unit and _close(claim.value, quote.value)


def comparable(fig: Figure, limit: Figure) -> bool:
    """Whether two figures can be ordered: the same kind and unit, or both durations (in elapsed hours)."""
    same = fig.kind == limit.kind and fig.unit == limit.unit
    return same or (to_hours(fig) is not None and to_hours(limit) is not None)


def same_figure(a: Figure, b: Figure) -> bool:
    """The same value with a compatible unit and scale, both ways (48 heures = forty-eight hours = 2 days;
    99 % != 100 %; 3 mois != 3 years; 1 000 € != €1,000,000; 48 business hours != 48 hours): what a
    comparison of two versions calls an unchanged figure."""
    return supported_by(a, b) and supported_by(b, a)


def within_limit(fig: Figure, limit: Figure) -> bool | None:
    """Whether `fig` is at most `limit` (True), surely more (False), or undecidable (None). The same unit
    compares values (99.9 % against 99.5 %, 48 business hours against 72); durations in other units
    compare their ranges of elapsed hours (to_hours), so "48 heures ouvrées" against "72 hours" is None
    (48 to several hundred hours); figures that are not comparable are None. "At least" is
    within_limit(limit, fig)."""
    if math.isnan(fig.value) or math.isnan(limit.value):
        return None
    if fig.kind == limit.kind and fig.unit == limit.unit:
        return fig.value <= limit.value
    a, b = to_hours(fig), to_hours(limit)
    if a is None or b is None:
        return None
    if a[1] <= b[0]:
        return True
    if a[0] > b[1]:
        return False
    return None


def role_agrees(
    claim: str,
    fig: Figure,
    quote: str,
    quote_figs: Sequence[Figure] | None = None,
    names: Collection[str] = (),
) -> bool:
    """Whether `quote` backs the claim's figure as the figure of the same role: when the quote holds other
    figures of the same kind (72h and 48h), the matching one must agree with the claim on its party (who
    it binds) and its neighbouring words must agree at least as well as a rival's; undecidable -> False."""
    figs = list(quote_figs) if quote_figs is not None else parse_figures(quote)
    cands = [q for q in figs if supported_by(fig, q)]
    if not cands:
        return False
    if not explicit(fig) or (fig.kind not in _ROLE_KINDS and not (fig.kind == "count" and fig.unit == "")):
        return True
    kinds = {q.kind for q in cands}
    rivals = [
        r
        for r in figs
        if r.kind in kinds
        and r.kind in _ROLE_KINDS
        and not supported_by(fig, r)
        and not math.isnan(r.value)
        and explicit(r)
    ]
    if not rivals:
        return True
    pc = party_of(claim, fig, names)
    cw = claim_window(claim, fig)
    for q in cands:
        if q.kind not in _ROLE_KINDS:
            return True
        pq = party_of(quote, q, names)
        if pc and pq and pc != pq:
            continue
        known = {pq} | {party_of(quote, r, names) for r in rivals if r.kind == q.kind}
        known.discard(None)
        if pc is None and len(known) >= 2:
            continue  # the quote binds several parties and the claim names none: undecidable
        ev_q = len(cw & figure_window(quote, q))
        ok = True
        for r in (r for r in rivals if r.kind == q.kind):
            pr = party_of(quote, r, names)
            if pc and pr and pr != pc:
                continue  # a rival that binds another party cannot be the one meant
            ev_r = len(cw & figure_window(quote, r))
            same_unit = r.unit == fig.unit or (fig.kind == "count" and fig.unit == "")
            if ev_r > ev_q or (ev_r == ev_q and same_unit):
                ok = False
                break
        if ok:
            return True
    return False


def unsupported_figures(claim: str, quotes: Sequence[str], names: Collection[str] = ()) -> list[str]:
    """Surfaces of the claim's figures that no quote backs (same value, compatible unit and scale, and the
    same role when the quote holds rival figures). `names` are the vendors' names (parties)."""
    claim = unicodedata.normalize("NFC", claim)
    parsed = [(q, parse_figures(q)) for q in (unicodedata.normalize("NFC", q) for q in quotes)]
    out: list[str] = []
    for fig in parse_figures(claim):
        if not any(role_agrees(claim, fig, q, figs, names) for q, figs in parsed):
            out.append(fig.surface)
    return out
