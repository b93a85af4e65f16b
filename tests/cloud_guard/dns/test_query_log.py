"""Reading the filters' query logs as they really answer: paging, cost, proof, what hides it.

AdGuard Home per its source (../shared/notes/adguard-home-source.md), Pi-hole per its API.
The fakes come from tests/conftest.py (AdGuard Home holds one rule of the user's).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone

import aiohttp
import pytest

from custom_components.voice_guard.cloud_guard.dns.filters.adguard_home import AdGuardHome
from custom_components.voice_guard.cloud_guard.dns.filters.base import (
    HIDDEN_ADDRESSES,
    HIDDEN_CLIENT_IGNORED,
    HIDDEN_DOMAINS,
    HIDDEN_LOG_OFF,
)
from custom_components.voice_guard.cloud_guard.dns.filters.pihole import PiHole
from custom_components.voice_guard.cloud_guard.dns.policy import Block

from ...fakes.adguard_home import FakeAdGuardHome, rfc3339nano
from ...fakes.pihole import FakePiHole
from .conftest import echo, policy

ECHO = "192.168.1.20"


def _client(fake: FakeAdGuardHome, session: aiohttp.ClientSession) -> AdGuardHome:
    return AdGuardHome(session, fake.url, "admin", "secret")


def test_the_fake_writes_times_as_adguard_home_does() -> None:
    """Local time with its offset, trailing zeros of the nanoseconds trimmed."""
    zone = timezone(timedelta(hours=9))
    assert rfc3339nano(datetime(2026, 12, 1, 3, 4, 5, 500000, UTC), zone) == (
        "2026-12-01T12:04:05.500000123+09:00"
    )
    assert rfc3339nano(datetime(2026, 12, 1, 3, 4, 5, tzinfo=UTC), zone) == (
        "2026-12-01T12:04:05+09:00"
    )
    assert rfc3339nano(datetime(2026, 12, 1, 3, 4, 5, tzinfo=UTC), UTC) == "2026-12-01T03:04:05Z"


@pytest.mark.parametrize("offset", [-7, 0, 9])
async def test_local_times_with_varying_digits_are_read_right(
    adguard: FakeAdGuardHome, session: aiohttp.ClientSession, offset: int
) -> None:
    adguard.timezone = timezone(timedelta(hours=offset))
    client = _client(adguard, session)
    await client.reconcile([policy(echo(), Block.VOICE)])
    base = datetime.now(UTC).replace(microsecond=0) - timedelta(seconds=30)
    times = [base, base + timedelta(microseconds=120), base + timedelta(microseconds=500000)]
    for when in times:
        adguard.query(ECHO, "avs-alexa-na.amazon.com", when)
    log = await client.query_log([policy(echo(), Block.VOICE)], base - timedelta(seconds=1))
    assert [q.time for q in log.blocked] == times
    assert log.newest == times[-1]


async def test_a_scan_window_without_matches_does_not_end_the_read(
    adguard: FakeAdGuardHome, session: aiohttp.ClientSession
) -> None:
    """AdGuard Home scans at most 50,000 lines per call: `data: []` with `oldest` goes on."""
    adguard.scan_window = 50  # the same behaviour, at a size a test can fill
    client = _client(adguard, session)
    wanted = [policy(echo(), Block.VOICE)]
    await client.reconcile(wanted)
    start = datetime.now(UTC) - timedelta(hours=2)
    adguard.query(ECHO, "avs-alexa-na.amazon.com", start + timedelta(minutes=1))
    for n in range(400):  # newer lookups of another client, allowed
        when = start + timedelta(minutes=2, milliseconds=n)
        adguard.query("192.168.1.99", f"site{n}.example.com", when)
    log = await client.query_log(wanted, start)  # a gap: blocked lookups only
    assert [q.host for q in log.blocked] == ["avs-alexa-na.amazon.com"]
    assert adguard.querylog_calls >= 8  # 400 lines in windows of 50: it kept paging


async def test_a_steady_read_costs_what_happened_since_the_last_one(
    adguard: FakeAdGuardHome, pihole: FakePiHole, session: aiohttp.ClientSession
) -> None:
    """100,000 old lookups cost nothing when the last read was 30 s ago: one request each."""
    old = datetime.now(UTC) - timedelta(hours=3)
    for n in range(5000):
        adguard.query(f"10.0.0.{n % 200}", f"site{n}.example.com", old)
        pihole.query(f"10.0.0.{n % 200}", f"site{n}.example.com", old)
    since = datetime.now(UTC) - timedelta(seconds=30)
    wanted = [policy(echo(), Block.VOICE)]
    ag = _client(adguard, session)
    ph = PiHole(session, pihole.url, "secret")
    for client in (ag, ph):
        await client.reconcile(wanted)
    adguard.query(ECHO, "avs-alexa-na.amazon.com")
    pihole.query(ECHO, "avs-alexa-na.amazon.com")
    adguard.querylog_calls = pihole.query_requests = 0
    for client in (ag, ph):
        log = await client.query_log(wanted, since)
        assert [q.host for q in log.blocked] == ["avs-alexa-na.amazon.com"]
        assert "dev001" in log.last_lookup
    assert (adguard.querylog_calls, pihole.query_requests) == (1, 1)
    await ph.close()


async def test_a_blocked_lookup_counts_whatever_rule_blocked_it(
    adguard: FakeAdGuardHome, session: aiohttp.ClientSession
) -> None:
    """The user's $important rule wins over ours: the lookup is the device's all the same."""
    client = _client(adguard, session)
    wanted = [policy(echo(), Block.VOICE)]
    await client.reconcile(wanted)
    adguard.user_rules.insert(0, "||amazon.com^$important")
    since = datetime.now(UTC) - timedelta(seconds=10)
    assert adguard.query(ECHO, "avs-alexa-na.amazon.com") == "FilteredBlackList"
    log = await client.query_log(wanted, since)
    assert [(q.host, q.rule) for q in log.blocked] == [
        ("avs-alexa-na.amazon.com", "||amazon.com^$important")
    ]


async def test_old_adguard_home_is_asked_with_response_status(
    adguard: FakeAdGuardHome, session: aiohttp.ClientSession
) -> None:
    """reason= exists since v0.107.77; an older version would ignore it and send everything."""
    adguard.version = "v0.107.70"
    client = _client(adguard, session)
    wanted = [policy(echo(), Block.VOICE)]
    await client.info()
    await client.reconcile(wanted)
    start = datetime.now(UTC) - timedelta(hours=1)
    adguard.query(ECHO, "avs-alexa-na.amazon.com", start + timedelta(minutes=1))
    adguard.query(ECHO, "www.example.com", start + timedelta(minutes=2))
    log = await client.query_log(wanted, start)
    assert [q.host for q in log.blocked] == ["avs-alexa-na.amazon.com"]
    # The device's newest lookup of all, found by an exact search of its address.
    assert log.last_lookup["dev001"] == start + timedelta(minutes=2)


@pytest.mark.parametrize("kind", ["adguard_home", "pihole"])
async def test_a_first_read_finds_each_devices_latest_lookup(
    adguard: FakeAdGuardHome, pihole: FakePiHole, session: aiohttp.ClientSession, kind: str
) -> None:
    """After a gap only blocked lookups are read; each device's latest lookup is searched."""
    fake = adguard if kind == "adguard_home" else pihole
    client = (
        _client(adguard, session) if kind == "adguard_home" else PiHole(session, fake.url, "secret")
    )
    wanted = [policy(echo(1), Block.VOICE), policy(echo(2), Block.VOICE)]
    await client.reconcile(wanted)
    start = datetime.now(UTC) - timedelta(hours=24)
    fake.query("192.168.1.20", "www.example.com", start + timedelta(hours=3))
    log = await client.query_log(wanted, start)
    assert log.blocked == []
    assert log.last_lookup == {"dev001": start + timedelta(hours=3)}  # dev002 never asked
    await client.close()


