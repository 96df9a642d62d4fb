"""Differences between two versions of one schema, as seen from a request or a response.

A change that narrows what a schema allows breaks clients in a request and servers in a response; a
widening, the other way round (see `model.breaks_for`). Changes the generated client sees in its own
types (a property removed, a type or a date format changed, a class renamed) break its users whatever
the direction. Additions of optional things are compatible.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from qflow_contracts.specdiff.model import (
    BOTH,
    CLIENTS,
    NOBODY,
    Bump,
    Change,
    Effect,
    breaks_for,
    classified,
)

Schema = dict[str, Any]
Resolver = Callable[[Any], tuple[str | None, Any]]

ROLLOUT = (
    "breaking for clients talking to servers not yet upgraded (the regenerated client raises on an "
    "answer without it)"
)
"""What a property newly required in an answer does to the generated client during a rollout."""
DOC_KEYS = frozenset({"description", "title", "example", "examples", "externalDocs"})
UPPER_BOUNDS = {
    "maxLength": "max-length",
    "maximum": "max",
    "maxItems": "max-items",
    "maxProperties": "max-props",
}
LOWER_BOUNDS = {
    "minLength": "min-length",
    "minimum": "min",
    "minItems": "min-items",
    "minProperties": "min-props",
}
EXCLUSIVE = {"exclusiveMaximum": "exclusive-max", "exclusiveMinimum": "exclusive-min"}
# formats the generator turns into Python types other than the JSON one: a change is a type change
TYPED_FORMATS = frozenset({"date-time", "date", "uuid", "binary"})
FORMAT_WIDTH = {
    ("integer", "int32"): 1,
    ("integer", "int64"): 2,
    ("number", "float"): 1,
    ("number", "double"): 2,
}
HANDLED = (
    DOC_KEYS
    | set(UPPER_BOUNDS)
    | set(LOWER_BOUNDS)
    | set(EXCLUSIVE)
    | {"type", "format", "nullable", "enum", "default", "required", "properties", "additionalProperties"}
    | {"items", "deprecated", "$ref"}
)


def strip_docs(node: Any) -> Any:
    """A copy without descriptions, examples and `x-` extensions, for comparing meaning only."""
    if isinstance(node, dict):
        return {
            key: strip_docs(value)
            for key, value in node.items()
            if key not in DOC_KEYS and not str(key).startswith("x-")
        }
    if isinstance(node, list):
        return [strip_docs(item) for item in node]
    return node


def _show(value: Any) -> str:
    return "none" if value is None else repr(value) if isinstance(value, str) else str(value)


class SchemaDiff:
    """Compares schemas of two documents; collects `Change`s into `changes`."""

    def __init__(self, resolve_old: Resolver, resolve_new: Resolver, changes: list[Change]) -> None:
        self._old, self._new = resolve_old, resolve_new
        self.changes = changes
        self._visited: set[tuple[str | None, str | None, str]] = set()

    def _add(self, change: Change) -> None:
        if change not in self.changes:
            self.changes.append(change)

    def _effect(self, direction: str, subject: str, what: str, where: str, text: str, effect: Effect) -> None:
        self._add(classified(f"{direction}-{subject}-{what}", where, text, breaks_for(effect, direction)))

    def compare(self, old: Any, new: Any, where: str, direction: str, subject: str) -> None:
        """Compare two schemas (either may be a `$ref`) found at `where` in a request or a response."""
        old_ref, old_schema = self._old(old)
        new_ref, new_schema = self._new(new)
        if old_ref and new_ref and old_ref != new_ref:
            self._add(
                classified(
                    "schema-renamed",
                    old_ref,
                    f"schema {old_ref} is now {new_ref} (the client's class is renamed)",
                    CLIENTS,
                )
            )
        if new_ref:
            where = new_ref
        key = (old_ref, new_ref, direction)
        if old_ref and new_ref:
            if key in self._visited:
                return
            self._visited.add(key)
        if not isinstance(old_schema, dict) or not isinstance(new_schema, dict):
            if strip_docs(old_schema) != strip_docs(new_schema):
                self._effect(direction, subject, "schema-changed", where, "schema replaced", Effect.BOTH)
            return
        self._docs(old_schema, new_schema, where)
        self._type(old_schema, new_schema, where, direction, subject)
        self._nullable(old_schema, new_schema, where, direction, subject)
        self._bounds(old_schema, new_schema, where, direction, subject)
        self._enum(old_schema, new_schema, where, direction, subject)
        self._default(old_schema, new_schema, where, direction, subject)
        self._object(old_schema, new_schema, where, direction)
        if "items" in old_schema or "items" in new_schema:
            self.compare(
                old_schema.get("items", {}), new_schema.get("items", {}), f"{where}[]", direction, subject
            )
        self._generic(old_schema, new_schema, where, direction, subject)

    def _docs(self, old: Schema, new: Schema, where: str) -> None:
        changed = sorted(
            key
            for key in set(old) | set(new)
            if (key in DOC_KEYS or str(key).startswith("x-")) and old.get(key) != new.get(key)
        )
        if changed:
            text = ", ".join(changed) + " changed"
            self._add(classified("documentation-changed", where, text, NOBODY, Bump.PATCH))
        if not old.get("deprecated") and new.get("deprecated"):
            self._add(classified("deprecated", where, "deprecated", NOBODY, Bump.MINOR))
        if old.get("deprecated") and not new.get("deprecated"):
            self._add(classified("undeprecated", where, "no longer deprecated", NOBODY, Bump.MINOR))

    def _type(self, old: Schema, new: Schema, where: str, direction: str, subject: str) -> None:
        old_type, new_type = old.get("type"), new.get("type")
        old_format, new_format = old.get("format"), new.get("format")
        if old_type != new_type:
            text = f"type {_show(old_type)} -> {_show(new_type)}"
            if (old_type, new_type) == ("integer", "number") or new_type is None:
                self._effect(direction, subject, "type-generalized", where, text, Effect.WIDENED)
                self._add(classified(f"{direction}-{subject}-type-changed", where, text, CLIENTS))
            else:
                self._effect(direction, subject, "type-changed", where, text, Effect.BOTH)
            return
        if old_format == new_format:
            return
        text = f"format {_show(old_format)} -> {_show(new_format)}"
        if old_format in TYPED_FORMATS or new_format in TYPED_FORMATS:
            # the generated client parses or writes the value as another Python type
            self._add(classified(f"{direction}-{subject}-format-changed", where, text, BOTH))
            return
        old_width = FORMAT_WIDTH.get((str(old_type), str(old_format)), 3 if old_format is None else 0)
        new_width = FORMAT_WIDTH.get((str(new_type), str(new_format)), 3 if new_format is None else 0)
        if old_width and new_width and old_width != new_width:
            effect = Effect.WIDENED if new_width > old_width else Effect.NARROWED
            what = "format-widened" if effect is Effect.WIDENED else "format-narrowed"
            self._effect(direction, subject, what, where, text, effect)
        else:
            self._effect(direction, subject, "format-changed", where, text, Effect.BOTH)

    def _nullable(self, old: Schema, new: Schema, where: str, direction: str, subject: str) -> None:
        was, now = bool(old.get("nullable")), bool(new.get("nullable"))
        if was != now:
            what, effect = (
                ("became-nullable", Effect.WIDENED) if now else ("became-not-nullable", Effect.NARROWED)
            )
            self._effect(direction, subject, what, where, what.replace("-", " "), effect)

    def _bounds(self, old: Schema, new: Schema, where: str, direction: str, subject: str) -> None:
        for keys, upper in ((UPPER_BOUNDS, True), (LOWER_BOUNDS, False)):
            for key, name in keys.items():
                was, now = old.get(key), new.get(key)
                if was == now:
                    continue
                text = f"{key} {_show(was)} -> {_show(now)}"
                if was is None:
                    self._effect(direction, subject, f"{name}-set", where, text, Effect.NARROWED)
                elif now is None:
                    self._effect(direction, subject, f"{name}-unset", where, text, Effect.WIDENED)
                else:
                    tighter = now < was if upper else now > was
                    what = f"{name}-{'decreased' if now < was else 'increased'}"
                    effect = Effect.NARROWED if tighter else Effect.WIDENED
                    self._effect(direction, subject, what, where, text, effect)
        for key, name in EXCLUSIVE.items():
            was, now = bool(old.get(key)), bool(new.get(key))
            if was != now:
                text = f"{key} {was} -> {now}"
                effect = Effect.NARROWED if now else Effect.WIDENED
                self._effect(direction, subject, f"{name}-{'set' if now else 'unset'}", where, text, effect)

    def _enum(self, old: Schema, new: Schema, where: str, direction: str, subject: str) -> None:
        was, now = old.get("enum"), new.get("enum")
        if was == now:
            return
        if was is None:
            self._effect(direction, subject, "enum-set", where, f"enum {now} set", Effect.NARROWED)
            return
        if now is None:
            self._effect(direction, subject, "enum-unset", where, f"enum {was} removed", Effect.WIDENED)
            return
        removed = [value for value in was if value not in now]
        added = [value for value in now if value not in was]
        if removed:
            self._effect(
                direction,
                subject,
                "enum-value-removed",
                where,
                f"enum values {removed} removed",
                Effect.NARROWED,
            )
        if added:
            self._effect(
                direction, subject, "enum-value-added", where, f"enum values {added} added", Effect.WIDENED
            )

    def _default(self, old: Schema, new: Schema, where: str, direction: str, subject: str) -> None:
        if "default" not in old and "default" not in new:
            return
        was, now = old.get("default"), new.get("default")
        if "default" in old and "default" in new and was == now:
            return
        text = f"default {_show(was)} -> {_show(now)}"
        if "default" not in old:
            self._add(classified(f"{direction}-{subject}-default-set", where, text, NOBODY, Bump.MINOR))
        else:
            # code that relied on the old default now gets other behaviour, silently
            rule = f"{direction}-{subject}-default-{'unset' if 'default' not in new else 'changed'}"
            self._add(classified(rule, where, text, CLIENTS))

    def _object(self, old: Schema, new: Schema, where: str, direction: str) -> None:
        old_props: dict[str, Any] = old.get("properties") or {}
        new_props: dict[str, Any] = new.get("properties") or {}
        old_required, new_required = set(old.get("required") or ()), set(new.get("required") or ())
        for name in old_props:
            if name not in new_props:
                self._add(
                    classified(
                        f"{direction}-property-removed",
                        f"{where}.{name}",
                        "property removed (the client's model loses its field)",
                        CLIENTS,
                    )
                )
        for name in new_props:
            if name in old_props:
                continue
            required = name in new_required
            if direction == "request" and required:
                self._add(
                    classified(
                        "request-property-added-required",
                        f"{where}.{name}",
                        "required property added",
                        CLIENTS,
                    )
                )
            elif required:
                # the regenerated client pops a required property without a default: an answer from a
                # server not yet upgraded (old and new servers coexist during a rollout) raises
                self._add(
                    classified(
                        "response-property-added-required",
                        f"{where}.{name}",
                        f"required property added: {ROLLOUT}",
                        CLIENTS,
                    )
                )
            else:
                text = f"{'required' if required else 'optional'} property added"
                self._add(
                    classified(f"{direction}-property-added", f"{where}.{name}", text, NOBODY, Bump.MINOR)
                )
        for name in sorted(new_required - old_required):
            if direction == "response" and name in old_props:
                # the same as a required property added: the regenerated client raises on an answer of
                # a server that still leaves it out
                self._add(
                    classified(
                        "response-property-became-required",
                        f"{where}.{name}",
                        f"became required: {ROLLOUT}",
                        BOTH,
                    )
                )
            elif name in old_props or name not in new_props:
                self._effect(
                    direction,
                    "property",
                    "became-required",
                    f"{where}.{name}",
                    "became required",
                    Effect.NARROWED,
                )
        for name in sorted(old_required - new_required):
            if name in new_props:
                # the generated model's field turns from a value into `Unset | value`
                self._add(
                    classified(
                        f"{direction}-property-became-optional",
                        f"{where}.{name}",
                        "became optional",
                        CLIENTS if direction == "response" else breaks_for(Effect.WIDENED, direction),
                    )
                )
        for name in old_props:
            if name in new_props:
                self.compare(old_props[name], new_props[name], f"{where}.{name}", direction, "property")
        self._additional(old, new, where, direction)

    def _additional(self, old: Schema, new: Schema, where: str, direction: str) -> None:
        was = old.get("additionalProperties", True)
        now = new.get("additionalProperties", True)
        if isinstance(was, dict) and isinstance(now, dict):
            self.compare(was, now, f"{where}[*]", direction, "property")
            return
        if strip_docs(was) == strip_docs(now):
            return
        # True allows anything; a schema allows less; False allows nothing
        rank = {True: 2, False: 0}
        was_rank = rank[was] if isinstance(was, bool) else 1
        now_rank = rank[now] if isinstance(now, bool) else 1
        effect = Effect.NARROWED if now_rank < was_rank else Effect.WIDENED
        text = f"additionalProperties {strip_docs(was)} -> {strip_docs(now)}"
        self._effect(direction, "schema", "additional-properties-changed", where, text, effect)

    def _generic(self, old: Schema, new: Schema, where: str, direction: str, subject: str) -> None:
        """Any other keyword (pattern, multipleOf, not, anyOf, ...): set narrows, unset widens."""
        for key in sorted((set(old) | set(new)) - HANDLED):
            if str(key).startswith("x-"):
                continue
            was, now = strip_docs(old.get(key)), strip_docs(new.get(key))
            if was == now:
                continue
            name = "".join(f"-{c.lower()}" if c.isupper() else c for c in str(key))
            name = {"not": "not-schema"}.get(name, name)
            if key not in old:
                self._effect(direction, subject, f"{name}-set", where, f"`{key}` added", Effect.NARROWED)
            elif key not in new:
                self._effect(direction, subject, f"{name}-unset", where, f"`{key}` removed", Effect.WIDENED)
            else:
                self._effect(direction, subject, f"{name}-changed", where, f"`{key}` changed", Effect.BOTH)
