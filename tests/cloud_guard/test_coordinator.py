"""The cloud guard in Home Assistant: filters as entries, guarded devices as subentries."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from unittest.mock import patch

from freezegun.api import FrozenDateTimeFactory
from homeassistant.config_entries import ConfigEntryState, ConfigSubentryData
from homeassistant.const import (
    CONF_PASSWORD,
    CONF_USERNAME,
    STATE_OFF,
    STATE_ON,
    STATE_UNAVAILABLE,
)
from homeassistant.core import Event, HomeAssistant
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers import device_registry as dr, entity_registry as er, issue_registry as ir
from homeassistant.helpers.storage import Store
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import async_fire_time_changed

from custom_components.voice_guard.cloud_guard.dns.filters.adguard_home import BEGIN
from custom_components.voice_guard.const import (
    DOMAIN,
    EVENT_REQUEST_BLOCKED,
    GUARD_SCAN_INTERVAL,
    SUBENTRY_DEVICE,
)

from ..fakes.adguard_home import FakeAdGuardHome
from ..fakes.pihole import FakePiHole
from ..guarded import (
    KITCHEN_IP,
    KITCHEN_MAC,
    blocked_attempt,
    device_data,
    device_of,
    filter_entry,
    kitchen,
    poll,
    set_switch,
    setup_entry,
)


async def test_echo_device_entities(hass: HomeAssistant, adguard: FakeAdGuardHome) -> None:
    """A guarded Echo gets its switches, sensors and a device linked by MAC."""
    entry = await setup_entry(hass, filter_entry("adguard_home", adguard.url, kitchen()))
    assert entry.state is ConfigEntryState.LOADED

    entities = er.async_entries_for_config_entry(er.async_get(hass), entry.entry_id)
    assert sorted(e.entity_id for e in entities) == [
        "binary_sensor.kitchen_echo_cloud_voice_attempt",
        "binary_sensor.kitchen_echo_protection_confirmed",
        "button.kitchen_echo_end_cloud_allowance",
        "sensor.kitchen_echo_blocked_requests_24_h",
        "sensor.kitchen_echo_cloud_allowed_until",
        "sensor.kitchen_echo_cloud_hosts_answered_24_h",
        "sensor.kitchen_echo_last_blocked_request",
        "sensor.kitchen_echo_policy",
        "sensor.kitchen_echo_protection",
        "sensor.kitchen_echo_unknown_hosts_24_h",
        "switch.kitchen_echo_block_alexa",
        "switch.kitchen_echo_block_cloud_voice",
        "switch.kitchen_echo_block_telemetry",
        "switch.kitchen_echo_local_only",
    ]
    device = device_of(hass, "switch.kitchen_echo_local_only")
    assert (dr.CONNECTION_NETWORK_MAC, KITCHEN_MAC) in device.connections
    assert (device.name, device.manufacturer, device.model) == (
        "Kitchen Echo",
        "Amazon",
        "Echo Dot",
    )
    assert hass.states.get("sensor.kitchen_echo_policy").state == "off"
    assert hass.states.get("binary_sensor.kitchen_echo_protection_confirmed").state == STATE_OFF


async def test_ring_has_no_voice_switches(hass: HomeAssistant, adguard: FakeAdGuardHome) -> None:
    """Switches a device type has no hosts for are not offered."""
    ring = ConfigSubentryData(
        data=device_data("ring", ip="192.168.1.30", mac=None),
        subentry_type=SUBENTRY_DEVICE,
        title="Front door",
        unique_id="192.168.1.30",
    )
    await setup_entry(hass, filter_entry("adguard_home", adguard.url, ring))
    assert hass.states.get("switch.front_door_block_cloud_voice") is None
    assert hass.states.get("switch.front_door_block_alexa") is None
    assert hass.states.get("switch.front_door_local_only") is not None


@pytest.mark.parametrize("kind", ["adguard_home", "pihole"])
async def test_switches_block_and_are_confirmed(
    hass: HomeAssistant,
    adguard: FakeAdGuardHome,
    pihole: FakePiHole,
    freezer: FrozenDateTimeFactory,
    kind: str,
) -> None:
    """A switch blocks its hosts at once, for that device; a blocked attempt confirms it."""
    fake: Any = adguard if kind == "adguard_home" else pihole
    fake.query(KITCHEN_IP, "www.example.com")  # the Echo asks this filter
    await setup_entry(hass, filter_entry(kind, fake.url, kitchen()))
    blocked = {"FilteredBlackList", "REGEX"}

    await set_switch(hass, "switch.kitchen_echo_block_cloud_voice", on=True)
    assert hass.states.get("switch.kitchen_echo_block_cloud_voice").state == STATE_ON
    # Rules in force and the device asks the filter: not confirmed without an attempt.
    confirmed = hass.states.get("binary_sensor.kitchen_echo_protection_confirmed")
    assert (confirmed.state, confirmed.attributes["proof"]) == (
        STATE_OFF,
        "rules_in_force_no_attempt_yet",
    )
    await poll(hass, freezer, timedelta(seconds=1))
    assert fake.query(KITCHEN_IP, "avs-alexa-na.amazon.com") in blocked
    assert fake.query("192.168.1.99", "avs-alexa-na.amazon.com") not in blocked
    assert fake.query(KITCHEN_IP, "device-metrics-us.amazon.com") not in blocked
    await poll(hass, freezer, GUARD_SCAN_INTERVAL + timedelta(seconds=1))
    confirmed = hass.states.get("binary_sensor.kitchen_echo_protection_confirmed")
    assert (confirmed.state, confirmed.attributes["proof"]) == (STATE_ON, "blocked_seen")
    assert confirmed.attributes["blocked_hosts"] == [
        "avs-alexa-*.amazon.com",
        "gateway.devices.a2z.com",
    ]
    assert hass.states.get("sensor.kitchen_echo_policy").state == "voice"

    await set_switch(hass, "switch.kitchen_echo_block_telemetry", on=True)
    assert fake.query(KITCHEN_IP, "device-metrics-us.amazon.com") in blocked
    assert hass.states.get("sensor.kitchen_echo_policy").state == "voice_and_telemetry"

    await set_switch(hass, "switch.kitchen_echo_local_only", on=True)
    assert fake.query(KITCHEN_IP, "api.amazon.com") in blocked
    assert hass.states.get("sensor.kitchen_echo_policy").state == "local_only"

    for key in ("block_cloud_voice", "block_telemetry", "local_only"):
        await set_switch(hass, f"switch.kitchen_echo_{key}", on=False)
    assert fake.query(KITCHEN_IP, "avs-alexa-na.amazon.com") not in blocked
    assert hass.states.get("binary_sensor.kitchen_echo_protection_confirmed").state == STATE_OFF
    if kind == "adguard_home":
        assert adguard.user_rules == ["||ads.example.com^"]


async def test_policy_survives_a_restart(hass: HomeAssistant, adguard: FakeAdGuardHome) -> None:
    """The switches are the stored desired policy, not whatever the filter holds."""
    entry = await setup_entry(hass, filter_entry("adguard_home", adguard.url, kitchen()))
    await set_switch(hass, "switch.kitchen_echo_block_cloud_voice", on=True)
    await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done()
    assert hass.states.get("switch.kitchen_echo_block_cloud_voice").state == STATE_ON


async def test_initial_blocks_apply_on_setup(hass: HomeAssistant, pihole: FakePiHole) -> None:
    """Blocks chosen when adding the device are applied at once."""
    await setup_entry(hass, filter_entry("pihole", pihole.url, kitchen(blocks=["block_telemetry"])))
    assert hass.states.get("switch.kitchen_echo_block_telemetry").state == STATE_ON
    assert pihole.query(KITCHEN_IP, "unagi-na.amazon.com") == "REGEX"


async def test_filter_down_and_back(
    hass: HomeAssistant, adguard: FakeAdGuardHome, freezer: FrozenDateTimeFactory
) -> None:
    """Unreachable: entities unavailable, policy kept. Back: the policy is applied again."""
    adguard.query(KITCHEN_IP, "www.example.com")
    await setup_entry(hass, filter_entry("adguard_home", adguard.url, kitchen()))
    await set_switch(hass, "switch.kitchen_echo_block_cloud_voice", on=True)

    adguard.fail_status = 502
    adguard.user_rules = []  # the filter came back from a restore without our rules
    freezer.tick(GUARD_SCAN_INTERVAL + timedelta(seconds=1))
    async_fire_time_changed(hass)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert hass.states.get("switch.kitchen_echo_block_cloud_voice").state == STATE_UNAVAILABLE
    assert (
        hass.states.get("binary_sensor.kitchen_echo_protection_confirmed").state
        == STATE_UNAVAILABLE
    )

    adguard.fail_status = None
    freezer.tick(GUARD_SCAN_INTERVAL + timedelta(seconds=1))
    async_fire_time_changed(hass)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert hass.states.get("switch.kitchen_echo_block_cloud_voice").state == STATE_ON
    freezer.tick(timedelta(seconds=1))  # the attempt comes after the rules were written again
    assert adguard.query(KITCHEN_IP, "avs-alexa-na.amazon.com") == "FilteredBlackList"
    await poll(hass, freezer, GUARD_SCAN_INTERVAL + timedelta(seconds=1))
    assert hass.states.get("binary_sensor.kitchen_echo_protection_confirmed").state == STATE_ON


async def test_filter_down_at_startup_retries(
    hass: HomeAssistant, adguard: FakeAdGuardHome
) -> None:
    """Setup retries while the filter is unreachable."""
    adguard.fail_status = 503
    entry = await setup_entry(hass, filter_entry("adguard_home", adguard.url, kitchen()))
    assert entry.state is ConfigEntryState.SETUP_RETRY


async def test_rules_removed_by_hand_are_restored_and_reported(
    hass: HomeAssistant, adguard: FakeAdGuardHome, freezer: FrozenDateTimeFactory
) -> None:
    """Someone deletes Voice Guard's rules in AdGuard Home: re-applied, and a repair says so."""
    entry = await setup_entry(hass, filter_entry("adguard_home", adguard.url, kitchen()))
    await set_switch(hass, "switch.kitchen_echo_block_cloud_voice", on=True)
    adguard.user_rules = ["||ads.example.com^", "||mine.example.com^"]

    freezer.tick(GUARD_SCAN_INTERVAL + timedelta(seconds=1))
    async_fire_time_changed(hass)
    await hass.async_block_till_done(wait_background_tasks=True)

    assert adguard.user_rules[:2] == ["||ads.example.com^", "||mine.example.com^"]
    assert BEGIN in adguard.user_rules
    issue = ir.async_get(hass).async_get_issue(DOMAIN, f"rules_removed_{entry.entry_id}")
    assert issue is not None
    assert issue.translation_placeholders == {"devices": "Kitchen Echo", "filter": entry.title}


