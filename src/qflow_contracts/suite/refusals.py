"""The ways a PATCH body is invalid (contract rule 8): each must get 400 (an unknown media type
415) and change nothing.

`REFUSALS` is the registry: each way a small named function under a stable id, which the
finding it leads to carries (`Refusal.key`, `refused-changed:<key>`; `suite/codes.py`): first a
bad property (too long, out of range, of a wrong type), then the whole body. A new way is one new
function here. Nothing here sends a request.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from hypothesis import strategies as st

from qflow_contracts.suite import strategies as vs
from qflow_contracts.suite.model import Facts


@dataclass(frozen=True)
class Refusal:
    """An invalid PATCH: its bytes, media type, the statuses it must get and what is wrong."""

    content: bytes
    content_type: str
    statuses: tuple[int, ...]
    kind: str
    """The way it is invalid: its id in `REFUSALS`."""
    key: str
    """The kind and, for a bad property, the kind of that property (a finding's key)."""


@dataclass(frozen=True)
class Draft:
    """What an invalid body is made from: a valid PATCH `body` of `cid`; for a bad property, the
    properties that may carry it (`names`), the one to use (`name`, else one is drawn) and the
    values to draw from (`values`, else any invalid value of that kind)."""

    cid: int
    body: dict[str, Any]
    facts: Facts
    names: Sequence[str] = ()
    name: str | None = None
    values: st.SearchStrategy[Any] | None = None


Build = Callable[[st.DataObject, Draft, str], "Refusal | None"]


@dataclass(frozen=True)
class Invalidity:
    """One way a body is invalid: its id, what it is, and how it is made."""

    id: str
    title: str
    build: Build

    def refusal(self, data: st.DataObject, draft: Draft) -> Refusal | None:
        """The invalid PATCH made from `draft`; None when the draft leaves nothing to make invalid."""
        return self.build(data, draft, self.id)


REFUSALS: dict[str, Invalidity] = {}
"""Every way a body is invalid, by id, in the order a run sends them."""


def invalidity(*ids_and_titles: tuple[str, str]) -> Callable[[Build], Build]:
    """Register `build` under each (id, title)."""

    def register(build: Build) -> Build:
        for id, title in ids_and_titles:
            REFUSALS[id] = Invalidity(id, title, build)
        return build

    return register


@invalidity(
    ("too-long", "a string one past its maxLength"),
    ("out-of-range", "an integer outside its minimum and maximum"),
    ("wrong-type", "a value of another JSON type than the property's"),
)
def bad_property(data: st.DataObject, draft: Draft, kind: str) -> Refusal | None:
    """One property given an invalid value of this kind (`strategies.INVALID_FLAVOURS`)."""
    if not draft.names:
        return None
    name = draft.name or data.draw(st.sampled_from(list(draft.names)), label="invalid property")
    values = draft.values if draft.values is not None else vs.invalid_value_for(draft.facts, name, kind)
    body = {**draft.body, name: data.draw(values, label=f"invalid {name}")}
    return Refusal(_json(body), "application/json", (400,), kind, f"{kind}:{draft.facts.kind(name)}")


@invalidity(("not-object", "a JSON array, string or number where the record's object goes"))
def not_object(data: st.DataObject, draft: Draft, kind: str) -> Refusal:
    shape = data.draw(st.sampled_from(["array", "string", "number"]), label="shape")
    document: Any = {"array": [draft.body], "string": json.dumps(draft.body), "number": draft.cid}[shape]
    return Refusal(_json(document), "application/json", (400,), kind, f"{kind}:{shape}")


@invalidity(("not-json", "a body cut short: not JSON at all"))
def not_json(data: st.DataObject, draft: Draft, kind: str) -> Refusal:
    return Refusal(_json(draft.body)[:-1], "application/json", (400,), kind, kind)


@invalidity(("overflow", "a CustomerId beyond 32 bits that wraps to the target's"))
def overflow(data: st.DataObject, draft: Draft, kind: str) -> Refusal:
    body = {**draft.body, "CustomerId": draft.cid + 2**32}
    return Refusal(_json(body), "application/json", (400,), kind, kind)


@invalidity(("media-type", "a JSON body labelled text/plain or application/octet-stream: 415"))
def media_type(data: st.DataObject, draft: Draft, kind: str) -> Refusal:
    media = data.draw(st.sampled_from(["text/plain", "application/octet-stream"]), label="media type")
    return Refusal(_json(draft.body), media, (415,), kind, kind)


def _json(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=False).encode("utf-8")
