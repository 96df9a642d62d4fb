"""The statement of each rule, read from the contract document, for reports that stand alone."""

from __future__ import annotations

import functools
import re

from qflow_contracts.resources import contract_path

_RULE = re.compile(r'<a id="(rule-\d+)"></a>\n## [^\n]+\n\n\*\*The rule\.\*\* (.*?)\n\n\*\*Why', re.DOTALL)
_CLAUSE = re.compile(r"^- `(spec-[a-z-]+)`: \*\*[^*]+\*\*\. (.*?)(?=\n- |\n\n)", re.DOTALL | re.MULTILINE)
_LINK = re.compile(r"\[([^\]]+)\]\([^)]*\)")
_ITEM = re.compile(r"^(?:\d+\.|-) ")


def _paragraphs(markdown: str) -> tuple[str, ...]:
    """Markdown paragraphs as plain text; a list item starts a new line."""
    plain = _LINK.sub(r"\1", markdown).replace("**", "").replace("*", "")
    paragraphs = []
    for block in plain.split("\n\n"):
        lines: list[str] = []
        for line in block.splitlines():
            line = line.strip()
            if lines and not _ITEM.match(line):
                lines[-1] += " " + line
            else:
                lines.append(line)
        paragraphs.append("\n".join(lines))
    return tuple(paragraphs)


@functools.cache
def statements() -> dict[str, tuple[str, ...]]:
    """Each rule's statement by rule id, as plain-text paragraphs; empty when the document is not
    installed."""
    try:
        document = contract_path().read_text(encoding="utf-8")
    except OSError:
        return {}
    found = {rule_id: _paragraphs(text) for rule_id, text in _RULE.findall(document)}
    found.update((clause, _paragraphs(text)) for clause, text in _CLAUSE.findall(document))
    return found
