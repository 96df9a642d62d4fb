"""Hypothesis strategies for the values a PATCH may send, valid and invalid, from the spec's facts.

Strings are any Unicode text but lone surrogates (which JSON cannot carry as UTF-8), NUL
included, up to the property's `maxLength` in code points (contract rule 9), with the hard cases
drawn often: leading and trailing white space, combining marks, astral characters (two UTF-16
units each), characters Unicode normalisation would rewrite. Dates are RFC 3339 date-times with an
offset, mostly at an hour whose calendar date differs in UTC, so a server that shifts the date is
seen (contract rule 1). Integers keep to the spec's range, booleans are booleans, dictionaries map
strings to strings: every limit comes from `Facts`, none is written here. Each strategy is built
once and kept: building one costs far more than drawing from it.
"""

from __future__ import annotations

import functools
from typing import Any

from hypothesis import strategies as st

from qflow_contracts.int32 import INT32_MAX, INT32_MIN, is_int32
from qflow_contracts.suite.model import BOOLEAN, DATE, DICTIONARY, INTEGER, STRING, Facts

CHARACTERS = st.characters(exclude_categories=["Cs"])
"""Any code point but a surrogate: NUL, controls, private use and astral characters included."""

TRICKY: tuple[str, ...] = (
    " leading space",
    "trailing space ",
    "\ttabbed\t",
    "\u00a0no-break\u00a0",
    "line\r\nbreak\n",
    "e\u0301 combining acute",
    "\u00e9 precomposed",
    "\u212b angstrom sign",
    "\ufb01 ligature",
    "\U0001f600 astral \U0001d11e",
    "nul\x00inside",
    "\u200b\u200dzero width\ufeff",
    "\u05e9\u05dc\u05d5\u05dd rtl",
    "\u0130stanbul \u00df",
    "  ",
    'quote " back\\slash / slash',
    "<b>&amp;</b> %41 +plus",
    "\U0010fffd last plane",
)
"""Strings a server that trims, normalises, re-encodes or escapes would alter."""

HARDEST = " \U0001f600 e\u0301 \U0001d11e\x00\u212b "
"""One string (10 code points, within every limit) that a trimming, normalising or BMP-only
server alters: padded, astral, combining, NUL, a character NFC rewrites."""


@functools.cache
def astral_values(size: int) -> st.SearchStrategy[str]:
    """Strings of exactly `size` code points outside the BMP (a few repeated): twice `size` UTF-16
    units, within a limit counted in code points (contract rule 9)."""
    astral = st.text(st.characters(min_codepoint=0x10000, max_codepoint=0x10FFFF), min_size=1, max_size=6)
    return astral.map(lambda text: (text * size)[:size])


@functools.cache
def text_values(max_size: int, *, min_size: int = 0) -> st.SearchStrategy[str]:
    """Valid strings of at most `max_size` code points, the hard cases drawn often."""
    plain = st.text(CHARACTERS, min_size=min_size, max_size=max_size)
    padded = st.builds(
        lambda left, middle, right: (left + middle + right)[:max_size],
        st.sampled_from([" ", "  ", "\t", "\u3000", "\n", ""]),
        st.text(CHARACTERS, min_size=1, max_size=max(1, max_size - 4)),
        st.sampled_from([" ", "  ", "\t", "\r\n", ""]),
    )
    tricky = st.sampled_from(TRICKY).map(lambda text: text[:max_size])
    values = st.one_of(plain, padded, tricky, astral_values(max(1, max_size)))
    # Every part but `plain` is non-empty: no filter (a rejected draw would discard a whole example).
    return values.filter(lambda text: len(text) >= min_size) if min_size > 1 else values


UNBOUNDED_TEXT = 60
"""The longest value drawn for a string without a `maxLength` (dictionary values, ext refs)."""


@functools.cache
def string_values(limit: int | None, *, falsy: bool = True) -> st.SearchStrategy[str]:
    """Valid values of a string property of at most `limit` code points, "" among them when `falsy`."""
    size = UNBOUNDED_TEXT if limit is None else limit
    if falsy:
        return st.one_of(st.just(""), text_values(size))
    return text_values(size, min_size=1)


@functools.cache
def overlong_values(limit: int) -> st.SearchStrategy[str]:
    """Strings one to a few code points over `limit` (contract rules 8 and 9)."""
    return st.builds(
        lambda unit, extra: (unit * (limit + extra))[: limit + extra],
        st.text(CHARACTERS, min_size=1, max_size=6),
        st.integers(1, 3),
    )


@functools.cache
def one_over(limit: int) -> st.SearchStrategy[str]:
    """Strings of exactly `limit` + 1 code points (contract rules 8 and 9): the first length a
    server's check must refuse, so a check off by one is seen too."""
    return st.text(CHARACTERS, min_size=1, max_size=6).map(lambda unit: (unit * (limit + 1))[: limit + 1])


def just_outside(low: int, high: int) -> tuple[int, ...]:
    """The integers next to the range `low..high`, within 32 bits (contract rule 8)."""
    return tuple(v for v in (high + 1, low - 1) if is_int32(v))


_OFFSETS_EAST = ("+10:00", "+11:00", "+12:00", "+13:00", "+14:00", "+09:30", "+05:45")
_OFFSETS_WEST = ("-10:00", "-11:00", "-12:00", "-09:30", "-08:00", "-05:00", "-03:30")


