"""What each guarded device still contacts: the inventory, plain Python."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
import json
from typing import Any
from unittest.mock import patch

from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import ServiceValidationError
from homeassistant.setup import async_setup_component
import pytest
from pytest_homeassistant_custom_component.common import async_capture_events
import voluptuous as vol

from custom_components.voice_guard.cloud_guard import destinations
from custom_components.voice_guard.cloud_guard.destinations import (
    COUNTS_SAVE_EVERY,
    LEARNING_PERIOD,
    MAX_HOSTS,
    MAX_NEWS_PER_POLL,
    UNKNOWN,
    Categorizer,
    Destinations,
    registrable_domain,
)
from custom_components.voice_guard.cloud_guard.diagnostics import guard_diagnostics
from custom_components.voice_guard.cloud_guard.dns.catalog import DeviceType, load_catalog
from custom_components.voice_guard.cloud_guard.dns.policy import (
    GuardedDevice,
    blocks_for,
    desired_policy,
)
from custom_components.voice_guard.const import DOMAIN, EVENT_NEW_HOST, GUARD_SCAN_INTERVAL

from ..fakes.adguard_home import FakeAdGuardHome
from ..fakes.pihole import FakePiHole
from ..guarded import KITCHEN_IP, device_of, filter_entry, kitchen, poll, setup_entry

START = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)
ECHO = "echo"
CATEGORIES = Categorizer(
    {
        "avs-alexa-*.amazon.com": "voice",
        "device-metrics-us.amazon.com": "telemetry",
        "amazon.com": "all_cloud",
    }
)


def _learned(inventory: Destinations, device: str = ECHO) -> datetime:
    """Watch a device from START on and return a time after its learning period."""
    inventory.record({}, [device], START)
    return START + LEARNING_PERIOD + timedelta(minutes=1)


@pytest.mark.parametrize(
    ("host", "domain"),
    [
        ("avs-alexa-eu.amazon.com", "amazon.com"),
        ("amazon.com", "amazon.com"),
        ("www.bbc.co.uk", "bbc.co.uk"),
        ("a.b.example.com.au", "example.com.au"),
        ("co.uk", "co.uk"),
        ("Device-Metrics-US.Amazon.COM.", "amazon.com"),
    ],
)
def test_a_host_belongs_to_its_registrable_domain(host: str, domain: str) -> None:
    assert registrable_domain(host) == domain


def test_the_most_specific_catalog_pattern_names_the_category() -> None:
    assert CATEGORIES("avs-alexa-eu.amazon.com") == "voice"
    assert CATEGORIES("device-metrics-us.amazon.com") == "telemetry"
    assert CATEGORIES("unagi-na.amazon.com") == "all_cloud"
    assert CATEGORIES("tracker.example.net") == UNKNOWN


def test_the_real_catalog_categorises_an_echos_hosts() -> None:
    """Every category of the device type, switches on or off, and its extra hosts."""
    catalog = load_catalog()
    echo = GuardedDevice(
        "e", "Echo", DeviceType.ECHO_DOT, extra_telemetry_hosts=("metrics.example.org",)
    )
    categorize = Categorizer(
        desired_policy(echo, set(blocks_for(echo.device_type)), catalog).categories
    )
    assert categorize("avs-alexa-eu.amazon.com") == "voice"
    assert categorize("device-metrics-us.amazon.com") == "telemetry"
    assert categorize("a.metrics.example.org") == "telemetry"
    assert categorize("www.example.com") == UNKNOWN


def test_lookups_are_counted_by_outcome_for_24_hours_and_7_days() -> None:
    inventory = Destinations()
    now = _learned(inventory)
    host = "device-metrics-us.amazon.com"
    inventory.record(
        {
            ECHO: [
                (host, now, True),
                (host, now + timedelta(seconds=1), False),
                (host, now + timedelta(seconds=2), None),
            ]
        },
        [ECHO],
        now,
    )
    (seen,) = inventory.of(ECHO, CATEGORIES, now)
    assert (seen.host, seen.domain, seen.category) == (host, "amazon.com", "telemetry")
    assert (seen.lookups_24h, seen.blocked_24h, seen.answered_24h) == (3, 1, 1)
    assert (seen.first_seen, seen.last_seen) == (now, now + timedelta(seconds=2))

    # The windows move on with the polls (record), also when the device asks nothing.
    later = now + timedelta(days=2)
    inventory.record({}, [ECHO], later)
    (seen,) = inventory.of(ECHO, CATEGORIES, later)
    assert (seen.lookups_24h, seen.lookups_7d, seen.blocked_7d, seen.answered_7d) == (0, 3, 1, 1)
    inventory.record({}, [ECHO], now + timedelta(days=8))
    (seen,) = inventory.of(ECHO, CATEGORIES, now + timedelta(days=8))
    assert (seen.lookups_24h, seen.lookups_7d) == (0, 0)


def test_a_lookup_read_twice_is_counted_once() -> None:
    """The next read starts at the newest entry read, and a restart reads a little again."""
    inventory = Destinations()
    now = _learned(inventory)
    lookups = [("a.example.com", now, False), ("b.example.com", now + timedelta(seconds=5), False)]
    inventory.record({ECHO: lookups}, [ECHO], now)
    inventory.record(
        {ECHO: [*lookups, ("a.example.com", now + timedelta(seconds=9), False)]}, [ECHO], now
    )
    counts = {d.host: d.lookups_24h for d in inventory.of(ECHO, CATEGORIES, now)}
    assert counts == {"a.example.com": 2, "b.example.com": 1}


def test_the_inventory_keeps_the_most_recent_hosts_then_the_busiest() -> None:
    inventory = Destinations()
    now = _learned(inventory)
    old = now - timedelta(hours=1)
    # Three hosts seen an hour ago: the busiest of them survives.
    inventory.record(
        {
            ECHO: [("old-busy.example.com", old, False)] * 1
            + [("old-busy.example.com", old + timedelta(seconds=s), False) for s in range(1, 4)]
            + [("old-quiet.example.com", old + timedelta(seconds=3), False)]
        },
        [ECHO],
        now,
    )
    fresh = [(f"h{n}.example.com", now + timedelta(seconds=n), False) for n in range(MAX_HOSTS - 1)]
    inventory.record({ECHO: fresh}, [ECHO], now)
    hosts = {d.host for d in inventory.of(ECHO, CATEGORIES, now)}
    assert len(hosts) == MAX_HOSTS
    assert "old-busy.example.com" in hosts
    assert "old-quiet.example.com" not in hosts


def test_new_hosts_are_news_only_after_the_learning_period_and_a_few_per_poll() -> None:
    inventory = Destinations()
    inventory.record({}, [ECHO], START)
    early = START + LEARNING_PERIOD - timedelta(minutes=1)
    changed, news = inventory.record({ECHO: [("first.example.com", early, False)]}, [ECHO], early)
    assert changed
    assert news == []

    later = START + LEARNING_PERIOD
    flood = [(f"n{n}.example.com", later + timedelta(seconds=n), n == 0) for n in range(20)]
    flood.append(("first.example.com", later + timedelta(seconds=30), False))
    _, news = inventory.record({ECHO: flood}, [ECHO], later)
    assert [n.host for n in news] == [f"n{n}.example.com" for n in range(MAX_NEWS_PER_POLL)]
    assert (news[0].time, news[0].blocked, news[1].blocked) == (later, True, False)
    assert inventory.knows(ECHO, "n19.example.com")  # kept, not reported
    assert inventory.learning_until(ECHO) == START + LEARNING_PERIOD


def test_counts_alone_wait_for_the_store_a_new_host_does_not() -> None:
    inventory = Destinations()
    now = _learned(inventory)
    inventory.saved()
    assert inventory.record({ECHO: [("a.example.com", now, False)]}, [ECHO], now)[0]
    inventory.saved()
    tick = now + timedelta(seconds=30)
    assert not inventory.record({ECHO: [("a.example.com", tick, False)]}, [ECHO], tick)[0]
    due = now + COUNTS_SAVE_EVERY + timedelta(seconds=30)
    assert inventory.record({}, [ECHO], due)[0]
    inventory.saved()
    assert not inventory.record({}, [ECHO], due + timedelta(seconds=30))[0]


def test_the_inventory_survives_a_restart_and_drops_what_is_malformed() -> None:
    inventory = Destinations()
    now = _learned(inventory)
    inventory.record(
        {ECHO: [("a.example.com", now, True), ("b.example.com", now, False)]}, [ECHO], now
    )
    stored = json.loads(json.dumps(inventory.stored()))
    stored[ECHO]["hosts"].append(["broken"])
    stored["other"] = {"watched_since": "not a time"}

    again = Destinations()
    again.load(stored)
    assert again.of(ECHO, CATEGORIES, now) == inventory.of(ECHO, CATEGORIES, now)
    assert again.learning_until(ECHO) == START + LEARNING_PERIOD
    assert again.learning_until("other") is None
    # The lookups already counted are not counted again after the restart.
    again.record({ECHO: [("a.example.com", now, True)]}, [ECHO], now)
    assert {d.host: d.lookups_24h for d in again.of(ECHO, CATEGORIES, now)} == {
        "a.example.com": 1,
        "b.example.com": 1,
    }


def test_a_device_no_longer_guarded_is_forgotten() -> None:
    inventory = Destinations()
    now = _learned(inventory)
    inventory.record({ECHO: [("a.example.com", now, False)]}, [ECHO], now)
    changed, _ = inventory.record({}, [], now)
    assert changed
    assert inventory.of(ECHO, CATEGORIES, now) == []
    assert not inventory.knows(ECHO, "a.example.com")


def test_the_hourly_picture_splits_blocked_and_answered_by_category() -> None:
    inventory = Destinations()
    now = _learned(inventory)
    inventory.record(
        {
            ECHO: [
                ("avs-alexa-eu.amazon.com", now, True),
                ("avs-alexa-eu.amazon.com", now + timedelta(seconds=1), True),
                ("www.example.com", now + timedelta(seconds=2), False),
            ]
        },
        [ECHO],
        now,
    )
    hours = inventory.hourly(ECHO, CATEGORIES, now)
    assert len(hours) == 24
    start, counts = hours[-1]
    assert datetime.fromisoformat(start) <= now < datetime.fromisoformat(start) + timedelta(hours=1)
    assert counts == {"voice": [2, 0], UNKNOWN: [0, 1]}
    assert all(c == {} for _, c in hours[:-1])
    assert inventory.hourly("nobody", CATEGORIES, now)[-1][1] == {}


# --- in Home Assistant, with both filter fakes ---------------------------------------------


@pytest.mark.parametrize("kind", ["adguard_home", "pihole"])
async def test_a_guarded_device_shows_what_it_still_reaches(
    hass: HomeAssistant,
    adguard: FakeAdGuardHome,
    pihole: FakePiHole,
    freezer: FrozenDateTimeFactory,
    kind: str,
) -> None:
    """Blocked, answered cloud and unknown hosts: sensors, privacy report, diagnostics."""
    fake: Any = adguard if kind == "adguard_home" else pihole
    entry = await setup_entry(hass, filter_entry(kind, fake.url, kitchen(blocks=["block_voice"])))
    fake.query(KITCHEN_IP, "avs-alexa-na.amazon.com")  # blocked
    fake.query(KITCHEN_IP, "device-metrics-us.amazon.com")  # Amazon's, answered
    for _ in range(2):
        fake.query(KITCHEN_IP, "tracker.example.net")  # in no catalog, answered
    fake.query("192.168.1.99", "other.example.org")  # another device's
    await poll(hass, freezer, GUARD_SCAN_INTERVAL + timedelta(seconds=1))

    cloud = hass.states.get("sensor.kitchen_echo_cloud_hosts_answered_24_h")
    assert cloud.state == "1"
    assert cloud.attributes["hosts"] == [
        {"host": "device-metrics-us.amazon.com", "category": "telemetry"}
    ]
    unknown = hass.states.get("sensor.kitchen_echo_unknown_hosts_24_h")
    assert unknown.state == "1"
    assert unknown.attributes["hosts"] == [{"host": "tracker.example.net", "category": "unknown"}]

    report = await hass.services.async_call(
        DOMAIN, "privacy_report", {}, blocking=True, return_response=True
    )
    (device,) = report["guarded_devices"]
    assert device["destinations_summary"] == (
        "Kitchen Echo, last 24 hours: 1 cloud host answered (device-metrics-us.amazon.com), "
        "1 host in no catalog answered (tracker.example.net), 1 host blocked."
    )
    categories = {d["host"]: (d["category"], d["blocked_24h"]) for d in device["destinations"]}
    assert categories == {
        "avs-alexa-na.amazon.com": ("voice", 1),
        "device-metrics-us.amazon.com": ("telemetry", 0),
        "tracker.example.net": (UNKNOWN, 0),
    }
    diagnostics = guard_diagnostics(entry)["devices"]["Kitchen Echo"]
    assert [d["host"] for d in diagnostics["destinations"]] == [
        d["host"] for d in device["destinations"]
    ]


async def test_a_new_host_after_learning_is_an_event_a_trigger_and_a_logbook_entry(
    hass: HomeAssistant, adguard: FakeAdGuardHome, freezer: FrozenDateTimeFactory
) -> None:
    hass.config.components.add("logbook")  # its entries are logbook_entry events here
    entry = await setup_entry(hass, filter_entry("adguard_home", adguard.url, kitchen()))
    adguard.query(KITCHEN_IP, "api.amazon.com")
    await poll(hass, freezer, GUARD_SCAN_INTERVAL + timedelta(seconds=1))
    device = device_of(hass, "switch.kitchen_echo_local_only")
    assert await async_setup_component(
        hass,
        "automation",
        {
            "automation": {
                "trigger": {
                    "platform": "device",
                    "domain": DOMAIN,
                    "device_id": device.id,
                    "type": "new_host",
                },
                "action": {
                    "event": "told_new_host",
                    "event_data": {"host": "{{ trigger.event.data.host }}"},
                },
            }
        },
    )
    news = async_capture_events(hass, EVENT_NEW_HOST)
    told = async_capture_events(hass, "told_new_host")
    words = async_capture_events(hass, "voice_guard_logbook")

    # Two days on: the first read after the gap sees only blocked lookups (a catch-up)
    # and goes on from the newest entry of the log.
    freezer.tick(LEARNING_PERIOD)
    adguard.query("192.168.1.99", "other.example.org")
    await poll(hass, freezer, GUARD_SCAN_INTERVAL + timedelta(seconds=1))
    adguard.query(KITCHEN_IP, "api.amazon.com")  # known: no news
    adguard.query(KITCHEN_IP, "firmware.example.net")  # new
    await poll(hass, freezer, GUARD_SCAN_INTERVAL + timedelta(seconds=1))

    assert [
        (e.data["host"], e.data["domain"], e.data["category"], e.data["blocked"]) for e in news
    ] == [("firmware.example.net", "example.net", UNKNOWN, False)]
    assert news[0].data["device_id"] == device.id
    assert [e.data["host"] for e in told] == ["firmware.example.net"]
    assert [e.data["message"] for e in words] == [
        "looked up a host it never looked up before: firmware.example.net (in no catalog)"
    ]
    assert words[0].data["name"] == "Kitchen Echo"

    # After a restart the host is known: it is no news again.
    await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done()
    adguard.query(KITCHEN_IP, "firmware.example.net")
    await poll(hass, freezer, GUARD_SCAN_INTERVAL + timedelta(seconds=1))
    assert len(news) == 1


async def test_a_seen_host_is_blocked_from_the_action_with_its_breakage_note(
    hass: HomeAssistant, adguard: FakeAdGuardHome, freezer: FrozenDateTimeFactory
) -> None:
    await setup_entry(
        hass, filter_entry("adguard_home", adguard.url, kitchen(blocks=["block_telemetry"]))
    )
    device = device_of(hass, "switch.kitchen_echo_local_only")
    assert adguard.query(KITCHEN_IP, "tracker.example.net") == "NotFilteredNotFound"

    answer = await hass.services.async_call(
        DOMAIN,
        "block_host",
        {"device_id": device.id, "host": "Tracker.Example.NET.", "block_as": "telemetry"},
        blocking=True,
        return_response=True,
    )
    await hass.async_block_till_done()
    assert answer == {
        "host": "tracker.example.net",
        "block_as": "telemetry",
        "added": True,
        "breakage": None,
    }
    assert adguard.query(KITCHEN_IP, "tracker.example.net") == "FilteredBlackList"
    assert adguard.query("192.168.1.99", "tracker.example.net") == "NotFilteredNotFound"

    # A catalog host: the answer names what blocking it broke for others.
    answer = await hass.services.async_call(
        DOMAIN,
        "block_host",
        {"device_id": device.id, "host": "device-metrics-us.amazon.com", "block_as": "telemetry"},
        blocking=True,
        return_response=True,
    )
    assert "StevenBlack/hosts#596" in answer["breakage"]

    again = await hass.services.async_call(
        DOMAIN,
        "block_host",
        {"device_id": device.id, "host": "tracker.example.net", "block_as": "telemetry"},
        blocking=True,
        return_response=True,
    )
    assert again["added"] is False


async def test_ten_hosts_blocked_at_once_are_all_blocked(
    hass: HomeAssistant, adguard: FakeAdGuardHome
) -> None:
    """Each block_host is written before it answers; none reloads the filter entry.

    Measured from outside: of 10 calls at once 1 succeeded and 9 answered "not a device
    guarded by Voice Guard" (each reloaded the entry); with apply_policy beside them too.
    """
    entry = await setup_entry(
        hass, filter_entry("adguard_home", adguard.url, kitchen(blocks=["block_telemetry"]))
    )
    coordinator = entry.runtime_data
    device = device_of(hass, "switch.kitchen_echo_local_only")
    hosts = [f"t{n}.example.net" for n in range(10)]

    async def block(host: str) -> Any:
        return await hass.services.async_call(
            DOMAIN, "block_host", {"device_id": device.id, "host": host, "block_as": "telemetry"},
            blocking=True, return_response=True,
        )  # fmt: skip

    async def policy() -> Any:
        return await hass.services.async_call(
            DOMAIN, "apply_policy",
            {"device_id": device.id, "block": ["block_telemetry", "block_voice"]},
            blocking=True, return_response=True,
        )  # fmt: skip

    answers = await asyncio.gather(*(block(host) for host in hosts), policy())

    assert [answer["added"] for answer in answers[:10]] == [True] * 10
    for host in hosts:  # in force when the calls answered, before anything else ran
        assert adguard.query(KITCHEN_IP, host) == "FilteredBlackList", host
    assert adguard.query(KITCHEN_IP, "avs-alexa-na.amazon.com") == "FilteredBlackList"
    await hass.async_block_till_done()
    assert entry.runtime_data is coordinator  # not reloaded
    assert hass.states.get("switch.kitchen_echo_block_cloud_voice").state == "on"


@pytest.mark.parametrize("host", ["co.uk", "*.*.example.com", "no host", "x" * 300])
async def test_blocking_a_host_that_is_none_is_refused_in_words(
    hass: HomeAssistant, adguard: FakeAdGuardHome, host: str
) -> None:
    await setup_entry(hass, filter_entry("adguard_home", adguard.url, kitchen()))
    device = device_of(hass, "switch.kitchen_echo_local_only")
    with pytest.raises((ServiceValidationError, vol.Invalid)) as err:
        await hass.services.async_call(
            DOMAIN,
            "block_host",
            {"device_id": device.id, "host": host, "block_as": "voice"},
            blocking=True,
            return_response=True,
        )
    if isinstance(err.value, ServiceValidationError):
        assert err.value.translation_key == "invalid_block_host"
    with pytest.raises(ServiceValidationError) as err:
        await hass.services.async_call(
            DOMAIN,
            "block_host",
            {"device_id": "nobody", "host": "a.example.com", "block_as": "voice"},
            blocking=True,
        )
    assert err.value.translation_key == "not_guarded"


def test_a_poll_works_out_again_only_the_hosts_it_read() -> None:
    """Polling costs what changed: 100 hosts kept, one looked up, one worked out again."""
    inventory = Destinations()
    now = _learned(inventory)
    inventory.record(
        {ECHO: [(f"h{n}.example.com", now, False) for n in range(MAX_HOSTS)]}, [ECHO], now
    )
    inventory.of(ECHO, CATEGORIES, now)
    tick = now + timedelta(seconds=30)
    inventory.record({ECHO: [("h7.example.com", tick, True)]}, [ECHO], tick)
    with patch.object(destinations, "_destination", wraps=destinations._destination) as work:
        shown = inventory.of(ECHO, CATEGORIES, tick)
        assert work.call_count == 1
        assert inventory.of(ECHO, CATEGORIES, tick) is shown  # nothing new: no work
        assert work.call_count == 1
    assert shown[0].host == "h7.example.com"  # two lookups now: first
    # Other categories (a changed device): everything is worked out again.
    other = Categorizer({"example.com": "telemetry"})
    assert {d.category for d in inventory.of(ECHO, other, tick)} == {"telemetry"}


def test_old_counts_are_dropped_within_ten_polls_of_the_hour() -> None:
    """The hourly drop is spread: a tenth of the devices per poll, the busy ones first."""
    devices = [f"echo{n}" for n in range(20)]
    inventory = Destinations()
    inventory.record({}, devices, START)
    inventory.record({d: [("a.example.com", START, False)] for d in devices}, devices, START)

    def counted(now: datetime) -> int:
        """Lookups of a.example.com in 24 hours, as the devices' entities show them."""
        return sum(
            h.lookups_24h
            for d in devices
            for h in inventory.of(d, CATEGORIES, now)
            if h.host == "a.example.com"
        )

    assert counted(START) == 20
    day_later = START + timedelta(hours=24, minutes=1)
    busy = day_later + timedelta(seconds=1)
    inventory.record({"echo19": [("b.example.com", busy, False)]}, devices, day_later)
    shown = {d.host: d.lookups_24h for d in inventory.of("echo19", CATEGORIES, day_later)}
    assert shown == {"a.example.com": 0, "b.example.com": 1}
    polls = 1
    while counted(day_later):
        inventory.record({}, devices, day_later + timedelta(seconds=30 * polls))
        polls += 1
        assert polls <= 10
    assert polls == 10


