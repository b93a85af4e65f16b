"""What really happens to a device's lookups, per the 2026-12-03 notes, and how the clients read it.

Each test drives a filter client against a fake that answers as the notes say the real
filter does (../shared/notes/pihole-v6-real.md, adguard-home-source.md): the ways a proof
built from rules alone goes wrong, and what the clients now report instead.
"""

from __future__ import annotations

from collections.abc import Awaitable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
import time
from unittest.mock import patch

import aiohttp
import pytest

from custom_components.voice_guard.cloud_guard.dns.filters.adguard_home import (
    BEGIN,
    END,
    AdGuardHome,
    render_block,
    rule_for,
)
from custom_components.voice_guard.cloud_guard.dns.filters.base import (
    FilterConnectionError,
    FilterResponseError,
)
from custom_components.voice_guard.cloud_guard.dns.filters.pihole import PiHole
from custom_components.voice_guard.cloud_guard.dns.policy import Block, DevicePolicy

from ...fakes.adguard_home import FakeAdGuardHome, compile_rule
from ...fakes.pihole import FakePiHole
from .conftest import echo, policy

ECHO_IP = "192.168.1.20"
ECHO_MAC = "f0:27:2d:11:22:33"
VOICE = "avs-alexa-na.amazon.com"


def _since() -> datetime:
    return datetime.now(UTC) - timedelta(seconds=30)


# --- Pi-hole ---------------------------------------------------------------------------


async def test_pihole_mac_device_whose_address_ftl_learns_later_is_blocked(
    pihole: FakePiHole, session: aiohttp.ClientSession
) -> None:
    """FTL keeps an address in Default until a list reload; the client writes the address.

    As captured: FTL first sees the Echo's address before it knows its MAC, so the
    address stays in the Default group and guarded hosts are answered while the MAC
    client, the group and the regexes are all in place. The client puts the address the
    network table now gives the MAC into the device's group (a write: FTL reloads).
    """
    device = replace(echo(), ips=(), macs=(ECHO_MAC,))
    wanted = [policy(device, Block.VOICE)]
    client = PiHole(session, pihole.url, "secret")
    await client.reconcile(wanted)
    assert pihole.query(ECHO_IP, "www.example.com") == "FORWARDED"  # FTL decides: Default
    pihole.learn(ECHO_MAC, ECHO_IP)  # ... and learns the MAC only afterwards
    assert pihole.query(ECHO_IP, VOICE) == "FORWARDED"  # answered: not protected
    assert pihole.query(ECHO_IP, VOICE) == "CACHE"

    client.begin_update()  # the next poll
    log = await client.query_log(wanted, _since())
    assert [(q.client, q.rule, q.blocked) for q in log.answered] == [
        (ECHO_IP, "FORWARDED", False),
        (ECHO_IP, "CACHE", False),
    ]
    assert log.addresses == {"dev001": (ECHO_IP,)}

    result = await client.reconcile(wanted)
    assert result.missing == {"dev001": {"avs-alexa-*.amazon.com", "gateway.devices.a2z.com"}}
    assert pihole.query(ECHO_IP, VOICE) == "REGEX"
    assert all((await client.verify(wanted))["dev001"].values())
    await client.reconcile([])
    assert pihole.clients == []  # the address client was Voice Guard's: gone with it
    await client.close()


async def test_pihole_address_that_moved_to_another_mac_is_not_the_devices(
    pihole: FakePiHole, session: aiohttp.ClientSession
) -> None:
    """The network table saw the address with another MAC last: its lookups are not ours."""
    device = replace(echo(), macs=(ECHO_MAC,))  # 192.168.1.20 and its MAC
    pihole.learn(ECHO_MAC, ECHO_IP, time.time() - 3600)
    pihole.learn("aa:bb:cc:00:00:01", ECHO_IP)  # the phone has the address now
    pihole.learn(ECHO_MAC, "192.168.1.77")  # the Echo moved here
    wanted = [policy(device, Block.VOICE)]
    client = PiHole(session, pihole.url, "secret")
    await client.reconcile(wanted)
    pihole.query(ECHO_IP, "www.example.com")
    log = await client.query_log(wanted, _since(), find_last=["dev001"])
    assert log.addresses == {"dev001": ("192.168.1.77",)}
    assert log.last_lookup == {}
    await client.close()