@pytest.mark.parametrize("kind", ["adguard_home", "pihole"])
async def test_a_new_device_is_searched_once_in_a_steady_read(
    adguard: FakeAdGuardHome, pihole: FakePiHole, session: aiohttp.ClientSession, kind: str
) -> None:
    fake = adguard if kind == "adguard_home" else pihole
    client = (
        _client(adguard, session) if kind == "adguard_home" else PiHole(session, fake.url, "secret")
    )
    wanted = [policy(echo(), Block.VOICE)]
    await client.reconcile(wanted)
    window = datetime.now(UTC) - timedelta(hours=24)
    fake.query(ECHO, "www.example.com", window + timedelta(hours=1))
    since = datetime.now(UTC) - timedelta(seconds=30)
    steady = await client.query_log(wanted, since, window_start=window)
    assert steady.last_lookup == {}
    found = await client.query_log(wanted, since, find_last=["dev001"], window_start=window)
    assert found.last_lookup == {"dev001": window + timedelta(hours=1)}
    await client.close()


async def test_adguard_home_settings_that_hide_the_proof_are_reported(
    adguard: FakeAdGuardHome, session: aiohttp.ClientSession
) -> None:
    wanted = [policy(echo(1), Block.VOICE), policy(echo(2), Block.VOICE)]
    adguard.persistent_clients = [
        {"name": "Kitchen Echo", "ids": ["192.168.1.20"], "ignore_querylog": True}
    ]
    adguard.querylog_ignored = ["avs-alexa-na.amazon.com"]
    client = _client(adguard, session)
    await client.reconcile(wanted)
    since = datetime.now(UTC) - timedelta(seconds=30)
    adguard.query("192.168.1.20", "www.example.com")  # not logged: the client is ignored
    log = await client.query_log(wanted, since)
    assert log.last_lookup == {}
    assert log.hidden == {
        "dev001": (HIDDEN_CLIENT_IGNORED, HIDDEN_DOMAINS),
        "dev002": (HIDDEN_DOMAINS,),
    }

    off = AdGuardHome(session, adguard.url, "admin", "secret")
    adguard.querylog_enabled = False
    adguard.anonymize_client_ip = True
    log = await off.query_log(wanted, since)
    assert set(log.hidden["dev002"]) == {HIDDEN_LOG_OFF, HIDDEN_ADDRESSES, HIDDEN_DOMAINS}


