"""Device triggers of guarded devices, used in an automation."""

from __future__ import annotations

from homeassistant.components import automation
from homeassistant.components.device_automation import DeviceAutomationType
from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er
from homeassistant.setup import async_setup_component
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_get_device_automations,
    async_mock_service,
)
from pytest_homeassistant_custom_component.typing import WebSocketGenerator

from custom_components.voice_guard.const import DOMAIN, EVENT_REQUEST_BLOCKED

from ..fakes.adguard_home import FakeAdGuardHome
from ..guarded import KITCHEN_IP, blocked_attempt, device_of, filter_entry, kitchen, setup_entry


async def test_guarded_device_offers_its_triggers(
    hass: HomeAssistant, adguard: FakeAdGuardHome
) -> None:
    """A guarded device lists its triggers; other devices list none of ours."""
    await setup_entry(hass, filter_entry("adguard_home", adguard.url, kitchen()))
    device = device_of(hass, "switch.kitchen_echo_local_only")
    triggers = await async_get_device_automations(hass, DeviceAutomationType.TRIGGER, device.id)
    ours = sorted(t["type"] for t in triggers if t["domain"] == DOMAIN)
    assert ours == ["cloud_voice_attempt_blocked", "new_host", "protection_lost"]


async def test_triggers_fire_in_an_automation(
    hass: HomeAssistant, adguard: FakeAdGuardHome
) -> None:
    """Blocked voice lookups and a lost protection run the automation's actions."""
    adguard.query(KITCHEN_IP, "www.example.com")  # the Echo asks the filter
    entry = await setup_entry(
        hass, filter_entry("adguard_home", adguard.url, kitchen(blocks=["block_voice"]))
    )
    device = device_of(hass, "switch.kitchen_echo_local_only")
    calls = async_mock_service(hass, "test", "automation")
    assert await async_setup_component(
        hass,
        automation.DOMAIN,
        {
            automation.DOMAIN: [
                {
                    "triggers": [
                        {
                            "trigger": "device",
                            "domain": DOMAIN,
                            "device_id": device.id,
                            "type": kind,
                        }
                    ],
                    "actions": [{"action": "test.automation", "data": {"kind": kind}}],
                }
                for kind in ("cloud_voice_attempt_blocked", "protection_lost")
            ]
        },
    )
    subentry_id = next(iter(entry.subentries))
    hass.bus.async_fire(
        EVENT_REQUEST_BLOCKED,
        {"subentry_id": subentry_id, "category": "telemetry", "host": "unagi-na.amazon.com"},
    )
    hass.bus.async_fire(
        EVENT_REQUEST_BLOCKED,
        {"subentry_id": subentry_id, "category": "voice", "host": "avs-alexa-na.amazon.com"},
    )
    await hass.async_block_till_done()
    assert [c.data["kind"] for c in calls] == ["cloud_voice_attempt_blocked"]

    await blocked_attempt(hass, adguard, entry)
    calls.clear()
    assert hass.states.get("binary_sensor.kitchen_echo_protection_confirmed").state == "on"
    adguard.protection_enabled = False  # paused in AdGuard Home's UI
    await entry.runtime_data.async_refresh()
    await hass.async_block_till_done()
    assert [c.data["kind"] for c in calls] == ["protection_lost"]


async def test_no_triggers_for_other_devices(hass: HomeAssistant, adguard: FakeAdGuardHome) -> None:
    """A device that is not guarded has none of Voice Guard's triggers."""
    await setup_entry(hass, filter_entry("adguard_home", adguard.url))
    other = MockConfigEntry(domain="demo")
    other.add_to_hass(hass)
    from homeassistant.helpers import device_registry as dr  # noqa: PLC0415

    lamp = dr.async_get(hass).async_get_or_create(
        config_entry_id=other.entry_id, identifiers={("demo", "x")}
    )
    triggers = await async_get_device_automations(hass, DeviceAutomationType.TRIGGER, lamp.id)
    assert not [t for t in triggers if t["domain"] == DOMAIN]


