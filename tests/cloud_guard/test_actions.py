"""The cloud guard's actions: allowances, policies, and a filter that is down."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.config_entries import ConfigSubentryData
from homeassistant.const import STATE_OFF, STATE_ON, STATE_UNAVAILABLE
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.helpers import area_registry as ar, device_registry as dr, label_registry as lr
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_capture_events,
    async_fire_time_changed,
)
import voluptuous as vol

from custom_components.voice_guard.const import DOMAIN, SUBENTRY_DEVICE

from ..fakes.adguard_home import FakeAdGuardHome
from ..guarded import (
    KITCHEN_IP,
    LOUNGE_IP,
    call_action,
    device_data,
    device_of,
    filter_entry,
    kitchen,
    setup_entry,
)

# --- guarded devices -----------------------------------------------------------------------


async def test_allow_cloud_temporarily_and_back(
    hass: HomeAssistant, adguard: FakeAdGuardHome, freezer: FrozenDateTimeFactory
) -> None:
    """Blocks are lifted for the duration, visibly, then return by themselves."""
    # The logbook keeps its entries with the recorder, which these tests do not run: what
    # reaches it are logbook_entry events, captured here.
    hass.config.components.add("logbook")
    await setup_entry(
        hass, filter_entry("adguard_home", adguard.url, kitchen(blocks=["block_voice"]))
    )
    device = device_of(hass, "switch.kitchen_echo_block_cloud_voice")
    assert adguard.query(KITCHEN_IP, "avs-alexa-na.amazon.com") == "FilteredBlackList"
    assert hass.states.get("button.kitchen_echo_end_cloud_allowance").state != STATE_UNAVAILABLE
    entries = async_capture_events(hass, "voice_guard_logbook")

    response = await call_action(
        hass, "allow_cloud_temporarily", {"device_id": device.id, "duration": {"minutes": 10}}
    )
    until = dt_util.utcnow() + timedelta(minutes=10)
    # Local time to the second, as the home reads it.
    assert response == {"allowed_until": dt_util.as_local(until).replace(microsecond=0).isoformat()}
    assert adguard.query(KITCHEN_IP, "avs-alexa-na.amazon.com") == "NotFilteredNotFound"
    # What is in force reads true everywhere: switches off, policy and protection say why.
    switch = hass.states.get("switch.kitchen_echo_block_cloud_voice")
    assert switch.state == STATE_OFF
    assert switch.attributes["on_after_allowance"] is True
    assert hass.states.get("sensor.kitchen_echo_policy").state == "allowed_temporarily"
    assert hass.states.get("sensor.kitchen_echo_protection").state == "allowed_temporarily"
    # Until when: on the Protection sensor ("Cloud allowed until" is disabled by default).
    allowed_until = hass.states.get("sensor.kitchen_echo_protection").attributes["allowed_until"]
    assert dt_util.parse_datetime(allowed_until) == until
    assert hass.states.get("button.kitchen_echo_end_cloud_allowance").state != STATE_UNAVAILABLE
    # For how long, in words: a clock time would be the server's, not the reader's.
    assert [e.data["message"] for e in entries] == [
        "may reach the cloud for 10 minutes: its blocks are lifted"
    ]
    assert entries[0].data["name"] == "Kitchen Echo"
    assert entries[0].data["icon"].startswith("mdi:")  # described by logbook.py as ours

    freezer.tick(timedelta(minutes=10, seconds=1))
    async_fire_time_changed(hass)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert adguard.query(KITCHEN_IP, "avs-alexa-na.amazon.com") == "FilteredBlackList"
    assert hass.states.get("switch.kitchen_echo_block_cloud_voice").state == STATE_ON
    assert hass.states.get("sensor.kitchen_echo_policy").state == "voice"
    messages = [e.data["message"] for e in entries]
    assert "is blocked again: the cloud allowance ended" in messages


async def test_an_allowance_can_be_ended_early(
    hass: HomeAssistant, adguard: FakeAdGuardHome
) -> None:
    """By the button, by the action, or by turning a switch on; not when none runs."""
    await setup_entry(
        hass, filter_entry("adguard_home", adguard.url, kitchen(blocks=["block_voice"]))
    )
    device = device_of(hass, "switch.kitchen_echo_block_cloud_voice")
    allow = {"device_id": device.id, "duration": {"days": 2}}

    await call_action(hass, "allow_cloud_temporarily", allow)
    await hass.services.async_call(
        "button",
        "press",
        {"entity_id": "button.kitchen_echo_end_cloud_allowance"},
        blocking=True,
    )
    assert adguard.query(KITCHEN_IP, "avs-alexa-na.amazon.com") == "FilteredBlackList"
    assert hass.states.get("sensor.kitchen_echo_protection").attributes["allowed_until"] is None

    await call_action(hass, "allow_cloud_temporarily", allow)
    assert await call_action(hass, "end_cloud_allowance", {"device_id": device.id}) == {
        "ended": True
    }
    assert adguard.query(KITCHEN_IP, "avs-alexa-na.amazon.com") == "FilteredBlackList"
    with pytest.raises(ServiceValidationError) as err:
        await call_action(hass, "end_cloud_allowance", {"device_id": device.id})
    assert err.value.translation_key == "not_allowed"

    await call_action(hass, "allow_cloud_temporarily", allow)
    await hass.services.async_call(
        "switch",
        "turn_on",
        {"entity_id": "switch.kitchen_echo_block_telemetry"},
        blocking=True,
    )
    assert hass.states.get("sensor.kitchen_echo_protection").attributes["allowed_until"] is None
    assert adguard.query(KITCHEN_IP, "avs-alexa-na.amazon.com") == "FilteredBlackList"
    assert adguard.query(KITCHEN_IP, "unagi-na.amazon.com") == "FilteredBlackList"


async def test_allowance_survives_a_restart_and_still_ends(
    hass: HomeAssistant, adguard: FakeAdGuardHome, freezer: FrozenDateTimeFactory
) -> None:
    """A restart while allowed keeps the allowance, and its end."""
    entry = await setup_entry(
        hass, filter_entry("adguard_home", adguard.url, kitchen(blocks=["block_voice"]))
    )
    device = device_of(hass, "switch.kitchen_echo_block_cloud_voice")
    await call_action(
        hass, "allow_cloud_temporarily", {"device_id": device.id, "duration": "00:30:00"}
    )
    await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done()
    assert adguard.query(KITCHEN_IP, "avs-alexa-na.amazon.com") == "NotFilteredNotFound"

    freezer.tick(timedelta(minutes=31))
    async_fire_time_changed(hass)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert adguard.query(KITCHEN_IP, "avs-alexa-na.amazon.com") == "FilteredBlackList"


async def test_allow_cloud_for_a_device_that_is_not_guarded(
    hass: HomeAssistant, adguard: FakeAdGuardHome
) -> None:
    """Only guarded devices can be allowed; durations are bounded."""
    await setup_entry(hass, filter_entry("adguard_home", adguard.url, kitchen()))
    other = MockConfigEntry(domain="demo")
    other.add_to_hass(hass)
    lamp = dr.async_get(hass).async_get_or_create(
        config_entry_id=other.entry_id, identifiers={("demo", "lamp")}
    )
    with pytest.raises(ServiceValidationError) as err:
        await call_action(
            hass, "allow_cloud_temporarily", {"device_id": lamp.id, "duration": "00:10:00"}
        )
    assert err.value.translation_key == "not_guarded"
    device = device_of(hass, "switch.kitchen_echo_local_only")
    for duration in ({"days": 30}, {"seconds": 10}, "00:00:00"):
        with pytest.raises(ServiceValidationError) as err:
            await call_action(
                hass, "allow_cloud_temporarily", {"device_id": device.id, "duration": duration}
            )
        # A translated message that gives the range, not the schema's raw text.
        assert err.value.translation_key == "duration_out_of_range"
        assert not err.value.translation_placeholders  # the limits are words of the message
    # Durations past any calendar: invalid input (vol.Invalid), never an OverflowError.
    for absurd in ({"days": 1e12}, "99999999999:00:00", "inf", {"hours": float("inf")}, [1]):
        with pytest.raises(vol.Invalid):
            await call_action(
                hass, "allow_cloud_temporarily", {"device_id": device.id, "duration": absurd}
            )


async def test_apply_policy_by_area_and_label(
    hass: HomeAssistant, adguard: FakeAdGuardHome
) -> None:
    """Guarded devices chosen by area or label get exactly the given blocks."""
    await setup_entry(
        hass, filter_entry("adguard_home", adguard.url, kitchen(blocks=["block_voice"]))
    )
    device = device_of(hass, "switch.kitchen_echo_block_cloud_voice")
    area = ar.async_get(hass).async_create("Kitchen")
    label = lr.async_get(hass).async_create("Guests")
    dr.async_get(hass).async_update_device(device.id, area_id=area.id, labels={label.label_id})

    response = await call_action(
        hass, "apply_policy", {"area_id": area.id, "block": ["block_telemetry"]}
    )
    assert response == {
        "devices": ["Kitchen Echo"],
        "block": ["block_telemetry"],
        "after_allowance": {},
    }
    assert hass.states.get("switch.kitchen_echo_block_cloud_voice").state == STATE_OFF
    assert hass.states.get("switch.kitchen_echo_block_telemetry").state == STATE_ON
    assert adguard.query(KITCHEN_IP, "unagi-na.amazon.com") == "FilteredBlackList"

    await call_action(hass, "apply_policy", {"label_id": [label.label_id], "block": ["local_only"]})
    assert hass.states.get("switch.kitchen_echo_local_only").state == STATE_ON
    assert hass.states.get("switch.kitchen_echo_block_telemetry").state == STATE_OFF

    await call_action(hass, "apply_policy", {"device_id": device.id, "block": []})
    assert hass.states.get("sensor.kitchen_echo_policy").state == "off"

    # A device in a cloud allowance: the new switches wait for its end, and the answer says so.
    await call_action(
        hass, "allow_cloud_temporarily", {"device_id": device.id, "duration": "01:00:00"}
    )
    response = await call_action(
        hass, "apply_policy", {"area_id": area.id, "block": ["block_voice"]}
    )
    assert response["devices"] == []
    assert list(response["after_allowance"]) == ["Kitchen Echo"]
    assert adguard.query(KITCHEN_IP, "avs-alexa-na.amazon.com") == "NotFilteredNotFound"

    empty = ar.async_get(hass).async_create("Cellar")
    with pytest.raises(ServiceValidationError) as err:
        await call_action(hass, "apply_policy", {"area_id": empty.id, "block": ["block_voice"]})
    assert err.value.translation_key == "no_guarded_devices"


async def test_apply_policy_to_many_devices_updates_their_filter_once(
    hass: HomeAssistant, adguard: FakeAdGuardHome
) -> None:
    """An area of guarded devices changes in one write to the filter, not one per device."""
    lounge = ConfigSubentryData(
        data=device_data(ip=LOUNGE_IP, mac=None),
        subentry_type=SUBENTRY_DEVICE,
        title="Lounge Echo",
        unique_id=LOUNGE_IP,
    )
    await setup_entry(hass, filter_entry("adguard_home", adguard.url, kitchen(), lounge))
    area = ar.async_get(hass).async_create("Ground floor")
    for switch in ("switch.kitchen_echo_block_cloud_voice", "switch.lounge_echo_block_cloud_voice"):
        dr.async_get(hass).async_update_device(device_of(hass, switch).id, area_id=area.id)
    writes = adguard.rule_writes

    response = await call_action(
        hass, "apply_policy", {"area_id": area.id, "block": ["block_voice"]}
    )

    assert sorted(response["devices"]) == ["Kitchen Echo", "Lounge Echo"]
    assert adguard.rule_writes == writes + 1
    for ip in (KITCHEN_IP, LOUNGE_IP):
        assert adguard.query(ip, "avs-alexa-na.amazon.com") == "FilteredBlackList"


# --- actions while the filter is down -----------------------------------------------------


async def test_actions_store_the_change_while_the_filter_is_down(
    hass: HomeAssistant, adguard: FakeAdGuardHome
) -> None:
    """A translated error says the filter was not updated; the change is applied once back."""
    await setup_entry(
        hass, filter_entry("adguard_home", adguard.url, kitchen(blocks=["block_voice"]))
    )
    device = device_of(hass, "switch.kitchen_echo_block_cloud_voice")
    coordinator = hass.config_entries.async_entries(DOMAIN)[0].runtime_data

    async def call(service: str, data: dict[str, Any]) -> Any:
        return await hass.services.async_call(
            DOMAIN, service, {"device_id": device.id, **data}, blocking=True, return_response=True
        )

    adguard.fail_status = 503
    with pytest.raises(HomeAssistantError) as err:
        await call("apply_policy", {"block": ["block_voice", "block_telemetry"]})
    assert err.value.translation_key == "filter_not_updated"
    assert err.value.translation_placeholders == {"filter": "AdGuard Home (test)"}
    assert adguard.query(KITCHEN_IP, "unagi-na.amazon.com") == "NotFilteredNotFound"
    adguard.fail_status = None
    await coordinator.async_refresh()
    assert adguard.query(KITCHEN_IP, "unagi-na.amazon.com") == "FilteredBlackList"

    adguard.fail_status = 503
    with pytest.raises(HomeAssistantError) as err:
        await call("allow_cloud_temporarily", {"duration": {"minutes": 10}})
    assert err.value.translation_key == "filter_not_updated"
    assert adguard.query(KITCHEN_IP, "avs-alexa-na.amazon.com") == "FilteredBlackList"
    adguard.fail_status = None
    await coordinator.async_refresh()
    assert adguard.query(KITCHEN_IP, "avs-alexa-na.amazon.com") == "NotFilteredNotFound"

    response = await call("apply_policy", {"block": ["block_voice"]})
    assert response == {
        "devices": [],
        "block": ["block_voice"],
        "after_allowance": {"Kitchen Echo": response["after_allowance"]["Kitchen Echo"]},
    }


@pytest.mark.parametrize(
    "answer",
    [(500, "text/plain", "500 Internal Server Error"), (200, "text/html", "<html>proxy</html>")],
    ids=["server-error", "html"],
)
async def test_a_failed_query_log_read_is_no_failed_write(
    hass: HomeAssistant,
    adguard: FakeAdGuardHome,
    answer: tuple[int, str, str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    """The rules were written: the action succeeds, and the log names the failed read.

    Measured from outside: with the query log answering HTML or 500, apply_policy said
    "stored the change, but AdGuard Home … could not be written" and the log said the
    filter could not be reached.
    """
    await setup_entry(hass, filter_entry("adguard_home", adguard.url, kitchen()))
    device = device_of(hass, "switch.kitchen_echo_block_cloud_voice")
    adguard.querylog_answer = answer

    response = await call_action(
        hass, "apply_policy", {"device_id": [device.id], "block": ["block_voice"]}
    )

    assert response["devices"] == ["Kitchen Echo"]
    assert adguard.query(KITCHEN_IP, "avs-alexa-na.amazon.com") == "FilteredBlackList"
    assert "reading its query log failed" in caplog.text
    assert "cannot be reached" not in caplog.text
    assert "could not be written" not in caplog.text