async def test_blocked_lookups_fire_events_once_and_feed_sensors(
    hass: HomeAssistant, pihole: FakePiHole, freezer: FrozenDateTimeFactory
) -> None:
    """Each blocked lookup fires one event; the sensors count and time them."""
    await setup_entry(hass, filter_entry("pihole", pihole.url, kitchen(blocks=["block_voice"])))
    events: list[Event] = []
    hass.bus.async_listen(EVENT_REQUEST_BLOCKED, events.append)

    pihole.query(KITCHEN_IP, "avs-alexa-na.amazon.com")
    pihole.query(KITCHEN_IP, "api.amazon.com")  # allowed: no event
    freezer.tick(GUARD_SCAN_INTERVAL + timedelta(seconds=1))
    async_fire_time_changed(hass)
    await hass.async_block_till_done(wait_background_tasks=True)

    assert len(events) == 1
    device = device_of(hass, "switch.kitchen_echo_local_only")
    assert (DOMAIN, events[0].data["subentry_id"]) in device.identifiers
    assert events[0].data["device_id"] == device.id
    assert events[0].data["host"] == "avs-alexa-na.amazon.com"
    assert events[0].data["category"] == "voice"
    assert hass.states.get("sensor.kitchen_echo_blocked_requests_24_h").state == "1"
    last = hass.states.get("sensor.kitchen_echo_last_blocked_request")
    assert last.attributes == last.attributes | {
        "host": "avs-alexa-na.amazon.com",
        "category": "voice",
    }
    assert hass.states.get("binary_sensor.kitchen_echo_cloud_voice_attempt").state == STATE_ON

    # The same lookup is not reported again; the attempt sensor turns off after a minute.
    freezer.tick(timedelta(seconds=61))
    async_fire_time_changed(hass)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert len(events) == 1
    assert hass.states.get("binary_sensor.kitchen_echo_cloud_voice_attempt").state == STATE_OFF
    assert hass.states.get("sensor.kitchen_echo_blocked_requests_24_h").state == "1"


