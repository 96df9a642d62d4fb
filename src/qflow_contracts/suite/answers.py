"""Answers no parser should be trusted with: JSON nested deeper than any record, and strings that
are not Unicode (a lone surrogate such as `"\\ud800"`).

`screen` looks at every answer the transport reads, before anyone parses it. A hostile answer is
replaced by one the suite can read (too deep: a stand-in message; lone surrogates: each replaced
by U+FFFD) and the reason is returned, to be recorded as the server's finding. The run and the
restore go on.
"""

from __future__ import annotations

import json
import re
from typing import Any, NamedTuple

MAX_DEPTH = 32
"""The deepest nesting read: a Customer record is two levels deep (its CustomProperties)."""
MAY_HOLD_SURROGATE = re.compile(rb"\\u[dD][89a-fA-F]")
SURROGATE = re.compile("[\ud800-\udfff]")


class Problem(NamedTuple):
    """Why an answer was changed before anyone read it: `kind` is "depth" or "surrogate"."""

    kind: str
    text: str


def depth(content: bytes, limit: int = MAX_DEPTH) -> int:
    """How deep `content`'s JSON nests, counted up to `limit` + 1 (strings skipped)."""
    if content.count(b"[") + content.count(b"{") <= limit:
        return min(limit, content.count(b"[") + content.count(b"{"))
    level = deepest = 0
    in_string = escaped = False
    for byte in content:
        if in_string:
            if escaped:
                escaped = False
            elif byte == 0x5C:  # backslash
                escaped = True
            elif byte == 0x22:
                in_string = False
        elif byte == 0x22:
            in_string = True
        elif byte in (0x5B, 0x7B):
            level += 1
            if level > deepest:
                deepest = level
                if deepest > limit:
                    return deepest
        elif byte in (0x5D, 0x7D):
            level -= 1
    return deepest


def _replace(value: Any) -> tuple[Any, int]:
    """`value` with every lone surrogate replaced by U+FFFD, and how many there were."""
    if isinstance(value, str):
        replaced, count = SURROGATE.subn("\ufffd", value)
        return replaced, count
    if isinstance(value, list):
        items = [_replace(item) for item in value]
        return [item for item, _ in items], sum(count for _, count in items)
    if isinstance(value, dict):
        total, result = 0, {}
        for key, item in value.items():
            new_key, one = _replace(key)
            new_item, two = _replace(item)
            result[new_key] = new_item
            total += one + two
        return result, total
    return value, 0


def screen(content: bytes) -> tuple[bytes, Problem | None]:
    """The answer as the suite may read it, and why it had to be changed (None: unchanged)."""
    if depth(content) > MAX_DEPTH:
        stand_in = {
            "Message": f"qflow-contracts: the answer nested deeper than {MAX_DEPTH} levels "
            "and was not parsed (a record is two levels deep)"
        }
        return json.dumps(stand_in).encode("utf-8"), Problem(
            "depth", f"an answer nested deeper than {MAX_DEPTH} levels (a record is two levels deep)"
        )
    if not MAY_HOLD_SURROGATE.search(content):
        return content, None
    try:
        document = json.loads(content)
    except (ValueError, RecursionError):
        return content, None
    replaced, count = _replace(document)
    if not count:
        return content, None
    text = json.dumps(replaced, ensure_ascii=False).encode("utf-8")
    what = f"{count} string(s) holding a lone surrogate (not Unicode), read as U+FFFD"
    return text, Problem("surrogate", what)