async def test_trigger_for_a_device_that_is_not_guarded_is_refused(
    hass: HomeAssistant, adguard: FakeAdGuardHome
) -> None:
    """An automation pointing at a device that is no guarded device does not attach."""
    from homeassistant.components.device_automation.exceptions import (  # noqa: PLC0415
        InvalidDeviceAutomationConfig,
    )
    import pytest  # noqa: PLC0415

    from custom_components.voice_guard import device_trigger  # noqa: PLC0415

    await setup_entry(hass, filter_entry("adguard_home", adguard.url))
    config = {
        "platform": "device",
        "domain": DOMAIN,
        "device_id": "nope",
        "type": "protection_lost",
    }
    with pytest.raises(InvalidDeviceAutomationConfig):
        await device_trigger.async_attach_trigger(hass, config, lambda *_: None, {})  # type: ignore[arg-type]


async def test_device_conditions_need_no_template(
    hass: HomeAssistant, adguard: FakeAdGuardHome
) -> None:
    """Is protected / not protected / cloud voice blocked / cloud allowed, in an automation."""
    from homeassistant.helpers import condition  # noqa: PLC0415

    adguard.query(KITCHEN_IP, "www.example.com")  # the Echo asks the filter
    entry = await setup_entry(
        hass, filter_entry("adguard_home", adguard.url, kitchen(blocks=["block_voice"]))
    )
    device = device_of(hass, "switch.kitchen_echo_local_only")
    await blocked_attempt(hass, adguard, entry)
    conditions = await async_get_device_automations(hass, DeviceAutomationType.CONDITION, device.id)
    types = sorted(c["type"] for c in conditions if c["domain"] == DOMAIN)
    assert types == ["cloud_allowed", "cloud_voice_blocked", "is_not_protected", "is_protected"]

    async def holds(kind: str) -> bool:
        config = {"condition": "device", "domain": DOMAIN, "device_id": device.id, "type": kind}
        validated = await condition.async_validate_condition_config(hass, config)
        checker = await condition.async_from_config(hass, validated)
        return bool(checker(hass, {}))

    assert await holds("is_protected")
    assert await holds("cloud_voice_blocked")
    assert not await holds("is_not_protected")
    assert not await holds("cloud_allowed")

    await hass.services.async_call(
        DOMAIN,
        "allow_cloud_temporarily",
        {"device_id": device.id, "duration": {"minutes": 5}},
        blocking=True,
    )
    assert await holds("cloud_allowed")
    assert not await holds("cloud_voice_blocked")
    assert await holds("is_not_protected")

    lamp_entry = MockConfigEntry(domain="demo")
    lamp_entry.add_to_hass(hass)
    from homeassistant.helpers import device_registry as dr  # noqa: PLC0415

    lamp = dr.async_get(hass).async_get_or_create(
        config_entry_id=lamp_entry.entry_id, identifiers={("demo", "lamp")}
    )
    conditions = await async_get_device_automations(hass, DeviceAutomationType.CONDITION, lamp.id)
    assert not [c for c in conditions if c["domain"] == DOMAIN]


