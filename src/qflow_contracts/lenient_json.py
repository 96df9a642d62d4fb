"""JSON as Json.NET reads it (contract rule 14): standard JSON, or JSON with comments and
single-quoted strings. The mock reads lenient bodies with it, and the suite's journal reads back
what a run sent to a lenient server."""

from __future__ import annotations

from typing import Any

import orjson


class LenientJsonError(ValueError):
    """The text is not JSON even as Json.NET reads it."""


def _strip_lenient_syntax(text: str) -> str:
    """JSON with Json.NET's extra syntax (comments, single-quoted strings) as standard JSON."""
    out: list[str] = []
    i, size = 0, len(text)
    while i < size:
        ch = text[i]
        if ch == '"' or ch == "'":
            quote, i = ch, i + 1
            chars: list[str] = []
            while i < size and text[i] != quote:
                if text[i] == "\\" and i + 1 < size:
                    chars.append(text[i : i + 2] if text[i + 1] != "'" else "'")
                    i += 2
                    continue
                chars.append('\\"' if text[i] == '"' and quote == "'" else text[i])
                i += 1
            if i >= size:
                raise LenientJsonError("unterminated string")
            out.append('"' + "".join(chars) + '"')
            i += 1
        elif text.startswith("//", i):
            end = text.find("\n", i)
            i = size if end < 0 else end
        elif text.startswith("/*", i):
            end = text.find("*/", i + 2)
            if end < 0:
                raise LenientJsonError("unterminated comment")
            i = end + 2
        else:
            out.append(ch)
            i += 1
    return "".join(out)


def read_lenient_json(raw: bytes) -> Any:
    """A body as Json.NET reads it: standard JSON, or JSON with comments and single quotes."""
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError:
        pass
    try:
        return orjson.loads(_strip_lenient_syntax(raw.decode("utf-8")))
    except (UnicodeDecodeError, orjson.JSONDecodeError) as error:
        raise LenientJsonError(str(error)) from None
