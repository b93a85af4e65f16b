"""Nothing a user types becomes a filter rule unchecked (AdGuard Home's rule list)."""

from __future__ import annotations

from dataclasses import replace
import itertools

import aiohttp
import pytest

from custom_components.voice_guard.cloud_guard.dns.filters import adguard_home as adguard_module
from custom_components.voice_guard.cloud_guard.dns.filters.adguard_home import (
    BEGIN,
    END,
    AdGuardHome,
    is_our_rule,
    render_block,
    rule_for,
    split_rules,
)
from custom_components.voice_guard.cloud_guard.dns.filters.base import is_ip, normalize_ip
from custom_components.voice_guard.cloud_guard.dns.hosts import (
    matches,
    normalize_pattern,
    sample_host,
)
from custom_components.voice_guard.cloud_guard.dns.policy import Block
from custom_components.voice_guard.text import printable

from ...fakes.adguard_home import FakeAdGuardHome
from .conftest import echo, policy


def test_a_name_with_a_line_break_stays_a_comment() -> None:
    """A device name cannot add a line, and so no rule, to the rule list."""
    device = replace(echo(), name="Kitchen\n||example.com^\r\n@@||amazon.com^")
    block = render_block([policy(device, Block.VOICE)])
    assert not any(line.startswith(("||example.com", "@@")) for line in block)
    assert all("\n" not in line and "\r" not in line for line in block)
    assert sum(line.startswith("!") for line in block) == 3  # begin, device, end


@pytest.mark.parametrize(
    ("typed", "stored"),
    [("192.168.1.20", "192.168.1.20"), (" fe80::1%eth0 ", "fe80::1"), ("FE80::0:1", "fe80::1")],
)
def test_addresses_are_normalised_at_input(typed: str, stored: str) -> None:
    """The scope of a link-local IPv6 address is dropped; the form is canonical."""
    assert normalize_ip(typed) == stored
    assert is_ip(stored)


@pytest.mark.parametrize("value", ["fe80::1%eth0", "FE80::1", "192.168.001.020", "aa:bb"])
def test_what_is_no_canonical_ip_is_not_written_as_one(value: str) -> None:
    """The library never writes a scoped or non-canonical address into a rule."""
    assert not is_ip(value)


def test_our_rules_are_recognised_by_the_code_that_writes_them() -> None:
    """Exactly the lines rule_for writes count as ours; near misses are the user's."""
    ours = rule_for("avs-alexa-na.amazon.com", ["192.168.1.20", "fd00::20"])
    assert is_our_rule(ours)
    named = rule_for("avs-alexa-na.amazon.com", ["192.168.1.20"], ["Kitchen 'Echo'|2"])
    assert named == r"||avs-alexa-na.amazon.com^$client=192.168.1.20|'Kitchen \'Echo\'\|2'"
    assert is_our_rule(named)
    for theirs in (
        "||avs-alexa-na.amazon.com^$client=fe80::1%eth0",
        '||avs-alexa-na.amazon.com^$client="Kitchen Echo"',
        "||avs-alexa-na.amazon.com^$client='Kitchen|Echo'",
        "||avs-alexa-na.amazon.com^$client='Kitchen Echo",
        "||Example.com^$client=192.168.1.20",
        "||example.com^$client=192.168.1.20,important",
        "@@||example.com^$client=192.168.1.20",
    ):
        assert not is_our_rule(theirs), theirs


async def test_a_scoped_ipv6_device_does_not_grow_the_rule_list(
    adguard: FakeAdGuardHome, session: aiohttp.ClientSession
) -> None:
    """Stored before validation existed: no rule, and nothing grows from poll to poll."""
    client = AdGuardHome(session, adguard.url, "admin", "secret")
    scoped = replace(echo(), ips=("fe80::1%eth0", "192.168.1.20"))
    for _ in range(3):
        await client.reconcile([policy(scoped, Block.VOICE)])
    rules = list(adguard.user_rules)
    await client.reconcile([policy(scoped, Block.VOICE)])
    assert adguard.user_rules == rules
    assert not any("%" in rule for rule in rules)
    assert adguard.query("192.168.1.20", "avs-alexa-na.amazon.com") == "FilteredBlackList"
    await client.reconcile([])
    assert adguard.user_rules == ["||ads.example.com^"]
    await client.close()


