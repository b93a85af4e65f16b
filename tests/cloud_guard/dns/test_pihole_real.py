"""The Pi-hole client against the fake, on the cases a real FTL 6.4.1 exposed.

Each test reproduces one defect found with the real Pi-hole (shared notes,
pihole-v6-real.md, "Defects of today's client"), with the fake answering as FTL did.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
import time
from types import SimpleNamespace

import aiohttp
import pytest

from custom_components.voice_guard.cloud_guard.dns.filters import pihole as pihole_module
from custom_components.voice_guard.cloud_guard.dns.filters.base import (
    CATCH_UP_LOOKUPS,
    FilterAuthError,
    FilterRateLimitedError,
    FilterResponseError,
)
from custom_components.voice_guard.cloud_guard.dns.filters.pihole import PiHole, group_name
from custom_components.voice_guard.cloud_guard.dns.policy import Block

from ...fakes import pihole as fake_module
from ...fakes.pihole import FakePiHole
from .conftest import echo, policy

USER_MAC = "AA:BB:CC:DD:EE:FF"  # as Pi-hole's web UI stores a MAC: in capitals
ECHO_IP = "192.168.1.77"


@pytest.fixture
async def pihole(socket_enabled: None) -> AsyncIterator[FakePiHole]:
    """A fake Pi-hole 6 that answers as FTL 6.4.1 did."""
    fake = FakePiHole()
    async with fake.serve():
        yield fake


def _by_mac() -> object:
    return replace(echo(), ips=(), macs=(USER_MAC.lower(),))


async def test_a_mac_in_pihole_spelling_gets_no_second_row(
    pihole: FakePiHole, session: aiohttp.ClientSession
) -> None:
    """The user's capitalised row gets the group; confirmed means the device is blocked."""
    pihole.clients.append(
        {"id": 90, "client": USER_MAC, "name": None, "comment": "mine", "groups": [0]}
    )
    pihole.network = [{"hwaddr": USER_MAC.lower(), "ips": [{"ip": ECHO_IP, "name": "echo"}]}]
    client = PiHole(session, pihole.url, "secret")
    device = _by_mac()
    await client.reconcile([policy(device, Block.VOICE)])
    # No lower-case twin of the user's row; the MAC's current address joins the group.
    assert [c["client"] for c in pihole.clients] == [USER_MAC, ECHO_IP]
    confirmed = await client.verify([policy(device, Block.VOICE)])
    assert all(confirmed[device.device_id].values())
    assert pihole.query(ECHO_IP, "avs-alexa-na.amazon.com") == "REGEX"

    await client.reconcile([])
    assert pihole.clients == [
        {**pihole.clients[0], "client": USER_MAC, "comment": "mine", "groups": [0]}
    ]
    await client.close()


async def test_a_twin_row_without_the_group_is_not_confirmed(
    pihole: FakePiHole, session: aiohttp.ClientSession
) -> None:
    """Left by an older client: FTL uses the user's row, which lacks the group."""
    client = PiHole(session, pihole.url, "secret")
    device = _by_mac()
    await client.reconcile([policy(device, Block.VOICE)])
    gid = next(g["id"] for g in pihole.groups if g["name"] == group_name(device.device_id))
    # The user's own row, older than ours, without Voice Guard's group.
    pihole.clients.insert(
        0, {"id": 1, "client": USER_MAC, "name": None, "comment": "mine", "groups": [0]}
    )
    assert gid in next(c for c in pihole.clients if c["client"] == USER_MAC.lower())["groups"]
    confirmed = await client.verify([policy(device, Block.VOICE)])
    assert not any(confirmed[device.device_id].values())
    await client.close()


async def test_blocked_lookups_of_a_mac_only_device_are_counted(
    pihole: FakePiHole, session: aiohttp.ClientSession
) -> None:
    """The query log has IPs; the network table maps the device's MAC to them."""
    pihole.network = [
        {"hwaddr": USER_MAC.lower(), "ips": [{"ip": ECHO_IP, "name": "echo"}]},
        {"hwaddr": f"ip-{'192.168.1.9'}", "macVendor": "", "ips": [{"ip": "192.168.1.9"}]},
    ]
    client = PiHole(session, pihole.url, "secret")
    device = _by_mac()
    since = datetime.now(UTC) - timedelta(minutes=1)
    await client.reconcile([policy(device, Block.VOICE)])
    assert pihole.query(ECHO_IP, "avs-alexa-na.amazon.com") == "REGEX"
    client.begin_update()  # the next update reads the network table anew
    found = (await client.query_log([policy(device, Block.VOICE)], since)).blocked
    assert [(q.device_id, q.host, q.client) for q in found] == [
        (device.device_id, "avs-alexa-na.amazon.com", ECHO_IP)
    ]
    await client.close()


