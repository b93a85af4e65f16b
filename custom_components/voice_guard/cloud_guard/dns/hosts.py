"""Host patterns: a domain blocks itself and its subdomains; '*' stands for part of one label.

What is a domain and what is a public zone comes from the Public Suffix List, bundled
with the publicsuffixlist package (no network at run time): a name under which others
register — a country's zone (co.uk), a cloud's shared domain (github.io,
s3.amazonaws.com) — is no one's domain, so it is never blocked as one. Names in another
script are IDNA 2008 (the idna package): invalid punycode is refused.
"""

from __future__ import annotations

from functools import lru_cache
import re

import idna
from publicsuffixlist import PublicSuffixList

_LABEL = re.compile(r"^(?!-)[a-z0-9*-]{1,63}(?<!-)$")
# The longest host name DNS carries (RFC 1035: 255 bytes on the wire, 253 written).
MAX_HOST = 253
MIN_LABELS = 2  # a name and its zone: "com" alone is not a host
# Read once, when the module is imported (Home Assistant imports in an executor).
_PSL = PublicSuffixList()
_ICANN = PublicSuffixList(only_icann=True)  # countries' and registries' zones only
# Reverse zones and the home's own zone (.arpa) are no cloud's hosts.
NOT_CLOUD = frozenset({"arpa"})


def _ascii(label: str, text: str) -> str:
    """Return a label as DNS carries it: punycode checked by IDNA 2008, or refuse it."""
    if label.isascii():
        if label.startswith("xn--"):
            try:
                idna.decode(label)
            except idna.IDNAError as err:
                raise ValueError(f"{text!r} holds an invalid international name") from err
        return label
    try:
        return idna.encode(label, uts46=True).decode("ascii")
    except idna.IDNAError as err:
        raise ValueError(f"{text!r} holds an invalid international name") from err


def normalize_pattern(text: str, *, vendor: bool = False) -> str:
    """Return the canonical form of a host pattern, or raise ValueError.

    One leading "*." is allowed (it means the domain and below), "*" inside a label of a
    subdomain too (avs-alexa-*.amazon.com); nothing that widens a block past one
    registrable domain, no public suffix, no empty label ("example.org.."). vendor: a
    pattern of the vendor catalog, which may name a vendor's own shared domain
    (googleapis.com for Google's devices' "local only"): only countries' and
    registries' zones are refused then.
    """
    pattern = text.strip().lower()
    pattern = pattern.removesuffix(".")  # one trailing dot: the name written as absolute
    pattern = pattern.removeprefix("*.")  # "*.example.com" means example.com and below
    labels = pattern.split(".")
    if "" in labels or len(labels) < MIN_LABELS:
        raise ValueError(f"{text!r} is not a host name such as example.com")
    labels = [label if "*" in label else _ascii(label, text) for label in labels]
    pattern = ".".join(labels)
    if len(pattern) > MAX_HOST or not all(_LABEL.match(label) for label in labels):
        raise ValueError(f"{text!r} is not a host name such as example.com")
    if labels[-1].isdigit() or labels[-1] in NOT_CLOUD:
        raise ValueError(f"{text!r} is not a host name such as example.com")
    if any(label == "*" or "**" in label for label in labels):
        raise ValueError(f"{text!r} is not a host name such as example.com")
    # The wildcard must stay below the registrable domain: "a*.com" would block every
    # .com starting with "a", "*.s3.amazonaws.com" everyone's buckets.
    sample = pattern.replace("*", "x")
    domain = _ICANN.privatesuffix(sample) if vendor else registrable_domain(sample)
    if domain is None:
        raise ValueError(f"{text!r} is a public zone, not a domain")
    if "*" in ".".join(labels[-len(domain.split(".")) :]):
        raise ValueError(f"{text!r} is not a host name such as example.com")
    return pattern


def registrable_domain(host: str) -> str | None:
    """Return the domain a host belongs to by the Public Suffix List (None for a suffix).

    "avs-alexa-eu.amazon.com" -> "amazon.com", "www.bbc.co.uk" -> "bbc.co.uk",
    "me.github.io" -> "me.github.io" (github.io is a shared suffix), "co.uk" -> None.
    """
    found: str | None = _PSL.privatesuffix(host.lower().rstrip("."))
    return found


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