async def test_pihole_allow_entry_of_the_user_is_seen_as_answered(
    pihole: FakePiHole, session: aiohttp.ClientSession
) -> None:
    """The lists say "in force"; the log says the host was answered: that is the evidence."""
    wanted = [policy(echo(), Block.VOICE)]
    client = PiHole(session, pihole.url, "secret")
    await client.reconcile(wanted)
    pihole.domains.append(
        {
            "id": 500,
            "domain": VOICE,
            "type": "allow",
            "kind": "exact",
            "comment": "mine",
            "groups": [0],
            "enabled": True,
        }
    )
    assert all((await client.verify(wanted))["dev001"].values())  # our rules are in place
    assert client.user_allows == {"dev001": {"avs-alexa-*.amazon.com": VOICE}}  # and lose
    assert pihole.query(ECHO_IP, VOICE) == "FORWARDED"
    log = await client.query_log(wanted, _since())
    assert [q.host for q in log.answered] == [VOICE]
    assert log.blocked == []
    await client.close()


# --- AdGuard Home ------------------------------------------------------------------------


def _adguard(fake: FakeAdGuardHome, session: aiohttp.ClientSession) -> AdGuardHome:
    return AdGuardHome(session, fake.url, "admin", "secret")


@pytest.mark.parametrize(
    "ids",
    [
        ["192.168.1.0/24"],  # a subnet
        [ECHO_IP, "192.168.1.50"],  # two devices' IPv4 addresses
        [ECHO_IP, "my-phone-dot"],  # a ClientID
        [ECHO_IP, ECHO_MAC, "aa:bb:cc:00:00:01"],  # two MACs
    ],
)
async def test_adguard_client_that_covers_more_than_the_device_is_not_named(
    adguard: FakeAdGuardHome, session: aiohttp.ClientSession, ids: list[str]
) -> None:
    """Its name would block, and its lookups would "prove", more than this device."""
    adguard.persistent_clients = [{"name": "LAN", "ids": ids}]
    wanted = [policy(echo(), Block.VOICE)]
    client = _adguard(adguard, session)
    await client.reconcile(wanted)
    assert rule_for("avs-alexa-*.amazon.com", [ECHO_IP]) in adguard.user_rules
    assert not any("'LAN'" in rule for rule in adguard.user_rules)
    assert adguard.query("192.168.1.50", VOICE) == "NotFilteredNotFound"  # the neighbour
    log = await client.query_log(wanted, _since(), find_last=["dev001"])
    assert log.last_lookup == {}  # the neighbour's lookups are not the Echo's
    assert log.shared == {"dev001": ("LAN",)}
    assert log.addresses == {"dev001": (ECHO_IP,)}


async def test_adguard_client_that_is_the_device_alone_covers_its_ipv6_address(
    adguard: FakeAdGuardHome, session: aiohttp.ClientSession
) -> None:
    """An IPv4, IPv6 addresses and its MAC: named in the rule, each address counted."""
    adguard.persistent_clients = [{"name": "Echo", "ids": [ECHO_IP, "fd00::20", ECHO_MAC]}]
    wanted = [policy(echo(), Block.VOICE)]
    client = _adguard(adguard, session)
    await client.reconcile(wanted)
    assert adguard.query("fd00::20", VOICE) == "FilteredBlackList"
    log = await client.query_log(wanted, _since())
    assert [(q.client, q.blocked) for q in log.blocked] == [("fd00::20", True)]
    assert set(log.addresses["dev001"]) == {ECHO_IP, "fd00::20"}


async def test_adguard_ipv6_lookup_answered_while_ipv4_is_blocked_is_seen(
    adguard: FakeAdGuardHome, session: aiohttp.ClientSession
) -> None:
    """With the device's IPv6 address in its own client but filtering off for it there."""
    adguard.persistent_clients = [
        {
            "name": "Echo v6",
            "ids": ["fd00::20"],
            "use_global_settings": False,
            "filtering_enabled": False,
        },
    ]
    device = replace(echo(), ips=(ECHO_IP, "fd00::20"))
    wanted = [policy(device, Block.VOICE)]
    client = _adguard(adguard, session)
    await client.reconcile(wanted)
    assert adguard.query(ECHO_IP, VOICE) == "FilteredBlackList"
    assert adguard.query("fd00::20", VOICE) == "NotFilteredNotFound"
    log = await client.query_log(wanted, _since())
    assert [q.client for q in log.blocked] == [ECHO_IP]
    assert [(q.client, q.rule) for q in log.answered] == [("fd00::20", "NotFilteredNotFound")]