@st.composite
def dob_values(draw: st.DrawFn, shifted: bool = False) -> str:
    """An RFC 3339 date-time with an offset, usually (always when `shifted`) on another day in UTC."""
    year = draw(st.integers(1900, 2099))
    month = draw(st.integers(1, 12))
    day = draw(st.integers(1, 28 if month == 2 else 30 if month in (4, 6, 9, 11) else 31))
    minute = draw(st.integers(0, 59))
    second = draw(st.integers(0, 59))
    fraction = draw(st.sampled_from(["", ".5", ".947", ".123456", ".9472300", ".0000001"]))
    kind = draw(st.sampled_from(["east", "west"] if shifted else ["east", "west", "utc", "any"]))
    if kind == "east":
        hour, offset = draw(st.integers(0, 4)), draw(st.sampled_from(_OFFSETS_EAST))
    elif kind == "west":
        hour, offset = draw(st.integers(21, 23)), draw(st.sampled_from(_OFFSETS_WEST))
    elif kind == "utc":
        hour, offset = draw(st.integers(0, 23)), draw(st.sampled_from(["Z", "+00:00"]))
    else:
        hour = draw(st.integers(0, 23))
        offset = draw(st.sampled_from(_OFFSETS_EAST + _OFFSETS_WEST + ("+01:00", "-01:00")))
    return f"{year:04d}-{month:02d}-{day:02d}T{hour:02d}:{minute:02d}:{second:02d}{fraction}{offset}"


DOB_VALUES = dob_values()
"""`dob_values()`, built once."""


@functools.cache
def integer_values(low: int, high: int) -> st.SearchStrategy[int]:
    """Integers in `low..high`, the bounds and 0 (falsy) drawn often."""
    edges = sorted({v for v in (low, high, 0, low + 1, high - 1) if low <= v <= high})
    return st.one_of(st.sampled_from(edges), st.integers(low, high))


@functools.cache
def custom_property_keys(*, form_safe: bool = False) -> st.SearchStrategy[str]:
    """New dictionary keys: non-empty; for a form body (`Name[key]`) letters, digits, `-_`."""
    simple = st.text(st.characters(categories=["L", "N"], include_characters="-_"), min_size=1, max_size=12)
    if form_safe:
        return simple
    return st.one_of(simple, text_values(20, min_size=1))


@functools.cache
def custom_property_values(*, empty: bool = True) -> st.SearchStrategy[str]:
    """Dictionary values: any string, the empty one included unless `empty` is false."""
    return string_values(None, falsy=empty)


@functools.cache
def custom_properties(*, form_safe: bool = False, max_size: int = 4) -> st.SearchStrategy[dict[str, str]]:
    """A dictionary to send: new keys, any string values (non-empty in a form)."""
    values = custom_property_values(empty=not form_safe)
    return st.dictionaries(custom_property_keys(form_safe=form_safe), values, max_size=max_size)


def value_for(facts: Facts, name: str, *, falsy: bool = True) -> st.SearchStrategy[Any]:
    """Valid values of the mutable property `name`, as the spec types and limits it."""
    kind = facts.kind(name)
    if kind == STRING:
        return string_values(facts.max_length(name), falsy=falsy)
    if kind == DATE:
        return DOB_VALUES
    if kind == INTEGER:
        return integer_values(*facts.int_range(name))
    if kind == BOOLEAN:
        return st.booleans()
    if kind == DICTIONARY:
        return custom_properties(max_size=2)
    raise KeyError(name)


def falsy_value(facts: Facts, name: str) -> Any:
    """The falsy value of `name`'s kind (`""`, `0`, `false`), or None when it has none in range."""
    kind = facts.kind(name)
    if kind == STRING:
        return ""
    if kind == BOOLEAN:
        return False
    if kind == INTEGER:
        low, high = facts.int_range(name)
        return 0 if low <= 0 <= high else None
    return None


INVALID_FLAVOURS = ("too-long", "out-of-range", "wrong-type")
"""The ways a property's value is invalid (contract rule 8)."""


def invalid_names(facts: Facts, flavour: str) -> tuple[str, ...]:
    """The mutable properties that can be invalid in this way."""
    if flavour == "too-long":
        return tuple(n for n in facts.of_kind(STRING) if facts.max_length(n) is not None)
    if flavour == "out-of-range":
        return tuple(n for n in facts.of_kind(INTEGER) if facts.int_range(n) != (INT32_MIN, INT32_MAX))
    return facts.mutable


def invalid_value_for(facts: Facts, name: str, flavour: str = "wrong-type") -> st.SearchStrategy[Any]:
    """Values of `name` every server must refuse with 400 (contract rules 8 and 14).

    Too long, out of range, or of a type no Json.NET conversion accepts (a conversion Json.NET
    makes, such as `"1"` for an integer, is leniency: see `conversions.LENIENCIES`).
    """
    if flavour == "too-long":
        limit = facts.max_length(name)
        assert limit is not None
        return overlong_values(limit)
    if flavour == "out-of-range":
        low, high = facts.int_range(name)
        above = st.integers(high + 1, max(high + 1, min(high + 253, INT32_MAX)))
        below = st.integers(max(low - 253, INT32_MIN), low - 1) if low > INT32_MIN else above
        return st.one_of(above, below)
    kind = facts.kind(name)
    if kind == STRING:
        return st.sampled_from([[name], {"value": name}])
    if kind == INTEGER:
        return st.sampled_from(["two", "1.5x", [1], {"value": 1}])
    if kind == BOOLEAN:
        return st.sampled_from(["maybe", [True], {"value": True}])
    if kind == DATE:
        return st.sampled_from(["not a date", "2024-13-45T99:99:99+00:00", [2024, 1, 1]])
    return st.sampled_from(["Locker=12", ["Locker", "12"]])