async def test_mock_hardware_addresses_are_never_offered_as_macs(
    pihole: FakePiHole, session: aiohttp.ClientSession
) -> None:
    """A device Pi-hole saw only by IP has hwaddr "ip-<address>": no MAC for the flow."""
    pihole.network = [
        {"hwaddr": "ip-192.168.1.9", "macVendor": "", "ips": [{"ip": "192.168.1.9"}]},
        {"hwaddr": USER_MAC.lower(), "macVendor": "Amazon", "ips": [{"ip": ECHO_IP}]},
    ]
    client = PiHole(session, pihole.url, "secret")
    found = {c.ip: c.mac for c in await client.clients()}
    assert found == {"192.168.1.9": None, ECHO_IP: USER_MAC.lower()}
    await client.close()


async def test_rate_limiting_is_told_apart_from_no_free_session(
    pihole: FakePiHole, session: aiohttp.ClientSession
) -> None:
    """Wrong passwords, then FTL's 429 rate_limiting: its own error, not 'cannot connect'."""
    for _ in range(3):
        with pytest.raises(FilterAuthError):
            await PiHole(session, pihole.url, "wrong").info()
    with pytest.raises(FilterRateLimitedError) as err:
        await PiHole(session, pihole.url, "secret").info()
    assert err.value.reason == "rate_limited"


@pytest.mark.parametrize(("password", "validity"), [("", 1800), ("secret", 10)])
async def test_no_login_per_request(
    session: aiohttp.ClientSession, socket_enabled: None, password: str, validity: int
) -> None:
    """Without a password (validity -1) or with short sessions, one login serves many calls."""
    fake = FakePiHole(password, validity=validity)
    async with fake.serve():
        client = PiHole(session, fake.url, password)
        for _ in range(5):
            await client.info()
            await client.verify([policy(echo(), Block.VOICE)])
        assert fake.logins <= 1
        await client.close()