async def test_events_are_not_repeated_after_a_restart(
    hass: HomeAssistant, adguard: FakeAdGuardHome
) -> None:
    """A restart reads the last 24 h again for the counts but fires no old events."""
    entry = await setup_entry(
        hass, filter_entry("adguard_home", adguard.url, kitchen(blocks=["block_voice"]))
    )
    adguard.query(KITCHEN_IP, "avs-alexa-na.amazon.com", dt_util.utcnow())
    await entry.runtime_data.async_refresh()
    events: list[Event] = []
    hass.bus.async_listen(EVENT_REQUEST_BLOCKED, events.append)
    await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done()
    assert events == []
    assert hass.states.get("sensor.kitchen_echo_blocked_requests_24_h").state == "1"


async def test_wrong_credentials_start_reauth(
    hass: HomeAssistant, adguard: FakeAdGuardHome
) -> None:
    """A 401 starts a reauthentication flow."""
    adguard.password = "changed"  # noqa: S105
    entry = await setup_entry(hass, filter_entry("adguard_home", adguard.url, kitchen()))
    assert entry.state is ConfigEntryState.SETUP_ERROR
    flows = hass.config_entries.flow.async_progress()
    assert [f["context"]["source"] for f in flows] == ["reauth"]

    result = await hass.config_entries.flow.async_configure(
        flows[0]["flow_id"], {CONF_USERNAME: "admin", CONF_PASSWORD: "wrong"}
    )
    assert result["errors"] == {"base": "invalid_auth"}
    result = await hass.config_entries.flow.async_configure(
        flows[0]["flow_id"], {CONF_USERNAME: "admin", CONF_PASSWORD: "changed"}
    )
    await hass.async_block_till_done()
    assert result["reason"] == "reauth_successful"
    assert entry.state is ConfigEntryState.LOADED
    assert entry.data[CONF_PASSWORD] == "changed"