def test_printable() -> None:
    """Line breaks of every kind and other controls are refused."""
    assert printable("Küche Echo 2")
    for bad in ("a\nb", "a\rb", "a\x00b", "a\u2028b", "a\x85b", "tab\there"):
        assert not printable(bad), repr(bad)


def test_a_user_rule_inside_the_block_that_is_not_ours_is_moved_out() -> None:
    """A rule of another shape typed inside the block survives (moved after it)."""
    block = render_block([policy(echo(), Block.VOICE)])
    user = "@@||avs-alexa-na.amazon.com^$client=192.168.1.20"
    theirs, ours = split_rules(["||ads.example.com^", *block[:-1], user, block[-1]])
    assert theirs == ["||ads.example.com^", user]
    assert user not in ours


async def test_a_check_right_after_a_write_is_asked_again(
    adguard: FakeAdGuardHome, session: aiohttp.ClientSession
) -> None:
    """AdGuard Home rebuilds its engine after set_rules: a first "no" is not kept."""
    adguard.rebuild_later = True
    client = AdGuardHome(session, adguard.url, "admin", "secret")
    device = echo()
    await client.reconcile([policy(device, Block.VOICE)])
    first = await client.verify([policy(device, Block.VOICE)])
    assert not any(first[device.device_id].values())  # the engine still has the old rules
    adguard.rebuild()
    again = await client.verify([policy(device, Block.VOICE)])
    assert all(again[device.device_id].values())
    await client.close()


