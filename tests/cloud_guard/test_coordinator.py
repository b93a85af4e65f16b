"""The guard coordinator in Home Assistant: update cycle, filter down and back, reauth, removal."""

from __future__ import annotations

from datetime import timedelta
from unittest.mock import patch

from freezegun.api import FrozenDateTimeFactory
from homeassistant.config_entries import ConfigEntryState, ConfigSubentryData
from homeassistant.const import (
    CONF_PASSWORD,
    CONF_USERNAME,
    STATE_ON,
    STATE_UNAVAILABLE,
)
from homeassistant.core import Event, HomeAssistant
from homeassistant.helpers import entity_registry as er, issue_registry as ir
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
    blocked_attempt,
    device_data,
    device_of,
    filter_entry,
    kitchen,
    poll,
    set_switch,
    setup_entry,
)


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
    entries = async_capture_events(hass, "voice_guard_logbook")
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
    assert entries[0].data["icon"].startswith("mdi:")  # described by logbook.py as ours
    # The device's registry id: the device page's Activity finds its entries by it.
    assert entries[0].data["device_id"] == device_of(hass, "switch.kitchen_echo_local_only").id

    freezer.tick(timedelta(minutes=10))
    adguard.query(KITCHEN_IP, "avs-alexa-eu.amazon.com")
    await poll(hass, freezer, GUARD_SCAN_INTERVAL + timedelta(seconds=1))
    assert len(entries) == 3