async def test_adguard_name_with_a_dollar_is_left_out_as_urlfilter_would_drop_the_rule(
    adguard: FakeAdGuardHome, session: aiohttp.ClientSession
) -> None:
    """Urlfilter splits options at the last `$`: `$client='Echo$1'` is no rule at all."""
    assert compile_rule("||a.example.com^$client='Echo$1'") is None
    adguard.persistent_clients = [{"name": "Echo$1", "ids": [ECHO_IP]}]
    client = _adguard(adguard, session)
    await client.reconcile([policy(echo(), Block.VOICE)])
    assert rule_for("avs-alexa-*.amazon.com", [ECHO_IP]) in adguard.user_rules
    assert adguard.query(ECHO_IP, VOICE) == "FilteredBlackList"


async def test_adguard_use_global_settings_keeps_the_clients_own_switch_out(
    adguard: FakeAdGuardHome, session: aiohttp.ClientSession
) -> None:
    """filtering_enabled of a client counts only when use_global_settings is false."""
    adguard.persistent_clients = [
        {"name": "Echo", "ids": [ECHO_IP], "use_global_settings": True, "filtering_enabled": False}
    ]
    wanted = [policy(echo(), Block.VOICE)]
    client = _adguard(adguard, session)
    await client.reconcile(wanted)
    assert all((await client.verify(wanted))["dev001"].values())
    assert adguard.query(ECHO_IP, VOICE) == "FilteredBlackList"
    adguard.persistent_clients[0]["use_global_settings"] = False  # now it counts ...
    client.begin_update()
    assert not any((await client.verify(wanted))["dev001"].values())  # ... and is seen at once
    assert adguard.query(ECHO_IP, VOICE) == "NotFilteredNotFound"


@pytest.mark.parametrize("change", ["rewrite", "allowlist", "remove_and_add"])
async def test_adguard_a_cached_confirmation_never_outlives_what_can_change_it(
    adguard: FakeAdGuardHome, session: aiohttp.ClientSession, change: str
) -> None:
    wanted = [policy(echo(), Block.VOICE)]
    client = _adguard(adguard, session)
    await client.reconcile(wanted)
    client.begin_update()  # the next poll: the write's update is over
    assert all((await client.verify(wanted))["dev001"].values())
    checks = sum(1 for _, path in adguard.requests if path.endswith("check_host"))
    assert all((await client.verify(wanted))["dev001"].values())  # from the cache
    assert sum(1 for _, path in adguard.requests if path.endswith("check_host")) == checks
    if change == "rewrite":
        adguard.rewrites = [{"domain": "avs-alexa-na.amazon.com", "answer": "1.2.3.4"}]
        expected = False
    elif change == "allowlist":
        adguard.dns_allowlist = ["amazon.com"]
        adguard.whitelist_filters = [
            {
                "url": "https://lists/allow.txt",
                "enabled": True,
                "last_updated": "2026-12-03T08:00:00Z",
                "rules_count": 1,
            }
        ]
        expected = False
    else:
        await client.reconcile([])
        await client.reconcile(wanted)
        expected = True
    client.begin_update()
    states = (await client.verify(wanted))["dev001"]
    assert sum(1 for _, path in adguard.requests if path.endswith("check_host")) > checks
    assert states["avs-alexa-*.amazon.com"] is expected