async def test_removing_a_device_removes_its_rules_and_entities(
    hass: HomeAssistant, pihole: FakePiHole
) -> None:
    """Deleting the subentry takes its rules out of the filter and its entities away."""
    entry = await setup_entry(
        hass, filter_entry("pihole", pihole.url, kitchen(blocks=["block_voice"]))
    )
    assert pihole.query(KITCHEN_IP, "avs-alexa-na.amazon.com") == "REGEX"
    subentry_id = next(iter(entry.subentries))
    assert hass.config_entries.async_remove_subentry(entry, subentry_id)
    await hass.async_block_till_done()
    assert pihole.query(KITCHEN_IP, "avs-alexa-na.amazon.com") == "FORWARDED"
    assert [g["name"] for g in pihole.groups] == ["Default"]
    assert hass.states.get("switch.kitchen_echo_block_cloud_voice") is None
    assert not er.async_entries_for_config_entry(er.async_get(hass), entry.entry_id)


async def test_removing_the_filter_removes_all_rules(
    hass: HomeAssistant, adguard: FakeAdGuardHome
) -> None:
    """Deleting a filter entry leaves the user's rules and nothing of Voice Guard's."""
    entry = await setup_entry(
        hass, filter_entry("adguard_home", adguard.url, kitchen(blocks=["block_voice"]))
    )
    assert BEGIN in adguard.user_rules
    await hass.config_entries.async_remove(entry.entry_id)
    await hass.async_block_till_done()
    assert adguard.user_rules == ["||ads.example.com^"]


@pytest.mark.parametrize("kind", ["adguard_home", "pihole"])
async def test_removing_a_filter_that_is_down_leaves_a_repair(
    hass: HomeAssistant, adguard: FakeAdGuardHome, pihole: FakePiHole, kind: str
) -> None:
    """The rules cannot be removed now: a repair names what to delete, and where."""
    fake = adguard if kind == "adguard_home" else pihole
    entry = await setup_entry(hass, filter_entry(kind, fake.url, kitchen(blocks=["block_voice"])))
    fake.fail_status = 503
    await hass.config_entries.async_remove(entry.entry_id)
    await hass.async_block_till_done()
    issue = ir.async_get(hass).async_get_issue(DOMAIN, f"leftover_rules_{entry.entry_id}")
    assert issue is not None
    assert issue.translation_key == f"leftover_rules_{kind}"
    assert issue.translation_placeholders["filter"] == entry.title


async def test_hundred_devices_are_reconciled_with_few_writes(
    hass: HomeAssistant, adguard: FakeAdGuardHome
) -> None:
    """100 guarded devices: one rule list write for all of them."""
    devices = [
        ConfigSubentryData(
            data=device_data(ip=f"10.0.{n // 200}.{n % 200 + 2}", mac=None, blocks=["block_voice"]),
            subentry_type=SUBENTRY_DEVICE,
            title=f"Echo {n}",
            unique_id=f"echo{n}",
        )
        for n in range(100)
    ]
    for n in range(100):
        adguard.query(f"10.0.{n // 200}.{n % 200 + 2}", "www.example.com")
    entry = await setup_entry(hass, filter_entry("adguard_home", adguard.url, *devices))
    assert entry.state is ConfigEntryState.LOADED
    assert entry.runtime_data.writes == 1
    assert adguard.query("10.0.0.51", "avs-alexa-na.amazon.com") == "FilteredBlackList"
    await blocked_attempt(hass, adguard, entry, "10.0.0.101")  # Echo 99
    assert hass.states.get("binary_sensor.echo_99_protection_confirmed").state == STATE_ON
    assert entry.runtime_data.writes == 1


