"""Host patterns: a domain blocks itself and its subdomains; '*' stands for part of one label."""

from __future__ import annotations

from functools import lru_cache
import re

_LABEL = re.compile(r"^(?!-)[a-z0-9*-]{1,63}(?<!-)$")
# The longest host name DNS carries (RFC 1035: 255 bytes on the wire, 253 written).
MAX_HOST = 253
# Second-level labels that countries use as public zones (co.uk, com.au, ac.jp, or.kr).
GENERIC_SECOND = frozenset(
    {
        "ac",
        "co",
        "com",
        "edu",
        "go",
        "gob",
        "gov",
        "gv",
        "ltd",
        "ne",
        "net",
        "nic",
        "or",
        "org",
        "plc",
    }
)
COUNTRY_CODE = 2  # letters of a country's top-level domain
MIN_LABELS = 2  # a name and its zone: "com" alone is not a host


def normalize_pattern(text: str) -> str:
    """Return the canonical form of a host pattern, or raise ValueError."""
    pattern = text.strip().lower().rstrip(".")
    pattern = pattern.removeprefix("*.")  # "*.example.com" means example.com and below
    labels = pattern.split(".")
    if (
        len(pattern) > MAX_HOST
        or len(labels) < MIN_LABELS
        or not all(_LABEL.match(label) for label in labels)
    ):
        raise ValueError(f"{text!r} is not a host name such as example.com")
    if "*" in labels[-1] or labels[-1].isdigit():
        raise ValueError(f"{text!r} is not a host name such as example.com")
    # A label that is only "*" (after the one leading "*." above) and a wildcard in the
    # domain under the top-level domain would widen the block past one domain:
    # "*.*.com" would block every .com, "a*.com" every .com starting with "a".
    if "*" in labels or "*" in labels[-2]:
        raise ValueError(f"{text!r} is not a host name such as example.com")
    # A country's public zone ("co.uk", "com.au") is no one's domain: blocking it would
    # block a country's worth of sites for the device.
    country = len(labels[-1]) == COUNTRY_CODE
    if len(labels) == MIN_LABELS and country and labels[0] in GENERIC_SECOND:
        raise ValueError(f"{text!r} is a public zone, not a domain")
    return pattern


@lru_cache(maxsize=4096)
def pattern_regex(pattern: str) -> str:
    """Return a regular expression matching pattern and its subdomains (Pi-hole syntax)."""
    return r"(^|\.)" + re.escape(pattern).replace(r"\*", "[^.]*") + "$"


@lru_cache(maxsize=4096)
def _compiled(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern_regex(pattern))


def matches(domain: str, pattern: str) -> bool:
    """Whether a queried domain is covered by pattern."""
    return _compiled(pattern).search(domain.lower().rstrip(".")) is not None


def sample_host(pattern: str) -> str:
    """Return a concrete host name the pattern blocks, to verify a rule with."""
    return pattern.replace("*", "na")


def minimize(patterns: set[str]) -> list[str]:
    """Drop patterns another pattern already covers; return them sorted."""
    kept = [p for p in patterns if not any(q != p and matches(sample_host(p), q) for q in patterns)]
    return sorted(kept)