async def test_a_confirmation_expires_when_something_else_cancels_the_rule(
    adguard: FakeAdGuardHome, session: aiohttp.ClientSession, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An allowlist (no change to the custom rules) cancels the block: seen within minutes."""
    client = AdGuardHome(session, adguard.url, "admin", "secret")
    device = echo()
    await client.reconcile([policy(device, Block.VOICE)])
    assert all((await client.verify([policy(device, Block.VOICE)]))[device.device_id].values())
    adguard.dns_allowlist = ["amazon.com", "a2z.com"]
    later = adguard_module.time.monotonic() + adguard_module.CONFIRM_TTL + 1
    monkeypatch.setattr(adguard_module.time, "monotonic", lambda: later)
    states = (await client.verify([policy(device, Block.VOICE)]))[device.device_id]
    assert not any(states.values())  # the allowlist covers every voice host
    await client.close()


async def test_check_host_forces_protection_on(
    adguard: FakeAdGuardHome, session: aiohttp.ClientSession
) -> None:
    """check_host says "blocked" while protection is paused: verify asks the status too."""
    client = AdGuardHome(session, adguard.url, "admin", "secret")
    device = echo()
    await client.reconcile([policy(device, Block.VOICE)])
    adguard.protection_enabled = False
    states = (await client.verify([policy(device, Block.VOICE)]))[device.device_id]
    assert not any(states.values())
    assert adguard.evaluate("avs-alexa-na.amazon.com", device.ips[0], forced=True)[0] == (
        "FilteredBlackList"
    )
    await client.close()


# Label shapes a user can type, the odd ones included; every combination is tried.
_LABELS = (
    "a",
    "echo-1",
    "*",
    "a*",
    "*a",
    "a*b",
    "**",
    "123",
    "-a",
    "a-",
    "x" * 63,
    "x" * 64,
    "A",
    "",
)
_TLDS = ("com", "co", "uk", "c*m", "*", "1", "amazon")
_PUBLIC_ZONES = ("co.uk", "*.co.uk", "com.au", "ac.jp", "or.kr", "*.com.br.")


def _typed_patterns() -> list[str]:
    typed = []
    for first, second in itertools.product(_LABELS, repeat=2):
        for tld in _TLDS:
            for prefix, suffix in (("", ""), ("*.", ""), ("", "."), (" *.", ". ")):
                typed.append(f"{prefix}{first}.{second}.{tld}{suffix}")
                typed.append(f"{prefix}{second}.{tld}{suffix}")
    return sorted(set(typed))


def test_every_accepted_pattern_round_trips_and_stays_inside_one_domain() -> None:
    """Every combination of label shapes: what is accepted round-trips and stays in a domain.

    Accepted patterns are written and read back as Voice Guard's by the same code, and
    never block past the domain under their zone.
    """
    accepted = 0
    names = ["Kitchen 'Echo'|2"]
    for typed in _typed_patterns():
        try:
            pattern = normalize_pattern(typed)
        except ValueError:
            continue
        accepted += 1
        assert normalize_pattern(pattern) == pattern, typed  # canonical: stable
        for ips in (["192.168.1.20"], ["192.168.1.20", "fd00::20"]):
            line = rule_for(pattern, ips, names)
            assert is_our_rule(line), (typed, line)
            # Recognised by memory anywhere, and by its shape inside the block.
            for rules, known in (([line], {line}), ([BEGIN, line, END], None)):
                theirs, ours = split_rules(["||user.example^", *rules], known)
                assert (theirs, ours) == (["||user.example^"], [line]), typed
        # The zone and the name under it are literal: nothing else in the zone is blocked.
        zone, domain = pattern.split(".")[-1], pattern.split(".")[-2]
        assert "*" not in zone, typed
        assert "*" not in domain, typed
        assert not matches(f"unrelated-name.{zone}", pattern), typed
        assert matches(sample_host(pattern), pattern), typed
    assert accepted > 100  # the space holds many valid patterns, not only refusals
    for zone in _PUBLIC_ZONES:
        with pytest.raises(ValueError, match="public zone"):
            normalize_pattern(zone)
    assert normalize_pattern("amazon.co.uk") == "amazon.co.uk"


@pytest.mark.parametrize(
    "typed",
    [
        "github.io",  # others register under it (the Public Suffix List's private part)
        "s3.amazonaws.com",
        "*.github.io",
        "in-addr.arpa",  # reverse zones and the home's own zone are no cloud
        "home.arpa",
        "nas.home.arpa",
        "**.example.com",  # one leading "*." at most
        "*.*.example.com",
        "a**b.example.com",
        "xn--zz.example.com",  # invalid punycode (IDNA 2008)
        "example.org..",  # an empty label is refused, not normalised away
        "a..example.org",
        "x*.co.uk",  # a wildcard in the registrable label under a country's zone
    ],
)
def test_public_zones_wildcards_and_broken_names_are_refused(typed: str) -> None:
    """The probe's cases of 2026-12-07: each was accepted before."""
    with pytest.raises(ValueError, match=r"not a host name|public zone|international"):
        normalize_pattern(typed)


@pytest.mark.parametrize(
    ("typed", "canonical"),
    [
        ("me.github.io", "me.github.io"),  # one user's site under a shared suffix
        ("bücher.example", "xn--bcher-kva.example"),  # international names as DNS has them
        ("xn--bcher-kva.example", "xn--bcher-kva.example"),
        ("Example.ORG.", "example.org"),  # one trailing dot: the absolute name
        ("avs-alexa-*.amazon.co.uk", "avs-alexa-*.amazon.co.uk"),
    ],
)
def test_names_are_taken_as_dns_carries_them(typed: str, canonical: str) -> None:
    assert normalize_pattern(typed) == canonical


def test_the_vendor_catalog_may_name_a_vendors_shared_domain() -> None:
    """googleapis.com is a shared suffix, but Google's own: its devices' "local only"."""
    with pytest.raises(ValueError, match="public zone"):
        normalize_pattern("googleapis.com")
    assert normalize_pattern("googleapis.com", vendor=True) == "googleapis.com"
    with pytest.raises(ValueError, match="public zone"):
        normalize_pattern("co.uk", vendor=True)


@pytest.mark.parametrize(
    ("host", "domain"),
    [
        ("avs-alexa-eu.amazon.com", "amazon.com"),
        ("www.bbc.co.uk", "bbc.co.uk"),
        ("a.me.github.io", "me.github.io"),
        ("bucket.s3.amazonaws.com", "bucket.s3.amazonaws.com"),
    ],
)
def test_the_inventory_groups_by_the_registrable_domain(host: str, domain: str) -> None:
    from custom_components.voice_guard.cloud_guard.destinations import (  # noqa: PLC0415
        registrable_domain,
    )

    assert registrable_domain(host) == domain
