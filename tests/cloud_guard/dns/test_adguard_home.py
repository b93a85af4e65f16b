"""The AdGuard Home client against a fake that follows AdGuard Home's source.

Rule priority, $client forms, dropped rules, null lists, and the user's rules in
Voice Guard's block (../shared/notes/adguard-home-source.md).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import aiohttp
import pytest

from custom_components.voice_guard.cloud_guard.dns.catalog import DeviceType
from custom_components.voice_guard.cloud_guard.dns.filters.adguard_home import (
    BEGIN,
    END,
    AdGuardHome,
)
from custom_components.voice_guard.cloud_guard.dns.policy import Block, GuardedDevice

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


MAC = "f0:27:2d:11:22:33"
PHONE = "aa:bb:cc:00:00:01"


def _rule_clients(adguard: FakeAdGuardHome) -> str:
    """The $client part of the voice rule Voice Guard wrote."""
    (rule,) = (r for r in adguard.user_rules if VOICE.split(".", 1)[1] in r and "$client" in r)
    return rule.split("$client=", 1)[1]


@pytest.mark.parametrize(
    ("leases", "expected"),
    [
        # DHCPv4 and DHCPv6 leases of the Echo's MAC: both addresses guarded.
        ([(MAC, ECHO, {}), (MAC, "fd00::20", {})], [ECHO, "fd00::20"]),
        # A lease that ended: the address may be anyone's now.
        ([(MAC, ECHO, {}), (MAC, "fd00::20", {"expired": True})], [ECHO]),
        # A static lease of the MAC counts like a dynamic one.
        ([(MAC, ECHO, {"static": True}), (MAC, "fd00::20", {"static": True})], [ECHO, "fd00::20"]),
        # Another device's lease is not the Echo's.
        ([(MAC, ECHO, {}), (PHONE, "fd00::99", {})], [ECHO]),
        # The DHCP server is switched off: its old leases tell nothing.
        ([(MAC, ECHO, {}), (MAC, "fd00::20", {"off": True})], [ECHO]),
    ],
    ids=["v4 and v6 leases", "an expired lease", "static leases", "a phone's lease", "dhcp off"],
)
async def test_the_dhcp_servers_leases_give_the_device_its_other_addresses(
    adguard: FakeAdGuardHome,
    client: AdGuardHome,
    leases: list[tuple[str, str, dict[str, bool]]],
    expected: list[str],
) -> None:
    """An Echo typed by its IPv4 is guarded on every address leased to its MAC."""
    for mac, ip, how in leases:
        ended = datetime.now(UTC) - timedelta(minutes=1) if how.get("expired") else None
        adguard.lease(mac, ip, static=how.get("static", False), expires=ended)
        if how.get("off"):
            adguard.dhcp_enabled = False
    wanted = [policy(echo(), Block.VOICE)]
    result = await client.reconcile(wanted)
    assert _rule_clients(adguard).split("|") == expected
    assert set(result.clients["dev001"]) == set(expected)  # our own write, no removal


async def test_a_filter_without_a_dhcp_server_answers_an_error_and_nothing_breaks(
    adguard: FakeAdGuardHome, client: AdGuardHome
) -> None:
    """AdGuard Home on a platform without DHCP answers dhcp/status with an error: typed only."""
    adguard.lease(MAC, "fd00::20")
    adguard.dhcp_supported = False
    wanted = [policy(echo(), Block.VOICE)]
    await client.reconcile(wanted)
    assert _rule_clients(adguard) == ECHO
    assert all((await client.verify(wanted))["dev001"].values())


async def test_a_device_known_by_its_mac_alone_gets_its_leased_addresses(
    adguard: FakeAdGuardHome, client: AdGuardHome
) -> None:
    """No address typed: the MAC's leases are the device's, unless another device's too."""
    adguard.lease(MAC, ECHO)
    device = GuardedDevice("dev001", "Echo 1", DeviceType.ECHO_DOT, macs=(MAC,))
    await client.reconcile([policy(device, Block.VOICE)])
    assert _rule_clients(adguard) == ECHO
    other = GuardedDevice("dev002", "Echo 2", DeviceType.ECHO_DOT, ips=(ECHO,))  # typed there
    result = await client.reconcile([policy(device, Block.VOICE), policy(other, Block.VOICE)])
    assert "dev001" in result.conflicts  # no address of its own: nothing to write for it