async def test_adguard_a_stale_save_lost_answer_or_deleted_marker_keeps_our_rules_ours(
    adguard: FakeAdGuardHome, session: aiohttp.ClientSession
) -> None:
    """Rules Voice Guard wrote are never turned into the user's, nor doubled."""
    client = _adguard(adguard, session)
    voice = [policy(echo(), Block.VOICE)]
    both = [policy(echo(), Block.VOICE, Block.TELEMETRY)]
    await client.reconcile(both)
    stale = list(adguard.user_rules)  # AdGuard Home's page was opened now ...
    await client.reconcile(voice)
    adguard.user_rules = [*stale, "||mine.example.org^"]  # ... and saved later
    await client.reconcile(voice)
    assert adguard.user_rules == ["||ads.example.com^", "||mine.example.org^", *_block(voice)]

    # A write that is stored but whose answer is lost.
    adguard.before = lambda _method, path: setattr(adguard, "hang", path.endswith("set_rules"))
    original = adguard.user_rules
    with pytest.raises(FilterConnectionError):
        await _with_short_timeout(client.reconcile(both))
    adguard.before, adguard.hang = None, False
    adguard.user_rules = [*original[:2], *_block(both)]  # it was stored all the same
    await client.reconcile(voice)
    assert adguard.user_rules == ["||ads.example.com^", "||mine.example.org^", *_block(voice)]

    # The user deletes the begin marker by hand.
    adguard.user_rules = [r for r in adguard.user_rules if r != BEGIN]
    await client.reconcile(voice)
    assert adguard.user_rules == ["||ads.example.com^", "||mine.example.org^", *_block(voice)]
    assert adguard.user_rules.count(END) == 1


async def test_adguard_a_write_that_stored_nothing_leaves_the_users_rules_theirs(
    adguard: FakeAdGuardHome, session: aiohttp.ClientSession
) -> None:
    """What Voice Guard remembers as its own changes only when the filter shows it stored.

    A set_rules answered 200 that stored nothing, then the user types the very same line
    by hand: it is the user's, kept when Voice Guard's block changes.
    """
    client = _adguard(adguard, session)
    voice = [policy(echo(), Block.VOICE)]
    both = [policy(echo(), Block.VOICE, Block.TELEMETRY)]
    await client.reconcile(voice)
    adguard.store_writes = False
    with pytest.raises(FilterResponseError):
        await client.reconcile(both)
    assert "pending" not in client.memory  # the filter showed nothing was stored
    adguard.store_writes = True
    theirs = next(line for line in _block(both) if line not in _block(voice))
    adguard.user_rules = [theirs, *adguard.user_rules]
    await client.reconcile([])
    assert adguard.user_rules == [theirs, "||ads.example.com^"]


async def test_adguard_a_write_answered_late_stays_ours_across_a_restart(
    adguard: FakeAdGuardHome, session: aiohttp.ClientSession
) -> None:
    """Rules stored by a write whose answer never came are Voice Guard's, after a restart too."""
    client = _adguard(adguard, session)
    voice = [policy(echo(), Block.VOICE)]
    both = [policy(echo(), Block.VOICE, Block.TELEMETRY)]
    await client.reconcile(voice)
    adguard.before = lambda _method, path: setattr(adguard, "hang", path.endswith("set_rules"))
    original = list(adguard.user_rules)
    with pytest.raises(FilterConnectionError):
        await _with_short_timeout(client.reconcile(both))
    adguard.before, adguard.hang = None, False
    assert client.memory["pending"]  # may be stored: kept as Voice Guard's, and saved
    restarted = _adguard(adguard, session)
    restarted.remember(client.memory)
    adguard.user_rules = [original[0], *_block(both)]  # the write was stored after all
    await restarted.reconcile(voice)
    assert adguard.user_rules == ["||ads.example.com^", *_block(voice)]
    assert "pending" not in restarted.memory


def _block(policies: list[DevicePolicy]) -> list[str]:
    return render_block(policies)


async def _with_short_timeout(awaitable: Awaitable[object]) -> object:
    with patch("custom_components.voice_guard.cloud_guard.dns.filters.adguard_home.TIMEOUT", 0.5):
        return await awaitable


async def test_adguard_no_cookie_is_kept_or_sent(adguard: FakeAdGuardHome) -> None:
    """A session cookie is checked alone and ends: the client sends none.

    Even from a jar that takes cookies of any host (as Home Assistant's does for named hosts).
    """
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as shared:
        client = _adguard(adguard, shared)
        await client.check_login()
        await client.info()
        await client.reconcile([policy(echo(), Block.VOICE)])
        assert adguard.cookies_seen == 0
        # What the fake does with a cookie, as AdGuard Home does: it alone is checked.
        adguard.expire_sessions()
        status = await shared.get(
            f"{adguard.url}/control/status",
            cookies={"agh_session": "s1"},
            headers=client._headers,
        )
        assert status.status == 401


