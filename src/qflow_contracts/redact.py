"""Masking credentials in everything the suite writes (contract rule 12).

A header value can reach text in many encodings: as sent, after its auth scheme (`Bearer xyz`
→ `xyz`), JSON-escaped, XML/HTML-escaped, URL-encoded, base64 (and, for `Basic`, decoded).
`Masker` replaces every one of them, longest first, and then any fragment of one that text cut
short at a display limit left at the edge of a cut. Mask before truncating; masking after is the
second line of defence, not the first.
"""

from __future__ import annotations

import base64
import binascii
import html
import json
import re
import urllib.parse
from collections.abc import Iterable

MASK = "***"
MIN_SECRET = 6
"""Shorter values cannot be masked without mangling the output (`X-Api-Key: 1` would mask every 1)."""
FRAGMENT = 4
"""The shortest piece of a secret, at the edge of a cut, that is masked too."""
CUTS = ("...", "…", "[truncated]")
SCHEMES = ("bearer", "basic", "token", "apikey", "api-key", "digest", "negotiate", "sharedaccesssignature")


def pieces(value: str) -> list[str]:
    """The parts of a header value that are secret: the value, and what follows its auth scheme
    (for `Basic`, also the decoded `user:password` and each half)."""
    value = value.strip()
    found = [value] if value else []
    scheme, _, rest = value.partition(" ")
    rest = rest.strip()
    if rest and (scheme.lower() in SCHEMES or scheme.isalpha()):
        found.append(rest)
        if scheme.lower() == "basic":
            try:
                decoded = base64.b64decode(rest, validate=True).decode("utf-8")
            except (binascii.Error, UnicodeDecodeError):
                decoded = ""
            if decoded:
                found.append(decoded)
                found += [half for half in decoded.split(":", 1) if half]
    return found


def encodings(secret: str) -> set[str]:
    """Every form `secret` takes in text the suite may write."""
    forms = {
        secret,
        json.dumps(secret)[1:-1],
        json.dumps(secret, ensure_ascii=False)[1:-1],
        html.escape(secret, quote=True),
        html.escape(secret, quote=False),
        html.escape(secret, quote=True).replace("&#x27;", "&apos;"),
        html.escape(secret, quote=True).replace("&#x27;", "&#39;"),
        urllib.parse.quote(secret, safe=""),
        urllib.parse.quote_plus(secret, safe=""),
        urllib.parse.quote(secret),
        repr(secret)[1:-1],
        base64.b64encode(secret.encode("utf-8")).decode("ascii"),
        base64.urlsafe_b64encode(secret.encode("utf-8")).decode("ascii"),
    }
    forms |= {form.rstrip("=") for form in forms}
    return {form for form in forms if len(form) >= FRAGMENT}


class Masker:
    """Replaces every encoding of every secret in a text by `***`."""

    def __init__(self, values: Iterable[str]) -> None:
        secrets = {piece for value in values for piece in pieces(value) if len(piece) >= FRAGMENT}
        forms = sorted({form for secret in secrets for form in encodings(secret)}, key=len, reverse=True)
        # a cut leaves a fragment of the token, never of `Bearer token` (its start is the scheme)
        cut = sorted({f for s in secrets if " " not in s for f in encodings(s)}, key=len, reverse=True)
        self.forms = tuple(forms)
        self._whole = (
            re.compile("|".join(re.escape(form) for form in forms), re.IGNORECASE) if forms else None
        )
        after = "(?=" + "|".join(map(re.escape, CUTS)) + ")"
        before = "(?:" + "|".join(f"(?<={re.escape(c)})" for c in CUTS) + ")"
        edges: list[str] = []
        for form in cut:
            for size in range(len(form) - 1, FRAGMENT - 1, -1):
                edges.append(re.escape(form[:size]) + after)
                edges.append(before + re.escape(form[-size:]))
        self._edges = re.compile("|".join(edges), re.IGNORECASE) if edges else None

    def __call__(self, text: str) -> str:
        if self._whole is None:
            return text
        text = self._whole.sub(MASK, text)
        if self._edges is not None:
            text = self._edges.sub(MASK, text)
        return text


def too_short(value: str) -> str | None:
    """The secret piece of `value` under MIN_SECRET characters, if any (it cannot be masked)."""
    for piece in pieces(value)[:2]:
        if len(piece) < MIN_SECRET:
            return piece
    return None if value.strip() else value
