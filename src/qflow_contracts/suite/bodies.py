"""The bodies a PATCH sends, drawn from the spec's facts and kept within the safety policy.

`Bodies.changes` draws the mutable properties to send (absent, null, falsy or another valid
value, each as the spec types and limits it); `identity` draws how a body names its record
(contract rule 4); `refusal` makes a valid body invalid in one of the ways `refusals.REFUSALS`
registers (contract rule 8); `leniency` tries one of the conversions `conversions.LENIENCIES`
registers (contract rule 14) on a property the policy lets it change. Nothing here sends a request.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from hypothesis import strategies as st

from qflow_contracts.suite import strategies as vs
from qflow_contracts.suite.conversions import LENIENCIES, WORD_LENGTH, Conversion, Leniency, Spot
from qflow_contracts.suite.model import BOOLEAN, DATE, DICTIONARY, INTEGER, STRING, Facts
from qflow_contracts.suite.policy import Policy
from qflow_contracts.suite.refusals import REFUSALS, Draft, Refusal

UNKNOWN_EXT_REF = "qflow-contracts-no-such-type"
"""An external reference no customer-id type has (checked against the given customers')."""

UNKNOWN_PROPERTY = "QflowContractsUnknownProperty"
"""A property no Customer has: a server ignores it (contract rule 9)."""

KEYED, INDEXED = "keyed", "indexed"
"""The two ways a form carries a dictionary (contract rule 10)."""

FORM_ENCODINGS = {KEYED: "Name[key]=value", INDEXED: "the indexed form Name[0].Key=k&Name[0].Value=v"}


def form_pairs(body: Mapping[str, Any], encoding: str = KEYED) -> list[tuple[str, str]]:
    """A body as form fields (contract rule 10): decimal integers, `true`/`false`, a dictionary
    as `Name[key]=value` (KEYED) or MVC's `Name[0].Key=k&Name[0].Value=v` (INDEXED)."""
    pairs: list[tuple[str, str]] = []
    for name, value in body.items():
        if value is None:
            continue
        if isinstance(value, dict) and encoding == INDEXED:
            for index, (key, item) in enumerate(value.items()):
                pairs += [(f"{name}[{index}].Key", str(key)), (f"{name}[{index}].Value", str(item))]
        elif isinstance(value, dict):
            pairs += [(f"{name}[{key}]", str(item)) for key, item in value.items()]
        elif isinstance(value, bool):
            pairs.append((name, "true" if value else "false"))
        else:
            pairs.append((name, str(value)))
    return pairs


def form_applied(body: Mapping[str, Any]) -> tuple[dict[str, Any], set[str]]:
    """What a form body sets (contract rule 10): the body without its blank fields, which are
    absent (ASP.NET reads an empty or blank field as null); and the names sent blank."""
    applied: dict[str, Any] = {}
    blank: set[str] = set()
    for name, value in body.items():
        if isinstance(value, str) and not value.strip():
            blank.add(name)
        elif isinstance(value, dict):
            entries = {k: v for k, v in value.items() if not (isinstance(v, str) and not v.strip())}
            if entries:
                applied[name] = entries
        else:
            applied[name] = value
    return applied, blank


class Bodies:
    """Draws bodies for one run from the spec's facts, within its safety policy."""

    def __init__(self, facts: Facts, policy: Policy) -> None:
        self.facts = facts
        self.policy = policy

    # ---- valid changes -----------------------------------------------------------------------------

    def changes(
        self, data: st.DataObject, cid: int, known_keys: list[str], *, form: bool = False
    ) -> dict[str, Any]:
        """Mutable properties to send: each absent, null, falsy or another valid value."""
        body: dict[str, Any] = {}
        for name in self.facts.mutable:
            kind = self.facts.kind(name)
            if kind == DICTIONARY:
                value = self.dictionary(data, cid, name, known_keys, form=form)
                if value is not None or (not form and data.draw(st.booleans(), label=f"{name} null")):
                    body[name] = value
                continue
            choices = ["skip", "skip", "value", "value", "falsy"] + ([] if form else ["null", "null"])
            how = data.draw(st.sampled_from(choices), label=f"{name} is")
            if how == "null":
                body[name] = None
            elif how != "skip" and self.policy.may_set(cid, name):
                falsy = vs.falsy_value(self.facts, name)
                if how == "falsy" and falsy is not None and not (form and falsy == ""):
                    body[name] = falsy
                else:
                    body[name] = data.draw(vs.value_for(self.facts, name, falsy=not form), label=name)
        return body

    def dictionary(
        self, data: st.DataObject, cid: int, name: str, known_keys: list[str], *, form: bool
    ) -> dict[str, str] | None:
        """Some known keys of the dictionary with new values, new keys where the policy allows."""
        keys = sorted(set(self.policy.original_keys(cid, name)) | set(known_keys))
        if form:  # a key a form can name: no brackets, and not blank (a blank field is absent)
            keys = [k for k in keys if "[" not in k and "]" not in k and k.strip()]
        chosen: list[str] = []
        if keys:
            size = data.draw(st.integers(0, max(1, len(keys) - 1)), label=f"{name} keys sent")
            chosen = data.draw(st.permutations(keys), label="key order")[:size]
        values = vs.custom_property_values(empty=not form)
        sent = {key: data.draw(values, label=f"{name}[{key!r}]") for key in chosen}
        if self.policy.may_add_keys:
            added = data.draw(vs.custom_properties(form_safe=form, max_size=2), label="new keys")
            sent.update({key: value for key, value in added.items() if key not in sent})
        return sent or None

    def hard_values(
        self, data: st.DataObject, cid: int, current: Mapping[str, Any], turn: int
    ) -> dict[str, Any]:
        """A value for half the settable properties, the hardest each kind has; null for the rest.

        Strings get white space, combining marks and astral characters, dates an hour on another
        day in UTC, booleans and integers their falsy value where they are not (rules 1, 5, 7).
        """
        settable = self.policy.settable(cid)
        to_set, to_null = settable[turn % 2 :: 2], settable[(turn + 1) % 2 :: 2]
        body: dict[str, Any] = dict.fromkeys(to_null)
        first_string = True
        for name in to_set:
            kind = self.facts.kind(name)
            if kind == STRING:
                limit = self.facts.max_length(name) or vs.UNBOUNDED_TEXT
                body[name] = data.draw(st.sampled_from([t[:limit] for t in vs.TRICKY]), label=name)
                if first_string and len(vs.HARDEST) <= limit:
                    body[name], first_string = vs.HARDEST, False
                elif turn == 1 and current.get(name):
                    body[name] = ""
            elif kind == DATE:
                body[name] = data.draw(vs.dob_values(shifted=True), label=name)
            elif kind == INTEGER:
                falsy = vs.falsy_value(self.facts, name)
                low, high = self.facts.int_range(name)
                body[name] = (
                    falsy if falsy is not None and current.get(name) != falsy else min(high, max(low, 2))
                )
            elif kind == BOOLEAN:
                body[name] = current.get(name) is not True
        return body

    # ---- identifiers (contract rule 4) -------------------------------------------------------------

    def identity(
        self, data: st.DataObject, cid: int, mode: str | None = None, decoy: bool | None = None
    ) -> dict[str, Any]:
        """The identifiers of a body that targets `cid`, by CustomerId or PersonalId (rule 4).

        A `customer` body may echo the record's identity, or (owned only) carry another record's
        or made-up identity values, which a server must ignore.
        """
        record = self.policy.originals[cid]
        if mode is None:
            modes = ["customer", "customer"]
            modes += ["type"] if cid in self.policy.by_type else []
            modes += ["extref"] if cid in self.policy.by_extref else []
            mode = data.draw(st.sampled_from(modes), label="target by")
        body: dict[str, Any] = {}
        if mode == "customer":
            body["CustomerId"] = cid
            for name in self.facts.identity:
                if name != "CustomerId" and data.draw(st.booleans(), label=f"echo {name}"):
                    body[name] = record.get(name)
            if decoy is None:
                decoy = data.draw(st.booleans(), label="decoy identity")
            if self.policy.owned and decoy:
                body.update(self.decoy(data, cid))
        elif mode == "type":
            body.update(PersonalId=record["PersonalId"], PersonalIdTypeId=record["PersonalIdTypeId"])
            body.update(self.no_customer_id(data))
            ext = data.draw(st.sampled_from(["absent", "own", "decoy"]), label="PersonalIdTypeExtRef")
            if ext == "own":
                body["PersonalIdTypeExtRef"] = record.get("PersonalIdTypeExtRef")
            elif ext == "decoy" and self.policy.owned:
                body["PersonalIdTypeExtRef"] = data.draw(self._other_extrefs(cid), label="decoy ext ref")
        else:
            body.update(PersonalId=record["PersonalId"], PersonalIdTypeExtRef=record["PersonalIdTypeExtRef"])
            body.update(self.no_customer_id(data))
            type_id = data.draw(st.sampled_from(["absent", None, 0, -1]), label="PersonalIdTypeId")
            if type_id != "absent":
                body["PersonalIdTypeId"] = type_id
        return body

    def no_customer_id(self, data: st.DataObject) -> dict[str, Any]:
        """CustomerId absent, 0 or negative: the body names its record by PersonalId."""
        # not null: a .NET `int CustomerId` refuses it (400), a server may also read it as absent
        choice = data.draw(st.sampled_from(["absent", 0, -7]), label="CustomerId")
        return {} if choice == "absent" else {"CustomerId": choice}

    def _other_extrefs(self, cid: int) -> st.SearchStrategy[str]:
        given = self.policy.originals
        others = sorted(
            {
                str(given[o]["PersonalIdTypeExtRef"])
                for o in self.policy.given
                if o != cid and given[o].get("PersonalIdTypeExtRef")
            }
        )
        return st.sampled_from(others) if others else vs.text_values(20, min_size=1)

    def decoy(self, data: st.DataObject, cid: int) -> dict[str, Any]:
        """Identity values of another record, or made up: a CustomerId body ignores them (owned only)."""
        given = self.policy.originals
        own = given[cid].get("PersonalId")
        others = [o for o in self.policy.given if given[o].get("PersonalId") != own]
        if bool(others) and data.draw(st.booleans(), label="decoy from another customer"):
            other = given[data.draw(st.sampled_from(others), label="decoy customer")]
            return {name: other.get(name) for name in self.facts.identity if name != "CustomerId"}
        limit = self.facts.max_length("PersonalId")
        return {
            "PersonalId": data.draw(vs.string_values(limit, falsy=False), label="decoy PersonalId"),
            "PersonalIdTypeId": data.draw(
                vs.integer_values(*self.facts.int_range("PersonalIdTypeId")), label="decoy type"
            ),
            "PersonalIdTypeExtRef": data.draw(vs.text_values(20, min_size=1), label="decoy ext ref"),
        }

    # ---- invalid bodies (contract rule 8) ----------------------------------------------------------

    def invalid_names(self, cid: int, kind: str) -> list[str]:
        """The properties of `cid` that may carry an invalid value of this kind (a server that
        wrongly stores it must be able to get the original back)."""
        return [
            n
            for n in vs.invalid_names(self.facts, kind)
            if self.facts.kind(n) == DICTIONARY or self.policy.may_set(cid, n)
        ]

    def refusal(
        self,
        data: st.DataObject,
        cid: int,
        kind: str,
        body: dict[str, Any],
        name: str | None = None,
        values: st.SearchStrategy[Any] | None = None,
    ) -> Refusal | None:
        """`body` (valid changes of `cid`) made invalid in the way `kind` says (`REFUSALS`; for a
        bad property: `name`, or one drawn, with a value drawn from `values` when given); None
        when the policy leaves nothing to make invalid that way."""
        names = self.invalid_names(cid, kind) if kind in vs.INVALID_FLAVOURS else ()
        draft = Draft(cid, body, self.facts, names, name, values)
        return REFUSALS[kind].refusal(data, draft)

    # ---- Json.NET's conversions (contract rule 14) -------------------------------------------------

    def leniency(self, data: st.DataObject, cid: int, kind: str, known_keys: list[str]) -> Leniency | None:
        """A PATCH of `cid` by CustomerId with the conversion `kind` (`LENIENCIES`) on a property
        the policy lets it change; None when there is none."""
        conversion = LENIENCIES[kind]
        if conversion.kind == DICTIONARY:
            return self._dictionary_leniency(data, cid, conversion, known_keys)
        names = self.policy.settable(cid, (conversion.kind,))
        if conversion.kind == STRING:  # one that holds the word a text conversion sends
            names = [n for n in names if self.facts.holds(n, WORD_LENGTH)]
        if not names:
            return None
        name = data.draw(st.sampled_from(names), label=f"{kind} property")
        return conversion.probe(data, Spot(cid, name, self.facts))

    def _dictionary_leniency(
        self, data: st.DataObject, cid: int, conversion: Conversion, known_keys: list[str]
    ) -> Leniency | None:
        for name in self.facts.of_kind(DICTIONARY):
            keys = sorted(set(self.policy.original_keys(cid, name)) | set(known_keys))
            if self.policy.may_add_keys:
                keys = keys or ["qflow-number"]
            if keys:
                return conversion.probe(data, Spot(cid, name, self.facts, tuple(keys)))
        return None
