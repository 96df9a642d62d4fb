"""Json.NET's conversions (contract rule 14): where the spec wants one type, ASP.NET's JSON reader
takes another and converts it, which the contract counts as leniency, not breakage.

`LENIENCIES` is the registry: each conversion a small named function under a stable id, the
kind of property it is tried on and what it sends. The id is what a finding of it carries
(`lenient:<id>`, `lenient-status:<id>`, `lenient-stored-wrong:<id>`; `suite/codes.py`). A new
conversion is one new function here. Nothing here sends a request.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from hypothesis import strategies as st

from qflow_contracts.suite import strategies as vs
from qflow_contracts.suite.model import BOOLEAN, DICTIONARY, INTEGER, STRING, Facts


@dataclass(frozen=True)
class Leniency:
    """A body with one Json.NET conversion: what is sent, and what a converting server stores."""

    content: bytes
    kind: str
    """The conversion's id in `LENIENCIES`."""
    name: str
    sent: Any
    stored: tuple[Any, ...]
    """The values a server that converts must store for `name` (any of them)."""


@dataclass(frozen=True)
class Spot:
    """Where a conversion is tried: a PATCH of `cid` by CustomerId, on property `name`; for a
    dictionary, under one of `keys`."""

    cid: int
    name: str
    facts: Facts
    keys: tuple[str, ...] = ()


@dataclass(frozen=True)
class Converted:
    """What a conversion sends for its property, and what a server that converts stores."""

    sent: Any
    stored: tuple[Any, ...]
    content: bytes | None = None
    """The whole body, when it is not `{"CustomerId": cid, name: sent}` as strict JSON."""


Build = Callable[[st.DataObject, Spot], Converted]


@dataclass(frozen=True)
class Conversion:
    """One of Json.NET's conversions: its id, the kind of property it is tried on, what it is."""

    id: str
    kind: str
    title: str
    build: Build

    def probe(self, data: st.DataObject, spot: Spot) -> Leniency:
        """The PATCH that tries this conversion at `spot`."""
        converted = self.build(data, spot)
        content = converted.content or _json({"CustomerId": spot.cid, spot.name: converted.sent})
        return Leniency(content, self.id, spot.name, converted.sent, converted.stored)


LENIENCIES: dict[str, Conversion] = {}
"""Every conversion, by id, in the order a run tries them."""


def conversion(id: str, kind: str, title: str) -> Callable[[Build], Build]:
    """Register a conversion under `id`, tried on properties of `kind`."""

    def register(build: Build) -> Build:
        LENIENCIES[id] = Conversion(id, kind, title, build)
        return build

    return register


def _integer(data: st.DataObject, spot: Spot) -> int:
    return data.draw(vs.integer_values(*spot.facts.int_range(spot.name)), label=spot.name)


@conversion("integer-as-string", INTEGER, 'an integer sent as a string: "7"')
def integer_as_string(data: st.DataObject, spot: Spot) -> Converted:
    value = _integer(data, spot)
    return Converted(str(value), (value,))


@conversion("fraction-as-integer", INTEGER, "an integer sent with a fraction, which Json.NET rounds: 7.25")
def fraction_as_integer(data: st.DataObject, spot: Spot) -> Converted:
    value = _integer(data, spot)
    high = spot.facts.int_range(spot.name)[1]
    return Converted(value + 0.25 if value < high else value - 0.25, (value,))  # no tie to round


@conversion("number-as-string", STRING, "a string sent as a number: 42")
def number_as_string(data: st.DataObject, spot: Spot) -> Converted:
    number = data.draw(st.integers(0, 99999), label=spot.name)
    return Converted(number, (str(number),))


@conversion("boolean-as-string", STRING, "a string sent as a boolean: true")
def boolean_as_string(data: st.DataObject, spot: Spot) -> Converted:
    flag = data.draw(st.booleans(), label=spot.name)
    return Converted(flag, (str(flag), str(flag).lower()))


@conversion("number-as-boolean", BOOLEAN, "a boolean sent as 0 or 1")
def number_as_boolean(data: st.DataObject, spot: Spot) -> Converted:
    number = data.draw(st.sampled_from([0, 1]), label=spot.name)
    return Converted(number, (bool(number),))


@conversion("string-as-boolean", BOOLEAN, 'a boolean sent as a string: "true", "False"')
def string_as_boolean(data: st.DataObject, spot: Spot) -> Converted:
    text = data.draw(st.sampled_from(["true", "false", "True", "False"]), label=spot.name)
    return Converted(text, (text.lower() == "true",))


@conversion("number-as-dictionary-value", DICTIONARY, "a dictionary value sent as a number: {key: 7}")
def number_as_dictionary_value(data: st.DataObject, spot: Spot) -> Converted:
    key = data.draw(st.sampled_from(spot.keys), label=f"{spot.name} key")
    number = data.draw(st.integers(0, 9999), label="number")
    return Converted({key: number}, ({key: str(number)},))


WORD = "abcdefghijklmnopqrstuvwxyz0123456789 "
"""The characters of a word a text conversion sends (no quote, no comment marker)."""

WORD_LENGTH = 5
"""The longest text a conversion on a string stores (a word, 99999, False): it is tried on the
strings whose maxLength holds it."""


def _word(data: st.DataObject, spot: Spot) -> str:
    return data.draw(st.text(WORD, min_size=1, max_size=WORD_LENGTH), label=spot.name)


@conversion("name-in-another-case", STRING, "a property name in another case: firstname")
def name_in_another_case(data: st.DataObject, spot: Spot) -> Converted:
    word, name = _word(data, spot), spot.name
    other = name.lower() if name.lower() != name else name.upper()
    return Converted(word, (word,), _json({"CustomerId": spot.cid, other: word}))


@conversion("json-with-comments", STRING, "a body with /* */ and // comments")
def json_with_comments(data: st.DataObject, spot: Spot) -> Converted:
    word = _word(data, spot)
    content = f'/* qflow */ {{"CustomerId": {spot.cid}, // the record\n "{spot.name}": {json.dumps(word)} }}'
    return Converted(word, (word,), content.encode("utf-8"))


@conversion("json-with-single-quotes", STRING, "a body quoted with ' instead of \"")
def json_with_single_quotes(data: st.DataObject, spot: Spot) -> Converted:
    word = _word(data, spot)
    content = f"{{'CustomerId': {spot.cid}, '{spot.name}': '{word}'}}"
    return Converted(word, (word,), content.encode("utf-8"))


def _json(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=False).encode("utf-8")
