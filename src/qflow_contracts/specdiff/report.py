"""The verdict as Markdown (for people and pull requests) or JSON (for scripts)."""

from __future__ import annotations

import json

from qflow_contracts.specdiff.model import Audience, Bump, Change, Verdict

SECTIONS = ("breaking for clients", "breaking for servers", "compatible")


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _version_line(verdict: Verdict) -> str:
    old, new = verdict.old_version or "?", verdict.new_version or "?"
    suggested = verdict.suggested_version
    if verdict.version_ok is None:
        return f"`info.version` {old} -> {new}: not X.Y.Z, so its bump cannot be checked."
    if verdict.bump is Bump.NONE:
        return f"`info.version` {old} -> {new}."
    if verdict.version_ok:
        return f"`info.version` {old} -> {new}: enough for a {verdict.bump} release."
    return f"`info.version` {old} -> {new}: a {verdict.bump} release calls for at least {suggested}."


def markdown(verdict: Verdict, old_label: str, new_label: str) -> str:
    """A summary: the verdict, the release it calls for, then each change by class."""
    lines = [f"## Spec diff: `{old_label}` -> `{new_label}`", ""]
    if not verdict.changes:
        lines += ["**No change.**", ""]
        return "\n".join(lines)
    lines += [
        f"**Verdict: {verdict.category}.** Code built on the client: a **{verdict.bump}** release.",
        "",
        _version_line(verdict),
        "",
        "| class | changes |",
        "| --- | ---: |",
    ]
    by_section: dict[str, list[Change]] = {name: [] for name in SECTIONS}
    for change in verdict.changes:
        by_section[change.category].append(change)
    lines += [f"| {name} | {len(items)} |" for name, items in by_section.items()]
    for name, items in by_section.items():
        if not items:
            continue
        lines += ["", f"### {name[0].upper()}{name[1:]}", "", "| where | change | release | rule |"]
        lines += ["| --- | --- | --- | --- |"]
        for change in items:
            also = (
                " (breaks servers too)"
                if name != "breaking for servers" and Audience.SERVERS in change.breaks
                else ""
            )
            lines.append(
                f"| `{_cell(change.where)}` | {_cell(change.text)}{also} | {change.bump} | `{change.rule}` |"
            )
    lines.append("")
    return "\n".join(lines)


def as_json(verdict: Verdict, old_label: str, new_label: str) -> str:
    """The same content as JSON."""
    return json.dumps(
        {
            "old": old_label,
            "new": new_label,
            "verdict": verdict.category,
            "bump": str(verdict.bump),
            "breaks_clients": verdict.breaks_clients,
            "breaks_servers": verdict.breaks_servers,
            "old_version": verdict.old_version,
            "new_version": verdict.new_version,
            "version_ok": verdict.version_ok,
            "suggested_version": verdict.suggested_version,
            "changes": [
                {
                    "rule": c.rule,
                    "where": c.where,
                    "change": c.text,
                    "class": c.category,
                    "breaks": sorted(a.value for a in c.breaks),
                    "bump": str(c.bump),
                }
                for c in verdict.changes
            ],
        },
        indent=2,
        ensure_ascii=False,
    )