async def test_reauth_tells_a_lockout_from_a_wrong_password(
    hass: HomeAssistant, adguard: FakeAdGuardHome
) -> None:
    """After five failures the right password still gets 401: reauth says "wait", not "wrong"."""
    adguard.password = "changed"  # noqa: S105
    entry = await setup_entry(hass, filter_entry("adguard_home", adguard.url, kitchen()))
    flow_id = hass.config_entries.flow.async_progress()[0]["flow_id"]
    errors = []
    for _ in range(5):
        result = await hass.config_entries.flow.async_configure(
            flow_id, {CONF_USERNAME: "admin", CONF_PASSWORD: "wrong"}
        )
        errors.append(result["errors"]["base"])
    assert errors[0] == "invalid_auth"
    assert errors[-1] == "locked_out"  # the setup's own failed request counted too
    result = await hass.config_entries.flow.async_configure(
        flow_id, {CONF_USERNAME: "admin", CONF_PASSWORD: "changed"}
    )
    assert result["errors"] == {"base": "locked_out"}
    assert entry.state is ConfigEntryState.SETUP_ERROR


@pytest.mark.parametrize("kind", ["adguard_home", "pihole"])
async def test_protection_is_confirmed_only_while_the_device_asks_the_filter(
    hass: HomeAssistant,
    adguard: FakeAdGuardHome,
    pihole: FakePiHole,
    freezer: FrozenDateTimeFactory,
    kind: str,
) -> None:
    """Rules in force are not enough: a device that never asks the filter is not protected."""
    fake: Any = adguard if kind == "adguard_home" else pihole
    entry = await setup_entry(hass, filter_entry(kind, fake.url, kitchen(blocks=["block_voice"])))
    confirmed = hass.states.get("binary_sensor.kitchen_echo_protection_confirmed")
    assert confirmed.state == STATE_OFF
    assert confirmed.attributes["proof"] == "no_lookups_seen"
    assert confirmed.attributes["unconfirmed_hosts"] == []  # the rules are in force

    fake.query(KITCHEN_IP, "www.example.com")  # the Echo asks the filter now
    await poll(hass, freezer, GUARD_SCAN_INTERVAL + timedelta(seconds=1))
    confirmed = hass.states.get("binary_sensor.kitchen_echo_protection_confirmed")
    assert confirmed.state == STATE_OFF  # asking, but no attempt blocked yet
    assert confirmed.attributes["proof"] == "rules_in_force_no_attempt_yet"
    assert confirmed.attributes["last_lookup"] is not None
    fake.query(KITCHEN_IP, "avs-alexa-na.amazon.com")
    await poll(hass, freezer, GUARD_SCAN_INTERVAL + timedelta(seconds=1))
    confirmed = hass.states.get("binary_sensor.kitchen_echo_protection_confirmed")
    assert (confirmed.state, confirmed.attributes["proof"]) == (STATE_ON, "blocked_seen")

    # A day later without a single lookup (DNS over HTTPS, say): off, and a repair.
    issue_id = f"no_lookups_{next(iter(entry.subentries))}"
    await poll(hass, freezer, timedelta(hours=24, minutes=1))
    confirmed = hass.states.get("binary_sensor.kitchen_echo_protection_confirmed")
    assert (confirmed.state, confirmed.attributes["proof"]) == (STATE_OFF, "no_lookups_seen")
    issue = ir.async_get(hass).async_get_issue(DOMAIN, issue_id)
    assert issue is not None
    assert issue.translation_key == "no_lookups"
    assert issue.translation_placeholders["device"] == "Kitchen Echo"
    assert KITCHEN_IP in issue.translation_placeholders["address"]

    fake.query(KITCHEN_IP, "www.example.com")
    await poll(hass, freezer, GUARD_SCAN_INTERVAL + timedelta(seconds=1))
    assert hass.states.get("binary_sensor.kitchen_echo_protection_confirmed").state == STATE_ON
    assert ir.async_get(hass).async_get_issue(DOMAIN, issue_id) is None


async def test_a_filter_that_hides_the_proof_says_so(
    hass: HomeAssistant, adguard: FakeAdGuardHome
) -> None:
    """A client AdGuard Home does not log: no silent zero, no "protected"; a repair says why."""
    adguard.persistent_clients = [
        {"name": "Echo", "ids": [KITCHEN_IP], "ignore_querylog": True, "filtering_enabled": True}
    ]
    adguard.query(KITCHEN_IP, "avs-alexa-na.amazon.com")  # blocked, and not logged
    entry = await setup_entry(
        hass, filter_entry("adguard_home", adguard.url, kitchen(blocks=["block_voice"]))
    )
    assert adguard.query(KITCHEN_IP, "avs-alexa-na.amazon.com") == "FilteredBlackList"
    confirmed = hass.states.get("binary_sensor.kitchen_echo_protection_confirmed")
    assert confirmed.state == STATE_OFF
    assert confirmed.attributes["proof"] == "hidden_by_filter"
    assert confirmed.attributes["hidden_by_filter"] == ["client_not_logged"]
    count = hass.states.get("sensor.kitchen_echo_blocked_requests_24_h")
    assert count.state == "unknown"
    assert count.attributes["hidden_by_filter"] == ["client_not_logged"]
    issue = ir.async_get(hass).async_get_issue(DOMAIN, f"no_lookups_{next(iter(entry.subentries))}")
    assert issue is not None
    assert issue.translation_key == "proof_hidden"
    assert issue.translation_placeholders["reasons"] == "client_not_logged"


