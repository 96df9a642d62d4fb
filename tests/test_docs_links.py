"""Every relative link of the README and the docs/ pages leads somewhere: the file is in the
repository and the `#anchor`, when there is one, is a heading of that page (GitHub's slugs)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.conftest import REPO

PAGES = [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]
LINK = re.compile(r"\]\(([^)\s]+)\)")
FENCE = re.compile(r"^```.*?^```", re.MULTILINE | re.DOTALL)


def _slugs(page: Path) -> set[str]:
    """The anchors GitHub gives the page's headings (code blocks left out)."""
    text = FENCE.sub("", page.read_text(encoding="utf-8"))
    titles = re.findall(r"^#{1,6} (.+)$", text, re.MULTILINE)
    return {re.sub(r"[^\w\- ]", "", title.strip().lower()).replace(" ", "-") for title in titles}


def _links() -> list[tuple[Path, str]]:
    return [
        (page, target)
        for page in PAGES
        for target in LINK.findall(FENCE.sub("", page.read_text(encoding="utf-8")))
        if not re.match(r"[a-z]+:", target)
    ]


def test_the_readme_links_every_docs_page() -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    assert PAGES[1:], "no docs/ page"
    for page in PAGES[1:]:
        assert f"](docs/{page.name})" in readme, page.name


@pytest.mark.parametrize(("page", "target"), _links(), ids=lambda v: v if isinstance(v, str) else v.name)
def test_a_relative_link_leads_to_a_file_and_a_heading(page: Path, target: str) -> None:
    path, _, anchor = target.partition("#")
    linked = (page.parent / path).resolve() if path else page
    assert linked.exists(), f"{page.name}: {target}"
    if anchor and linked.suffix == ".md":
        assert anchor in _slugs(linked), f"{page.name}: {target}"