async def test_adguard_lockout_counts_failures_within_a_minute_and_a_success_resets(
    adguard: FakeAdGuardHome, session: aiohttp.ClientSession
) -> None:
    wrong = AdGuardHome(session, adguard.url, "admin", "wrong")
    right = _adguard(adguard, session)
    for _ in range(4):
        with pytest.raises(Exception):  # noqa: B017, PT011 - a refusal, of either kind
            await wrong.info()
    await right.info()  # a success resets the count
    for _ in range(4):
        with pytest.raises(Exception):  # noqa: B017, PT011
            await wrong.info()
    await right.info()  # still not locked: 4 failures since the success
    adguard._failures["127.0.0.1"] = [time.monotonic() - 120] * 4
    with pytest.raises(Exception):  # noqa: B017, PT011
        await wrong.info()
    await right.info()  # 1 failure within the minute: not locked
    for _ in range(5):
        with pytest.raises(Exception):  # noqa: B017, PT011
            await wrong.info()
    with pytest.raises(Exception):  # noqa: B017, PT011 - locked out, the right password too
        await right.info()


async def test_adguard_clients_are_found_by_exact_address_before_subnet_then_dhcp(
    adguard: FakeAdGuardHome,
) -> None:
    adguard.persistent_clients = [
        {"name": "LAN", "ids": ["192.168.1.0/24"]},
        {"name": "Echo", "ids": [ECHO_IP]},
        {"name": "Phone", "ids": ["aa:bb:cc:00:00:01"]},
    ]
    adguard.lease("aa:bb:cc:00:00:01", "192.168.2.9")
    assert adguard.persistent_client(ECHO_IP)["name"] == "Echo"
    assert adguard.persistent_client("192.168.1.21")["name"] == "LAN"
    assert adguard.persistent_client("192.168.2.9")["name"] == "Phone"
    assert adguard.persistent_client("10.0.0.1") is None


async def test_adguard_anonymisation_and_the_ignore_switch_as_the_source_does_them(
    adguard: FakeAdGuardHome, session: aiohttp.ClientSession
) -> None:
    adguard.anonymize_client_ip = True
    adguard.query(ECHO_IP, "www.example.com")
    adguard.query("fd00:1:2:3:4:5:6:7", "www.example.com")
    assert [e["client"] for e in adguard.log] == ["fd00:1:2::", "192.168.0.0"]
    adguard.anonymize_client_ip = False
    adguard.querylog_ignored = ["amazon.com"]
    adguard.querylog_ignored_enabled = False  # the list is kept, but not applied
    wanted = [policy(echo(), Block.VOICE)]
    client = _adguard(adguard, session)
    await client.reconcile(wanted)
    adguard.query(ECHO_IP, VOICE)
    log = await client.query_log(wanted, _since())
    assert log.hidden == {}
    assert [q.host for q in log.blocked] == [VOICE]


async def test_adguard_a_switch_change_asks_again_only_for_the_rules_it_changed(
    adguard: FakeAdGuardHome, session: aiohttp.ClientSession
) -> None:
    """Confirmations of the rules that stayed are kept: a change costs what it changed."""
    devices = [echo(n) for n in range(1, 11)]
    wanted = [policy(d, Block.VOICE) for d in devices]
    client = _adguard(adguard, session)
    await client.reconcile(wanted)
    client.begin_update()
    await client.verify(wanted)  # every rule confirmed once

    def checks() -> int:
        return sum(1 for _, path in adguard.requests if path.endswith("check_host"))

    changed = [policy(devices[0], Block.VOICE, Block.TELEMETRY), *wanted[1:]]
    client.begin_update()
    before = checks()
    await client.reconcile(changed)
    states = await client.verify(changed)
    assert all(all(s.values()) for s in states.values())
    new_rules = len(changed[0].hosts) - len(wanted[0].hosts)
    assert new_rules > 0
    assert checks() - before == new_rules  # only the rules the change added ...
    client.begin_update()
    before = checks()
    await client.verify(changed)
    assert checks() - before == new_rules  # ... and next time only the new ones, once more
