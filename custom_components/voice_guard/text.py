"""Text checks both halves use: no Home Assistant import, so the libraries may use them too."""

from __future__ import annotations

import re
import unicodedata

# A BCP 47 language tag as Home Assistant uses them ("ko", "de-CH", "zh-Hant-TW"): letters,
# digits, '-' or '_'; never a path, a control character or 10,000 characters.
_LANGUAGE_TAG = re.compile(r"^[a-z]{2,3}(?:[-_][A-Za-z0-9]{1,8}){0,3}$")
MAX_LANGUAGE_TAG = 35


def printable(text: str) -> bool:
    """Whether text has no control characters (line breaks among them) to smuggle a rule in."""
    return not any(unicodedata.category(c) in ("Cc", "Zl", "Zp") for c in text)


def is_language_tag(value: object) -> bool:
    """Whether value is a language tag (see _LANGUAGE_TAG)."""
    return (
        isinstance(value, str)
        and len(value) <= MAX_LANGUAGE_TAG
        and _LANGUAGE_TAG.match(value) is not None
    )


def language_tag(value: object) -> str:
    """Return value if it is a language tag; ValueError otherwise (a schema's validator)."""
    if not is_language_tag(value):
        raise ValueError("not a language tag")
    return str(value)
