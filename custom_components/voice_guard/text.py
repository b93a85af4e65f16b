"""Text checks both halves use: no Home Assistant import, so the libraries may use them too."""

from __future__ import annotations

import unicodedata


def printable(text: str) -> bool:
    """Whether text has no control characters (line breaks among them) to smuggle a rule in."""
    return not any(unicodedata.category(c) in ("Cc", "Zl", "Zp") for c in text)