async def test_a_steady_poll_reads_only_new_lookups_and_writes_nothing(
    hass: HomeAssistant, adguard: FakeAdGuardHome, freezer: FrozenDateTimeFactory
) -> None:
    """Polling costs what changed: one query-log request, no store write when nothing did."""
    old = dt_util.utcnow() - timedelta(hours=2)
    for n in range(2000):
        adguard.query(f"10.0.1.{n % 200}", f"site{n}.example.com", old)
    adguard.query(KITCHEN_IP, "www.example.com")
    await setup_entry(
        hass, filter_entry("adguard_home", adguard.url, kitchen(blocks=["block_voice"]))
    )
    await poll(hass, freezer, GUARD_SCAN_INTERVAL + timedelta(seconds=1))
    with (
        patch.object(Store, "async_delay_save") as delayed,
        patch.object(Store, "async_save") as saved,
    ):
        adguard.querylog_calls = 0
        for _ in range(3):
            # Allowed lookups of a host it knows: counts, written with the next change.
            adguard.query(KITCHEN_IP, "www.example.com")
            await poll(hass, freezer, GUARD_SCAN_INTERVAL + timedelta(seconds=1))
        assert adguard.querylog_calls == 3
        assert (delayed.call_count, saved.call_count) == (0, 0)

        adguard.query(KITCHEN_IP, "avs-alexa-na.amazon.com")  # something to keep
        await poll(hass, freezer, GUARD_SCAN_INTERVAL + timedelta(seconds=1))
        assert delayed.call_count == 1
    assert hass.states.get("sensor.kitchen_echo_blocked_requests_24_h").state == "1"
    assert hass.states.get("binary_sensor.kitchen_echo_protection_confirmed").state == STATE_ON


async def test_unloading_shuts_the_coordinator_down_once(
    hass: HomeAssistant, pihole: FakePiHole
) -> None:
    """One store write and one closed session per unload, whoever asks for it."""
    entry = await setup_entry(
        hass, filter_entry("pihole", pihole.url, kitchen(blocks=["block_voice"]))
    )
    logouts = pihole.logouts
    with patch.object(Store, "async_save") as saved:
        assert await hass.config_entries.async_unload(entry.entry_id)
        await hass.async_block_till_done()
    assert saved.call_count == 1
    assert pihole.logouts == logouts + 1


def _proof(hass: HomeAssistant) -> Any:
    return hass.states.get("binary_sensor.kitchen_echo_protection_confirmed")


async def test_an_answered_guarded_lookup_disproves_protection(
    hass: HomeAssistant, pihole: FakePiHole, freezer: FrozenDateTimeFactory
) -> None:
    """Every rule in force, the device asks the filter, and still a guarded host is answered.

    A user's own allow entry in Pi-hole wins over Voice Guard's deny regex; the lists look
    fine, the query log shows the truth: Protection confirmed goes off at once, with the
    lookup, a repair naming the device, an event, and "no longer protected" fires.
    """
    entry = await setup_entry(
        hass, filter_entry("pihole", pihole.url, kitchen(blocks=["block_voice"]))
    )
    subentry_id = next(iter(entry.subentries))
    freezer.tick(1)  # a lookup after the rules took effect
    pihole.query(KITCHEN_IP, "avs-alexa-na.amazon.com")
    await poll(hass, freezer, GUARD_SCAN_INTERVAL + timedelta(seconds=1))
    assert (_proof(hass).state, _proof(hass).attributes["proof"]) == (STATE_ON, "blocked_seen")

    answered: list[Event] = []
    hass.bus.async_listen("voice_guard_lookup_answered", answered.append)
    pihole.domains.append(
        {
            "id": 900,
            "domain": "avs-alexa-na.amazon.com",
            "type": "allow",
            "kind": "exact",
            "comment": "mine",
            "groups": [0],
            "enabled": True,
        }
    )
    assert pihole.query(KITCHEN_IP, "avs-alexa-na.amazon.com") == "FORWARDED"
    await poll(hass, freezer, GUARD_SCAN_INTERVAL + timedelta(seconds=1))
    proof = _proof(hass)
    assert (proof.state, proof.attributes["proof"]) == (STATE_OFF, "answered")
    assert proof.attributes["unconfirmed_hosts"] == []  # the rules themselves are in force
    assert proof.attributes["answered"]["host"] == "avs-alexa-na.amazon.com"
    assert proof.attributes["answered"]["status"] == "FORWARDED"
    assert proof.attributes["answered"]["address"] == KITCHEN_IP
    issue = ir.async_get(hass).async_get_issue(DOMAIN, f"answered_{subentry_id}")
    assert issue is not None
    assert issue.translation_key == "answered"
    assert issue.translation_placeholders["device"] == "Kitchen Echo"
    assert issue.translation_placeholders["host"] == "avs-alexa-na.amazon.com"
    assert [e.data["host"] for e in answered] == ["avs-alexa-na.amazon.com"]
    assert answered[0].data["device_id"] == device_of(hass, "switch.kitchen_echo_local_only").id

    # The user removes the allow entry; the next guarded lookup is blocked: protected again.
    pihole.domains = [d for d in pihole.domains if d["id"] != 900]
    assert pihole.query(KITCHEN_IP, "avs-alexa-na.amazon.com") == "REGEX"
    await poll(hass, freezer, GUARD_SCAN_INTERVAL + timedelta(seconds=1))
    assert (_proof(hass).state, _proof(hass).attributes["proof"]) == (STATE_ON, "blocked_seen")
    assert ir.async_get(hass).async_get_issue(DOMAIN, f"answered_{subentry_id}") is None
    assert len(answered) == 1