@pytest.mark.parametrize(
    ("level", "logging", "hidden"),
    [
        (0, True, ()),
        (1, True, (HIDDEN_DOMAINS,)),
        (2, True, (HIDDEN_ADDRESSES, HIDDEN_DOMAINS)),
        (3, True, (HIDDEN_LOG_OFF, HIDDEN_ADDRESSES, HIDDEN_DOMAINS)),
        # dns.queryLogging off stops only pihole.log: /api/queries lists every lookup.
        (0, False, ()),
    ],
)
async def test_pihole_privacy_that_hides_the_proof_is_reported(
    pihole: FakePiHole,
    session: aiohttp.ClientSession,
    level: int,
    logging: bool,
    hidden: tuple[str, ...],
) -> None:
    pihole.privacy_level = level
    pihole.query_logging = logging
    client = PiHole(session, pihole.url, "secret")
    wanted = [policy(echo(), Block.VOICE)]
    await client.reconcile(wanted)
    since = datetime.now(UTC) - timedelta(seconds=30)
    pihole.query(ECHO, "avs-alexa-na.amazon.com")
    log = await client.query_log(wanted, since)
    assert log.hidden.get("dev001", ()) == hidden
    # What the log still proves: with clients shown the lookup is the device's.
    assert ("dev001" in log.last_lookup) == (level < 2)
    assert bool(log.blocked) == (level == 0)
    await client.close()


@pytest.mark.parametrize(
    ("clients", "domains", "hidden"),
    [
        ([r"^192\.168\.1\.20$"], [], (HIDDEN_CLIENT_IGNORED,)),
        ([], [r"amazon\.com$"], (HIDDEN_DOMAINS,)),
        ([r"^10\."], [r"example\.org"], ()),
    ],
)
async def test_pihole_exclude_lists_hide_the_proof_at_once(
    pihole: FakePiHole,
    session: aiohttp.ClientSession,
    clients: list[str],
    domains: list[str],
    hidden: tuple[str, ...],
) -> None:
    """ExcludeClients / excludeDomains drop lookups from /api/queries: named, from the next read."""
    client = PiHole(session, pihole.url, "secret")
    wanted = [policy(echo(), Block.VOICE)]
    await client.reconcile(wanted)
    since = datetime.now(UTC) - timedelta(seconds=30)
    assert (await client.query_log(wanted, since)).hidden == {}
    pihole.exclude_clients, pihole.exclude_domains = clients, domains
    pihole.query(ECHO, "avs-alexa-na.amazon.com")
    log = await client.query_log(wanted, since)
    assert log.hidden.get("dev001", ()) == hidden
    assert bool(log.blocked) == (not hidden)
    await client.close()


async def test_a_persistent_client_is_named_in_the_rule(
    adguard: FakeAdGuardHome, session: aiohttp.ClientSession
) -> None:
    """All of the client's addresses are covered, its lookups attributed, the rule verified."""
    name = "Kitchen 'Echo', 2|b"  # quote, comma and pipe: escaped as urlfilter reads them
    adguard.persistent_clients = [
        {"name": name, "ids": ["192.168.1.20", "fd00::20", "f0:27:2d:11:22:33"]}
    ]
    client = _client(adguard, session)
    wanted = [policy(echo(), Block.VOICE)]
    await client.reconcile(wanted)
    assert r"||gateway.devices.a2z.com^$client=192.168.1.20|'Kitchen \'Echo\'\, 2\|b'" in (
        adguard.user_rules
    )
    since = datetime.now(UTC) - timedelta(seconds=30)
    assert adguard.query("fd00::20", "avs-alexa-na.amazon.com") == "FilteredBlackList"  # IPv6
    assert adguard.query("192.168.1.21", "avs-alexa-na.amazon.com") != "FilteredBlackList"
    assert all((await client.verify(wanted))["dev001"].values())
    log = await client.query_log(wanted, since)
    assert [(q.client, q.host) for q in log.blocked] == [("fd00::20", "avs-alexa-na.amazon.com")]
    assert (await client.reconcile(wanted)).writes == 0  # the rules are recognised as ours


