"""Text from a server made safe to show: no control characters a terminal or XML would act on."""

from __future__ import annotations

import re

_UNSAFE = re.compile(
    "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]",
)
"""Characters a report must not carry as they are: C0 and C1 controls (tab, newline and carriage
return excepted), lone surrogates, and the two non-characters XML 1.0 forbids."""


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def printable(text: str) -> str:
    """`text` with every unsafe character written as a visible escape (`\\x1b`, `\\ud800`)."""
    return _UNSAFE.sub(_escape, text.replace("\r\n", "\n").replace("\r", "\n"))


def one_line(text: str) -> str:
    """`text` printable and on one line."""
    return " ".join(printable(text).split())


def fence(text: str, info: str = "") -> str:
    """`text` as a Markdown code block whose fence no line of `text` can close."""
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    marks = "`" * max(3, longest + 1)
    return f"{marks}{info}\n{printable(text).rstrip()}\n{marks}"


_MARKDOWN = re.compile(r"([\\`*_\[\]<>|#~!&])")


def markdown(text: str) -> str:
    """`text` on one line, every character Markdown could read as markup escaped."""
    return _MARKDOWN.sub(r"\\\1", one_line(text))
