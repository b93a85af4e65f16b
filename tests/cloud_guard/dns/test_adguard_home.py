"""The AdGuard Home client against a fake that follows AdGuard Home's source.

Rule priority, $client forms, dropped rules, null lists, and the user's rules in
Voice Guard's block (../shared/notes/adguard-home-source.md).
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import aiohttp
import pytest

from custom_components.voice_guard.cloud_guard.dns.filters.adguard_home import (
    BEGIN,
    END,
    AdGuardHome,
)
from custom_components.voice_guard.cloud_guard.dns.policy import Block

from ...fakes.adguard_home import FakeAdGuardHome
from .conftest import echo, policy

ECHO = "192.168.1.20"
VOICE = "avs-alexa-na.amazon.com"


@pytest.fixture
async def adguard(socket_enabled: None) -> AsyncIterator[FakeAdGuardHome]:
    """A fake AdGuard Home with nothing configured: every list is null."""
    fake = FakeAdGuardHome()
    async with fake.serve():
        yield fake


@pytest.fixture
def client(adguard: FakeAdGuardHome, session: aiohttp.ClientSession) -> AdGuardHome:
    """Voice Guard's client for it."""
    return AdGuardHome(session, adguard.url, "admin", "secret")


async def test_null_lists_are_empty_lists(adguard: FakeAdGuardHome, client: AdGuardHome) -> None:
    """user_rules, clients and auto_clients are null in a fresh AdGuard Home."""
    wanted = [policy(echo(), Block.VOICE)]
    assert await client.clients() == []
    assert (await client.reconcile(wanted)).writes == 1
    assert all((await client.verify(wanted))["dev001"].values())
    await client.reconcile([])
    assert adguard.user_rules == []


@pytest.mark.parametrize(
    ("user_rule", "blocked"),
    [
        ("@@||amazon.com^", False),  # an exception outranks our block
        ("@@||amazon.com^$client=192.168.1.20", False),
        ("||amazon.com^", True),  # a basic block: ours (the $client rule) is reported
        ("@@||amazon.com^$important", False),
        ("@@||amazon.com^$client=192.168.1.0/24", False),  # a CIDR covers the device
        ("@@||amazon.com^$client=~192.168.1.20", True),  # negated: everyone but the device
        ("@@||amazon.com^$unknownmodifier", True),  # an unknown modifier drops the rule
    ],
)
async def test_the_users_rules_can_cancel_ours_and_verify_says_so(
    adguard: FakeAdGuardHome,
    client: AdGuardHome,
    user_rule: str,
    blocked: bool,
) -> None:
    wanted = [policy(echo(), Block.VOICE)]
    adguard.user_rules = [user_rule]
    await client.reconcile(wanted)
    reason = adguard.query(ECHO, VOICE)
    assert (reason == "FilteredBlackList") is blocked
    assert (await client.verify(wanted))["dev001"]["avs-alexa-*.amazon.com"] is blocked
    # An exception rule of the user's that lets the host through is named as the cause.
    allowed = user_rule.startswith("@@") and not blocked
    assert client.user_allows == (
        {"dev001": {"avs-alexa-*.amazon.com": user_rule}} if allowed else {}
    )
    assert adguard.user_rules[0] == user_rule  # the user's rule is kept, first


async def test_an_important_rule_of_the_user_is_the_one_reported(
    adguard: FakeAdGuardHome, client: AdGuardHome
) -> None:
    """Only one rule is reported: ours is not confirmed where another rule won."""
    adguard.user_rules = ["||amazon.com^$important"]
    wanted = [policy(echo(), Block.VOICE)]
    await client.reconcile(wanted)
    assert adguard.query(ECHO, VOICE) == "FilteredBlackList"
    assert not (await client.verify(wanted))["dev001"]["avs-alexa-*.amazon.com"]


async def test_a_dns_allowlist_wins_over_every_rule(
    adguard: FakeAdGuardHome, client: AdGuardHome
) -> None:
    adguard.dns_allowlist = ["amazon.com"]
    wanted = [policy(echo(), Block.VOICE)]
    await client.reconcile(wanted)
    assert adguard.query(ECHO, VOICE) == "NotFilteredWhiteList"
    assert not (await client.verify(wanted))["dev001"]["avs-alexa-*.amazon.com"]


async def test_rules_of_our_shape_typed_into_our_block_are_moved_out(
    adguard: FakeAdGuardHome, session: aiohttp.ClientSession, client: AdGuardHome
) -> None:
    """A user rule that looks like one of ours is theirs: kept, out of the block, for ever."""
    wanted = [policy(echo(), Block.VOICE)]
    await client.reconcile(wanted)
    theirs = "||netflix.com^$client=192.168.1.60"
    adguard.user_rules.insert(adguard.user_rules.index(END), theirs)
    await client.reconcile(wanted)
    assert adguard.user_rules.index(theirs) < adguard.user_rules.index(BEGIN)
    assert adguard.query("192.168.1.60", "www.netflix.com") == "FilteredBlackList"

    # After a restart the client knows what it wrote from Home Assistant's store.
    adguard.user_rules.insert(adguard.user_rules.index(END), "||hulu.com^$client=192.168.1.61")
    restarted = AdGuardHome(session, adguard.url, "admin", "secret")
    restarted.remember(client.memory)
    await restarted.reconcile(wanted)
    assert adguard.user_rules.index("||hulu.com^$client=192.168.1.61") < (
        adguard.user_rules.index(BEGIN)
    )
    await restarted.reconcile([])
    assert adguard.user_rules == [theirs, "||hulu.com^$client=192.168.1.61"]
    assert BEGIN not in adguard.user_rules


async def test_a_write_follows_the_read_at_once(
    adguard: FakeAdGuardHome, client: AdGuardHome
) -> None:
    """No compare-and-set exists: the list is written right after the read it merged."""
    wanted = [policy(echo(), Block.VOICE)]
    seen: list[tuple[str, str]] = []
    adguard.before = lambda method, path: seen.append((method, path))
    await client.reconcile(wanted)
    rules = [r for r in seen if "filtering" in r[1]]
    assert rules == [
        ("GET", "/control/filtering/status"),
        ("POST", "/control/filtering/set_rules"),
        ("GET", "/control/filtering/status"),  # read back: did it take?
    ]