async def test_a_pihole_mac_device_whose_address_is_learned_later_ends_up_blocked(
    hass: HomeAssistant, pihole: FakePiHole, freezer: FrozenDateTimeFactory
) -> None:
    """FTL keeps a late-learned address in Default; Voice Guard writes it into the group."""
    entry = filter_entry("pihole", pihole.url, kitchen(ip=None, blocks=["block_voice"]))
    await setup_entry(hass, entry)
    assert pihole.query(KITCHEN_IP, "www.example.com") == "FORWARDED"  # decided: Default
    pihole.learn(KITCHEN_MAC, KITCHEN_IP)
    assert pihole.query(KITCHEN_IP, "avs-alexa-na.amazon.com") == "FORWARDED"
    await poll(hass, freezer, GUARD_SCAN_INTERVAL + timedelta(seconds=1))
    assert any(c["client"] == KITCHEN_IP for c in pihole.clients)
    assert _proof(hass).attributes["addresses"] == [KITCHEN_IP]
    freezer.tick(1)
    assert pihole.query(KITCHEN_IP, "avs-alexa-na.amazon.com") == "REGEX"
    await poll(hass, freezer, GUARD_SCAN_INTERVAL + timedelta(seconds=1))
    assert (_proof(hass).state, _proof(hass).attributes["proof"]) == (STATE_ON, "blocked_seen")


async def test_a_subnet_client_neither_names_the_device_nor_proves_it(
    hass: HomeAssistant, adguard: FakeAdGuardHome, freezer: FrozenDateTimeFactory
) -> None:
    """Another device's lookups in the same persistent client do not confirm the Echo."""
    adguard.persistent_clients = [{"name": "LAN", "ids": ["192.168.1.0/24"]}]
    await setup_entry(
        hass, filter_entry("adguard_home", adguard.url, kitchen(blocks=["block_voice"]))
    )
    adguard.query("192.168.1.50", "www.example.com")
    await poll(hass, freezer, GUARD_SCAN_INTERVAL + timedelta(seconds=1))
    proof = _proof(hass)
    assert (proof.state, proof.attributes["proof"]) == (STATE_OFF, "no_lookups_seen")
    assert proof.attributes["shared_clients"] == ["LAN"]
    assert not any("'LAN'" in rule for rule in adguard.user_rules)


async def test_a_switch_whose_filter_write_fails_says_so_and_keeps_the_wish(
    hass: HomeAssistant, adguard: FakeAdGuardHome
) -> None:
    await setup_entry(hass, filter_entry("adguard_home", adguard.url, kitchen()))
    adguard.fail_status = 500
    with pytest.raises(HomeAssistantError) as raised:
        await set_switch(hass, "switch.kitchen_echo_block_cloud_voice", on=True)
    assert raised.value.translation_key == "filter_not_updated"
    assert hass.states.get("switch.kitchen_echo_block_cloud_voice").state == STATE_UNAVAILABLE
    adguard.fail_status = None
    await hass.config_entries.async_reload(
        next(iter(hass.config_entries.async_entries(DOMAIN))).entry_id
    )
    await hass.async_block_till_done()
    assert hass.states.get("switch.kitchen_echo_block_cloud_voice").state == STATE_ON
    assert adguard.query(KITCHEN_IP, "avs-alexa-na.amazon.com") == "FilteredBlackList"


async def _say(hass: HomeAssistant, text: str) -> str:
    """Ask Home Assistant's default conversation agent; return its response type."""
    result = await hass.services.async_call(
        "conversation",
        "process",
        {"text": text, "language": "en"},
        blocking=True,
        return_response=True,
    )
    assert result is not None
    return str(result["response"]["response_type"])