async def test_a_renewed_session_ends_the_one_it_replaces(
    session: aiohttp.ClientSession, socket_enabled: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Renewing deletes the old session: Pi-hole's few session slots are not used up."""
    now = [1000.0]  # one clock for client and fake, moved by the test (no race with time)
    clock = SimpleNamespace(monotonic=lambda: now[0], time=time.time)
    monkeypatch.setattr(pihole_module, "time", clock)
    monkeypatch.setattr(fake_module, "time", clock)
    fake = FakePiHole(validity=1800)
    async with fake.serve():
        client = PiHole(session, fake.url, "secret")
        await client.info()
        now[0] += 1800 - pihole_module.RENEW_MARGIN + 1  # in the renewal margin: renewed
        await client.info()
        assert fake.logins == 2
        assert fake.logouts == 1
        assert len(fake.sessions) == 1
        await client.close()
        assert fake.sessions == {}


async def test_a_201_with_errors_is_a_failure_not_a_write(
    pihole: FakePiHole, session: aiohttp.ClientSession
) -> None:
    """FTL answers 201 with the existing row and processed.errors when a name exists."""
    device = echo()

    def someone_else(method: str, path: str) -> None:
        if method == "POST" and path == "/api/groups":
            pihole.groups.append(
                {"id": 50, "name": group_name(device.device_id), "comment": "x", "enabled": True}
            )

    pihole.before = someone_else
    client = PiHole(session, pihole.url, "secret")
    with pytest.raises(FilterResponseError, match="UNIQUE"):
        await client.reconcile([policy(device, Block.VOICE)])
    await client.close()


async def test_deleting_what_is_already_gone_is_done(
    pihole: FakePiHole, session: aiohttp.ClientSession
) -> None:
    """A group or regex removed by hand in between: the 404 does not fail the reconcile."""
    client = PiHole(session, pihole.url, "secret")
    device = echo()
    await client.reconcile([policy(device, Block.VOICE)])

    def removed_by_hand(method: str, path: str) -> None:
        if method == "DELETE" and path.startswith("/api/groups/"):
            pihole.groups = [g for g in pihole.groups if not g["name"].startswith("voice_guard")]
        if path == "/api/domains:batchDelete":
            pihole.domains = []

    pihole.before = removed_by_hand
    await client.reconcile([])
    pihole.before = None
    assert [g["name"] for g in pihole.groups] == ["Default"]
    assert pihole.domains == []
    await client.close()


async def test_blocked_lookups_are_filtered_on_the_server_and_paged(
    pihole: FakePiHole, session: aiohttp.ClientSession
) -> None:
    """2,500 newer lookups of other clients cannot hide the device's; pages follow the cursor."""
    client = PiHole(session, pihole.url, "secret")
    device = echo()
    ip = device.ips[0]
    since = datetime.now(UTC) - timedelta(hours=1)
    await client.reconcile([policy(device, Block.VOICE)])
    first = datetime.now(UTC) - timedelta(minutes=30)
    pihole.query(ip, "avs-alexa-na.amazon.com", first)
    for n in range(2500):  # a busy network, newer than the device's lookup
        pihole.query("192.168.1.200", f"site{n}.example.com", first + timedelta(seconds=1))
    for n in range(1200):  # and the device itself, chatty
        pihole.query(ip, f"ok{n}.example.com", first + timedelta(seconds=2))
    pihole.query_requests = 0
    found = (await client.query_log([policy(device, Block.VOICE)], since)).blocked
    assert [q.host for q in found] == ["avs-alexa-na.amazon.com"]
    # 1,201 of this client only: two pages, and the newest entry of all (the next read's start)
    assert pihole.query_requests == 3
    await client.close()


async def test_a_catch_up_reads_each_devices_answered_lookups_too_and_says_where_it_stopped(
    pihole: FakePiHole, session: aiohttp.ClientSession
) -> None:
    """After a gap, each device's own lookups are read, answered ones too, up to a bound.

    An answered guarded lookup while Home Assistant was stopped still disproves protection
    (it used to read blocked lookups only). A device with more lookups than the bound
    says from when on its read was whole; the others were read completely.
    """
    client = PiHole(session, pihole.url, "secret")
    devices = [echo(n) for n in range(1, 4)]
    policies = [policy(d, Block.VOICE) for d in devices]
    since = datetime.now(UTC) - timedelta(hours=1)
    when = datetime.now(UTC) - timedelta(minutes=30)
    # Lookups before the rules were written are answered: the device's own outcome.
    pihole.query(devices[0].ips[0], "avs-alexa-na.amazon.com", when)
    await client.reconcile(policies)
    pihole.query(devices[1].ips[0], "avs-alexa-na.amazon.com", when + timedelta(seconds=1))
    for n in range(CATCH_UP_LOOKUPS + 5):  # a chatty third device: more than the bound
        pihole.query(devices[2].ips[0], f"ok{n}.example.com", when + timedelta(seconds=2))
    pihole.query_requests = 0
    log = await client.query_log(policies, since)
    assert [(q.device_id, q.blocked) for q in log.answered] == [(devices[0].device_id, False)]
    assert [q.device_id for q in log.blocked] == [devices[1].device_id]
    assert set(log.complete_since) == {devices[2].device_id}
    # The newest entry of all, one page per quiet device, the bound's pages for the chatty one.
    assert pihole.query_requests == 1 + 1 + 1 + CATCH_UP_LOOKUPS // 1000
    await client.close()


async def test_a_first_start_reads_blocked_lookups_of_many_devices_in_one_request(
    pihole: FakePiHole, session: aiohttp.ClientSession
) -> None:
    """No device had rules in force before: one page of blocked lookups, not one per device."""
    client = PiHole(session, pihole.url, "secret")
    devices = [echo(n) for n in range(1, 6)]
    policies = [policy(d, Block.VOICE) for d in devices]
    since = datetime.now(UTC) - timedelta(hours=1)
    await client.reconcile(policies)
    when = datetime.now(UTC) - timedelta(minutes=5)
    for n in range(3000):  # allowed lookups of everyone: not read at all
        pihole.query(devices[n % 5].ips[0], f"ok{n}.example.com", when)
    for device in devices[:2]:
        pihole.query(device.ips[0], "avs-alexa-na.amazon.com", when + timedelta(seconds=1))
    pihole.query_requests = 0
    found = (await client.query_log(policies, since, keep_answered=())).blocked
    assert sorted(q.device_id for q in found) == [devices[0].device_id, devices[1].device_id]
    # One page of blocked lookups, the newest entry of all, and the latest lookup of each
    # device (blocked lookups do not show it).
    assert pihole.query_requests == 7
    await client.close()


async def test_no_guarded_address_reads_no_query_log(
    pihole: FakePiHole, session: aiohttp.ClientSession
) -> None:
    """A poll without any device address costs no query-log request."""
    client = PiHole(session, pihole.url, "secret")
    device = replace(echo(), ips=())
    log = await client.query_log([policy(device, Block.VOICE)], datetime.now(UTC))
    assert (log.blocked, log.last_lookup) == ([], {})
    assert pihole.query_requests == 0
    await client.close()