async def test_a_mac_only_device_is_guarded_through_its_persistent_client(
    adguard: FakeAdGuardHome, session: aiohttp.ClientSession
) -> None:
    adguard.persistent_clients = [{"name": "Echo", "ids": ["F0:27:2D:11:22:33", "10.0.0.7"]}]
    device = replace(echo(), ips=(), macs=("f0:27:2d:11:22:33",))
    client = _client(adguard, session)
    wanted = [policy(device, Block.VOICE)]
    result = await client.reconcile(wanted)
    assert result.conflicts == {}
    assert adguard.query("10.0.0.7", "avs-alexa-na.amazon.com") == "FilteredBlackList"
    assert all((await client.verify(wanted))["dev001"].values())  # checked for 10.0.0.7


async def test_a_persistent_clients_filtering_switch_cancels_the_confirmation(
    adguard: FakeAdGuardHome, session: aiohttp.ClientSession
) -> None:
    """check_host honours the client's own filtering_enabled: the rule is listed, not in force."""
    adguard.persistent_clients = [
        {"name": "Echo", "ids": [ECHO], "filtering_enabled": False, "use_global_settings": False}
    ]
    client = _client(adguard, session)
    wanted = [policy(echo(), Block.VOICE)]
    await client.reconcile(wanted)
    assert adguard.query(ECHO, "avs-alexa-na.amazon.com") == "NotFilteredNotFound"
    assert not any((await client.verify(wanted))["dev001"].values())


async def test_a_pihole_that_does_not_say_its_privacy_settings_hides_nothing(
    pihole: FakePiHole, session: aiohttp.ClientSession
) -> None:
    """Without the config paths the lookups are read as they come: no hidden reason."""
    pihole.config_api = False
    client = PiHole(session, pihole.url, "secret")
    wanted = [policy(echo(), Block.VOICE)]
    await client.reconcile(wanted)
    since = datetime.now(UTC) - timedelta(seconds=30)
    pihole.query(ECHO, "avs-alexa-na.amazon.com")
    log = await client.query_log(wanted, since)
    assert log.hidden == {}
    assert [q.host for q in log.blocked] == ["avs-alexa-na.amazon.com"]
    await client.close()


async def test_an_entry_without_a_readable_time_is_skipped(
    adguard: FakeAdGuardHome, session: aiohttp.ClientSession
) -> None:
    """A log line whose time does not parse neither counts nor ends the read."""
    client = _client(adguard, session)
    wanted = [policy(echo(), Block.VOICE)]
    await client.reconcile(wanted)
    since = datetime.now(UTC) - timedelta(seconds=30)
    adguard.query(ECHO, "avs-alexa-na.amazon.com", since + timedelta(seconds=5))
    adguard.query(ECHO, "avs-alexa-na.amazon.com", since + timedelta(seconds=10))
    shown = adguard._shown

    def broken_newest(entry: dict[str, object]) -> dict[str, object]:
        line = shown(entry)
        return {**line, "time": "yesterday"} if entry is adguard.log[0] else line

    adguard._shown = broken_newest  # type: ignore[method-assign]
    log = await client.query_log(wanted, since)
    assert [q.time for q in log.blocked] == [since + timedelta(seconds=5)]


async def test_a_persistent_client_name_that_cannot_be_quoted_is_left_out(
    adguard: FakeAdGuardHome, session: aiohttp.ClientSession
) -> None:
    """A name with a backslash (or a control character) is not written into a rule."""
    adguard.persistent_clients = [{"name": "Echo\\x", "ids": [ECHO, "fd00::20"]}]
    client = _client(adguard, session)
    wanted = [policy(echo(), Block.VOICE)]
    await client.reconcile(wanted)
    ours = [r for r in adguard.user_rules if "$client=" in r]
    assert ours
    assert all(r.endswith(f"$client={ECHO}") for r in ours)
    assert adguard.query(ECHO, "avs-alexa-na.amazon.com") == "FilteredBlackList"
    assert all((await client.verify(wanted))["dev001"].values())
