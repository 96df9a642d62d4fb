"""Differences between two OpenAPI 3.0 documents: operations, parameters, bodies, responses, schemas."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from typing import Any

from qflow_contracts.specdiff.model import (
    BOTH,
    CLIENTS,
    NOBODY,
    SERVERS,
    Bump,
    Change,
    Verdict,
    classified,
)
from qflow_contracts.specdiff.schemas import DOC_KEYS, SchemaDiff, strip_docs

METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
Document = dict[str, Any]


class Resolver:
    """Local `$ref`s of one document, resolved: (component name or None, the target)."""

    def __init__(self, document: Document) -> None:
        self._document = document

    def __call__(self, node: Any) -> tuple[str | None, Any]:
        name: str | None = None
        seen: set[str] = set()
        while isinstance(node, dict) and isinstance(node.get("$ref"), str) and node["$ref"].startswith("#/"):
            ref = node["$ref"]
            if ref in seen:
                break
            seen.add(ref)
            target: Any = self._document
            for part in ref[2:].split("/"):
                part = part.replace("~1", "/").replace("~0", "~")
                target = target.get(part) if isinstance(target, dict) else None
            if ref.startswith("#/components/schemas/") and name is None:
                name = ref.rsplit("/", 1)[1]
            node = target if target is not None else {}
        return name, node


def _operations(document: Document) -> dict[tuple[str, str], tuple[dict[str, Any], list[Any]]]:
    """(METHOD, path) -> (the operation, the path-level parameters)."""
    found: dict[tuple[str, str], tuple[dict[str, Any], list[Any]]] = {}
    for path, item in (document.get("paths") or {}).items():
        if not isinstance(item, dict):
            continue
        for method in METHODS:
            if isinstance(item.get(method), dict):
                found[(method.upper(), str(path))] = (item[method], list(item.get("parameters") or []))
    return found


class DocumentDiff:
    """Compares an old and a new document."""

    def __init__(self, old: Document, new: Document) -> None:
        self.old, self.new = old, new
        self._old_ref, self._new_ref = Resolver(old), Resolver(new)
        self.changes: list[Change] = []
        self.schemas = SchemaDiff(self._old_ref, self._new_ref, self.changes)

    def _add(self, change: Change) -> None:
        if change not in self.changes:
            self.changes.append(change)

    def _presence(
        self,
        old: Iterable[Any],
        new: Iterable[Any],
        rule: str,
        where: Callable[[Any], str],
        noun: str,
        removed: str | None = None,
    ) -> None:
        """`<rule>-removed` (it breaks clients) for each key only in `old`, then `<rule>-added`
        (a minor change) for each key only in `new`."""
        was, now = list(old), list(new)
        for key in was:
            if key not in now:
                self._add(classified(f"{rule}-removed", where(key), removed or f"{noun} removed", CLIENTS))
        for key in now:
            if key not in was:
                self._add(classified(f"{rule}-added", where(key), f"{noun} added", NOBODY, Bump.MINOR))

    def _docs(
        self, old: dict[str, Any], new: dict[str, Any], where: str, keys: frozenset[str] = DOC_KEYS
    ) -> None:
        changed = sorted(
            k for k in set(old) | set(new) if (k in keys or k == "summary") and old.get(k) != new.get(k)
        )
        if changed:
            self._add(
                classified(
                    "documentation-changed", where, ", ".join(changed) + " changed", NOBODY, Bump.PATCH
                )
            )

    def _security(self, where: str, old: Any, new: Any) -> None:
        """Security requirements as sets of alternatives (none declared is the one empty alternative:
        anyone may call). Alternatives only added, an optional credential declared among them: no
        client that called before is refused."""
        if strip_docs(old) == strip_docs(new):
            return
        was, now = _alternatives(old), _alternatives(new)
        if was <= now:
            text = "security alternatives added (every request accepted before still is)"
            self._add(classified("api-security-alternative-added", where, text, NOBODY, Bump.MINOR))
        elif now <= was:
            text = "security alternatives removed (requests that used them are refused)"
            self._add(classified("api-security-alternative-removed", where, text, CLIENTS))
        else:
            self._add(classified("api-security-changed", where, "security requirements changed", BOTH))

    def run(self) -> Verdict:
        """Every change, classified."""
        old_ops, new_ops = _operations(self.old), _operations(self.new)
        self._presence(old_ops, new_ops, "api-operation", lambda key: f"{key[0]} {key[1]}", "operation")
        for key in old_ops:
            if key in new_ops:
                self._operation(f"{key[0]} {key[1]}", old_ops[key], new_ops[key])
        self._top_level()
        return Verdict(
            tuple(self.changes),
            str((self.old.get("info") or {}).get("version", "")),
            str((self.new.get("info") or {}).get("version", "")),
        )

    def _top_level(self) -> None:
        old_info = dict(self.old.get("info") or {})
        new_info = dict(self.new.get("info") or {})
        old_info.pop("version", None)
        new_info.pop("version", None)
        if old_info != new_info:
            self._add(classified("info-changed", "info", "title or description changed", NOBODY, Bump.PATCH))
        old_examples = (self.old.get("components") or {}).get("examples")
        if old_examples != (self.new.get("components") or {}).get("examples"):
            self._add(
                classified("examples-changed", "components.examples", "examples changed", NOBODY, Bump.PATCH)
            )
        if self.old.get("servers") != self.new.get("servers"):
            self._add(classified("servers-changed", "servers", "servers changed", NOBODY, Bump.PATCH))
        self._security("security", self.old.get("security"), self.new.get("security"))
        if not self.changes and self._meaning(self.old) != self._meaning(self.new):
            text = "descriptions, examples or unused components changed"
            self._add(classified("other-edits", "document", text, NOBODY, Bump.PATCH))

    @staticmethod
    def _meaning(document: Document) -> Any:
        without_version = {**document, "info": {**(document.get("info") or {}), "version": None}}
        return without_version

    def _operation(
        self, where: str, old: tuple[dict[str, Any], list[Any]], new: tuple[dict[str, Any], list[Any]]
    ) -> None:
        old_op, new_op = old[0], new[0]
        self._docs(old_op, new_op, where)
        if old_op.get("operationId") != new_op.get("operationId"):
            ids = f"{old_op.get('operationId')} -> {new_op.get('operationId')}"
            text = f"operationId {ids} (the client's function is renamed)"
            self._add(classified("api-operation-id-changed", where, text, CLIENTS))
        old_tag = (old_op.get("tags") or [None])[0]
        new_tag = (new_op.get("tags") or [None])[0]
        if old_tag != new_tag:
            text = f"first tag {old_tag} -> {new_tag} (the client's module moves)"
            self._add(classified("api-tag-changed", where, text, CLIENTS))
        if bool(old_op.get("deprecated")) != bool(new_op.get("deprecated")):
            text = "deprecated" if new_op.get("deprecated") else "no longer deprecated"
            self._add(classified("api-deprecation-changed", where, text, NOBODY, Bump.MINOR))
        if "security" in old_op or "security" in new_op:  # an operation without its own inherits
            self._security(
                where,
                old_op.get("security", self.old.get("security")),
                new_op.get("security", self.new.get("security")),
            )
        self._parameters(where, self._params(old, self._old_ref), self._params(new, self._new_ref))
        self._request_body(where, old_op.get("requestBody"), new_op.get("requestBody"))
        self._responses(where, old_op.get("responses") or {}, new_op.get("responses") or {})

    @staticmethod
    def _params(
        operation: tuple[dict[str, Any], list[Any]], resolve: Resolver
    ) -> dict[tuple[str, str], dict[str, Any]]:
        found: dict[tuple[str, str], dict[str, Any]] = {}
        for raw in [*operation[1], *(operation[0].get("parameters") or [])]:
            _, param = resolve(raw)
            if isinstance(param, dict) and "name" in param:
                found[(str(param["name"]), str(param.get("in", "")))] = param
        return found

    def _parameters(
        self,
        where: str,
        old: dict[tuple[str, str], dict[str, Any]],
        new: dict[tuple[str, str], dict[str, Any]],
    ) -> None:
        for key in old:
            if key not in new:
                self._add(
                    classified(
                        "request-parameter-removed",
                        f"{where} {key[1]} parameter {key[0]}",
                        "parameter removed",
                        CLIENTS,
                    )
                )
        for key, param in new.items():
            at = f"{where} {key[1]} parameter {key[0]}"
            if key in old:
                continue
            if param.get("required"):
                self._add(
                    classified("new-required-request-parameter", at, "required parameter added", CLIENTS)
                )
            else:
                self._add(
                    classified(
                        "new-optional-request-parameter", at, "optional parameter added", NOBODY, Bump.MINOR
                    )
                )
        for key, was in old.items():
            now = new.get(key)
            if now is None:
                continue
            at = f"{where} {key[1]} parameter {key[0]}"
            self._docs(was, now, at)
            self._required(
                at, was, now, "request-parameter-became-required", "request-parameter-became-optional"
            )
            for attribute in ("style", "explode", "allowEmptyValue", "allowReserved", "content"):
                if strip_docs(was.get(attribute)) != strip_docs(now.get(attribute)):
                    text = f"{attribute} changed (the parameter is written differently)"
                    self._add(classified(f"request-parameter-{attribute.lower()}-changed", at, text, BOTH))
            self.schemas.compare(was.get("schema", {}), now.get("schema", {}), at, "request", "parameter")

    def _required(self, at: str, was: Any, now: Any, required: str, optional: str) -> None:
        """A request parameter or body that became required (code `required`: a client that omits
        it breaks) or optional (code `optional`: a server that needs it breaks)."""
        if bool(was.get("required")) == bool(now.get("required")):
            return
        if now.get("required"):
            self._add(classified(required, at, "became required", CLIENTS))
        else:
            self._add(classified(optional, at, "became optional", SERVERS))

    def _request_body(self, where: str, old: Any, new: Any) -> None:
        at = f"{where} request body"
        _, old_body = self._old_ref(old)
        _, new_body = self._new_ref(new)
        if not old_body and not new_body:
            return
        if not new_body:
            self._add(classified("request-body-removed", at, "request body removed", CLIENTS))
            return
        if not old_body:
            if new_body.get("required"):
                self._add(
                    classified("request-body-added-required", at, "required request body added", CLIENTS)
                )
            else:
                self._add(
                    classified("request-body-added", at, "optional request body added", NOBODY, Bump.MINOR)
                )
            return
        self._docs(old_body, new_body, at)
        self._required(at, old_body, new_body, "request-body-became-required", "request-body-became-optional")
        self._content(at, old_body.get("content") or {}, new_body.get("content") or {}, "request")

    def _content(self, at: str, old: dict[str, Any], new: dict[str, Any], direction: str) -> None:
        self._presence(old, new, f"{direction}-media-type", lambda media: f"{at} {media}", "media type")
        for media, was in old.items():
            now = new.get(media)
            if not isinstance(was, dict) or not isinstance(now, dict):
                continue
            if strip_docs(was.get("encoding")) != strip_docs(now.get("encoding")):
                text = "encoding changed (the body is written differently)"
                self._add(classified(f"{direction}-encoding-changed", f"{at} {media}", text, BOTH))
            if was.get("examples") != now.get("examples") or was.get("example") != now.get("example"):
                self._add(
                    classified(
                        "documentation-changed", f"{at} {media}", "examples changed", NOBODY, Bump.PATCH
                    )
                )
            self.schemas.compare(
                was.get("schema", {}), now.get("schema", {}), f"{at} {media}", direction, "body"
            )

    def _responses(self, where: str, old: dict[str, Any], new: dict[str, Any]) -> None:
        removed = "status removed (the client no longer reads it)"
        self._presence(old, new, "response-status", lambda status: f"{where} {status}", "status", removed)
        for status, raw in old.items():
            if status not in new:
                continue
            _, was = self._old_ref(raw)
            _, now = self._new_ref(new[status])
            if not isinstance(was, dict) or not isinstance(now, dict):
                continue
            at = f"{where} {status}"
            self._docs(was, now, at)
            self._headers(at, was.get("headers") or {}, now.get("headers") or {})
            self._content(at, was.get("content") or {}, now.get("content") or {}, "response")

    def _headers(self, at: str, old: dict[str, Any], new: dict[str, Any]) -> None:
        self._presence(old, new, "response-header", lambda name: f"{at} header {name}", "header")
        for name, raw in old.items():
            if name in new:
                _, was = self._old_ref(raw)
                _, now = self._new_ref(new[name])
                if isinstance(was, dict) and isinstance(now, dict):
                    self.schemas.compare(
                        was.get("schema", {}),
                        now.get("schema", {}),
                        f"{at} header {name}",
                        "response",
                        "header",
                    )


def compare(old: Document, new: Document) -> Verdict:
    """Classify every difference between two OpenAPI 3.0 documents."""
    return DocumentDiff(old, new).run()


def _alternatives(security: Any) -> frozenset[str]:
    """A security requirement list as a set of canonical alternatives; absent is `[{}]`."""
    if not isinstance(security, list):
        security = [{}]
    return frozenset(json.dumps(item, sort_keys=True) for item in strip_docs(security))