async def test_no_longer_protected_is_offered_by_target_where_home_assistant_has_it(
    hass: HomeAssistant, adguard: FakeAdGuardHome, hass_ws_client: WebSocketGenerator
) -> None:
    """Home Assistant 2026: "By target" lists voice_guard.protection_lost for the Echo."""
    from custom_components.voice_guard import trigger  # noqa: PLC0415
    from custom_components.voice_guard.compat import (  # noqa: PLC0415
        EntityTargetStateTriggerBase,
    )

    offered_by_platform = await trigger.async_get_triggers(hass)
    if EntityTargetStateTriggerBase is None:
        assert offered_by_platform == {}  # nothing Home Assistant 2025 could not load
        pytest.skip("Home Assistant 2025 has device triggers only (tested above)")
    assert sorted(offered_by_platform) == ["cloud_voice_attempt_blocked", "protection_lost"]
    from homeassistant.components.websocket_api.automation import (  # noqa: PLC0415
        async_get_triggers_for_target,
    )

    adguard.query(KITCHEN_IP, "www.example.com")
    entry = await setup_entry(
        hass, filter_entry("adguard_home", adguard.url, kitchen(blocks=["block_voice"]))
    )
    device = device_of(hass, "switch.kitchen_echo_local_only")
    offered = await async_get_triggers_for_target(
        hass, {"device_id": [device.id]}, expand_group=True
    )
    assert {"voice_guard.protection_lost", "voice_guard.cloud_voice_attempt_blocked"} <= offered
    # What the editor's chip counts from: the Echo's entities, of which the trigger's filter
    # targets two (Voice Guard's binary sensors). Home Assistant 2026.10's editor still
    # shows "(0)": its count checks the integration filter without entity sources (README).
    client = await hass_ws_client(hass)
    await client.send_json_auto_id(
        {"type": "extract_from_target", "target": {"device_id": [device.id]}}
    )
    held = (await client.receive_json())["result"]["referenced_entities"]
    registry = er.async_get(hass)
    targeted = [
        e
        for e in held
        if e.startswith("binary_sensor.") and registry.async_get(e).platform == DOMAIN
    ]
    assert sorted(targeted) == [
        "binary_sensor.kitchen_echo_cloud_voice_attempt",
        "binary_sensor.kitchen_echo_protection_confirmed",
    ]

    calls = async_mock_service(hass, "test", "automation")
    assert await async_setup_component(
        hass,
        automation.DOMAIN,
        {
            automation.DOMAIN: {
                "triggers": [
                    {
                        "trigger": "voice_guard.protection_lost",
                        "target": {"device_id": device.id},
                    }
                ],
                "actions": [{"action": "test.automation"}],
            }
        },
    )
    await blocked_attempt(hass, adguard, entry)
    assert hass.states.get("binary_sensor.kitchen_echo_protection_confirmed").state == "on"
    calls.clear()
    adguard.persistent_clients = [  # the cloud voice attempt sensor changes too: ignored
        {
            "name": "Echo",
            "ids": [KITCHEN_IP],
            "use_global_settings": False,
            "filtering_enabled": False,
        }
    ]
    await entry.runtime_data.async_refresh()
    await hass.async_block_till_done()
    assert hass.states.get("binary_sensor.kitchen_echo_protection_confirmed").state == "off"
    assert len(calls) == 1


async def test_conditions_are_offered_by_target_where_home_assistant_has_it(
    hass: HomeAssistant, adguard: FakeAdGuardHome
) -> None:
    """Home Assistant 2026: "By target" lists Voice Guard's conditions for the Echo."""
    from custom_components.voice_guard import condition as ours  # noqa: PLC0415
    from custom_components.voice_guard.compat import (  # noqa: PLC0415
        EntityStateConditionBase,
    )

    offered_by_platform = await ours.async_get_conditions(hass)
    if EntityStateConditionBase is None:
        assert offered_by_platform == {}  # nothing Home Assistant 2025 could not load
        pytest.skip("Home Assistant 2025 has device conditions only (tested above)")
    assert sorted(offered_by_platform) == ["cloud_allowed", "is_not_protected", "is_protected"]
    from homeassistant.components.websocket_api.automation import (  # noqa: PLC0415
        async_get_conditions_for_target,
    )
    from homeassistant.helpers import condition  # noqa: PLC0415

    adguard.query(KITCHEN_IP, "www.example.com")
    entry = await setup_entry(
        hass, filter_entry("adguard_home", adguard.url, kitchen(blocks=["block_voice"]))
    )
    device = device_of(hass, "switch.kitchen_echo_local_only")
    offered = await async_get_conditions_for_target(
        hass, {"device_id": [device.id]}, expand_group=True
    )
    assert {"voice_guard.is_protected", "voice_guard.is_not_protected"} <= offered

    async def holds(kind: str) -> bool:
        config = {
            "condition": f"voice_guard.{kind}",
            "target": {"device_id": device.id},
            "options": {"behavior": "any", "for": {"seconds": 0}},
        }
        validated = await condition.async_validate_condition_config(hass, config)
        checker = await condition.async_from_config(hass, validated)
        return bool(checker(hass, {}))

    assert await holds("is_not_protected")  # rules in force, no attempt yet
    await blocked_attempt(hass, adguard, entry)
    assert await holds("is_protected")
    assert not await holds("is_not_protected")
    assert not await holds("cloud_allowed")