async def test_a_device_holds_at_most_a_hundred_extra_hosts_of_a_kind(
    hass: HomeAssistant, adguard: FakeAdGuardHome
) -> None:
    """2,000 extra hosts were accepted and held the event loop for 2 s: now a clear no."""
    entry = await setup_entry(
        hass,
        filter_entry(
            "adguard_home",
            adguard.url,
            kitchen(extra_telemetry_hosts=[f"t{n}.example.net" for n in range(100)]),
        ),
    )
    device = device_of(hass, "switch.kitchen_echo_local_only")
    with pytest.raises(ServiceValidationError) as err:
        await hass.services.async_call(
            DOMAIN,
            "block_host",
            {"device_id": device.id, "host": "one-more.example.net", "block_as": "telemetry"},
            blocking=True,
            return_response=True,
        )
    assert err.value.translation_key == "too_many_hosts"
    assert err.value.translation_placeholders == {"device": "Kitchen Echo", "limit": "100"}
    assert len(next(iter(entry.subentries.values())).data["extra_telemetry_hosts"]) == 100


async def test_the_report_names_each_host_once(
    hass: HomeAssistant, adguard: FakeAdGuardHome, freezer: FrozenDateTimeFactory
) -> None:
    """A host answered, then blocked by the owner, is "blocked" in the report, not both."""
    await setup_entry(
        hass, filter_entry("adguard_home", adguard.url, kitchen(blocks=["block_telemetry"]))
    )
    device = device_of(hass, "switch.kitchen_echo_local_only")
    freezer.tick(1)
    adguard.query(KITCHEN_IP, "tracker.example.net")  # answered: in no catalog
    await poll(hass, freezer, GUARD_SCAN_INTERVAL + timedelta(seconds=1))
    await hass.services.async_call(
        DOMAIN,
        "block_host",
        {"device_id": device.id, "host": "tracker.example.net", "block_as": "telemetry"},
        blocking=True,
        return_response=True,
    )
    freezer.tick(1)
    assert adguard.query(KITCHEN_IP, "tracker.example.net") == "FilteredBlackList"
    await poll(hass, freezer, GUARD_SCAN_INTERVAL + timedelta(seconds=1))
    report = await hass.services.async_call(
        DOMAIN, "privacy_report", {}, blocking=True, return_response=True
    )
    (guarded,) = report["guarded_devices"]
    assert guarded["destinations_summary"] == (
        "Kitchen Echo, last 24 hours: 0 cloud hosts answered, 0 hosts in no catalog answered, "
        "1 host blocked."
    )