async def test_nobody_switches_the_guard_off_by_voice_unless_the_owner_exposes_it(
    hass: HomeAssistant, adguard: FakeAdGuardHome
) -> None:
    """Guard switches are not exposed to Assist (or cloud assistants) by default."""
    from homeassistant.components.homeassistant.exposed_entities import (  # noqa: PLC0415
        async_expose_entity,
        async_should_expose,
    )
    from homeassistant.setup import async_setup_component  # noqa: PLC0415

    assert await async_setup_component(hass, "homeassistant", {})
    assert await async_setup_component(hass, "conversation", {})
    entry = await setup_entry(
        hass, filter_entry("adguard_home", adguard.url, kitchen(blocks=["block_voice"]))
    )
    switch = "switch.kitchen_echo_block_cloud_voice"
    for assistant in ("conversation", "cloud.alexa", "cloud.google_assistant"):
        assert not async_should_expose(hass, assistant, switch)
    assert await _say(hass, "turn off kitchen echo block cloud voice") == "error"
    assert hass.states.get(switch).state == STATE_ON
    assert adguard.query(KITCHEN_IP, "avs-alexa-na.amazon.com") == "FilteredBlackList"

    # The owner exposes it on purpose: that choice is kept, also across a reload.
    async_expose_entity(hass, "conversation", switch, should_expose=True)
    await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done()
    assert async_should_expose(hass, "conversation", switch)
    assert await _say(hass, "turn off kitchen echo block cloud voice") == "action_done"
    assert hass.states.get(switch).state == STATE_OFF


async def test_blocked_lookups_reach_the_logbook_in_words_without_flooding_it(
    hass: HomeAssistant, adguard: FakeAdGuardHome, freezer: FrozenDateTimeFactory
) -> None:
    """One entry per device and host every 10 minutes; every lookup still fires its event."""
    from pytest_homeassistant_custom_component.common import (  # noqa: PLC0415
        async_capture_events,
    )

    hass.config.components.add("logbook")  # its entries are logbook_entry events
    await setup_entry(
        hass, filter_entry("adguard_home", adguard.url, kitchen(blocks=["local_only"]))
    )
    entries = async_capture_events(hass, "logbook_entry")
    blocked = async_capture_events(hass, EVENT_REQUEST_BLOCKED)
    freezer.tick(1)
    for _ in range(20):  # a chatty Echo
        adguard.query(KITCHEN_IP, "avs-alexa-eu.amazon.com")
        freezer.tick(0.1)
    adguard.query(KITCHEN_IP, "device-metrics-us.amazon.com")
    await poll(hass, freezer, GUARD_SCAN_INTERVAL + timedelta(seconds=1))
    assert len(blocked) == 21
    assert [(e.data["name"], e.data["message"]) for e in entries] == [
        ("Kitchen Echo", "tried to reach avs-alexa-eu.amazon.com: blocked (cloud voice)"),
        ("Kitchen Echo", "tried to reach device-metrics-us.amazon.com: blocked (telemetry)"),
    ]
    assert entries[0].data["domain"] == "voice_guard"

    freezer.tick(timedelta(minutes=10))
    adguard.query(KITCHEN_IP, "avs-alexa-eu.amazon.com")
    await poll(hass, freezer, GUARD_SCAN_INTERVAL + timedelta(seconds=1))
    assert len(entries) == 3


async def test_an_answered_lookup_from_an_address_learned_for_the_mac_names_that_cause(
    hass: HomeAssistant, pihole: FakePiHole, freezer: FrozenDateTimeFactory
) -> None:
    """The repair for a MAC device says the address was learned for its MAC, and why."""
    entry = filter_entry("pihole", pihole.url, kitchen(ip=None, blocks=["block_voice"]))
    await setup_entry(hass, entry)
    pihole.learn(KITCHEN_MAC, KITCHEN_IP)
    await poll(hass, freezer, GUARD_SCAN_INTERVAL + timedelta(seconds=1))  # address written
    freezer.tick(1)
    pihole.domains.append(
        {
            "id": 901,
            "domain": "avs-alexa-na.amazon.com",
            "type": "allow",
            "kind": "exact",
            "comment": "mine",
            "groups": [0],
            "enabled": True,
        }
    )
    assert pihole.query(KITCHEN_IP, "avs-alexa-na.amazon.com") == "FORWARDED"
    await poll(hass, freezer, GUARD_SCAN_INTERVAL + timedelta(seconds=1))
    assert _proof(hass).attributes["proof"] == "answered"
    issue = ir.async_get(hass).async_get_issue(DOMAIN, f"answered_{next(iter(entry.subentries))}")
    assert issue is not None
    assert issue.translation_key == "answered_learned_address"
    assert issue.translation_placeholders["address"] == KITCHEN_IP
