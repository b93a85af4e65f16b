"""Device triggers of guarded devices: a cloud voice attempt was blocked; protection was lost."""

from __future__ import annotations

from typing import Any

from homeassistant.components.device_automation import DEVICE_TRIGGER_BASE_SCHEMA
from homeassistant.components.device_automation.exceptions import InvalidDeviceAutomationConfig
from homeassistant.components.homeassistant.triggers import (
    event as event_trigger,
    state as state_trigger,
)
from homeassistant.const import (
    CONF_DEVICE_ID,
    CONF_DOMAIN,
    CONF_ENTITY_ID,
    CONF_PLATFORM,
    CONF_TYPE,
)
from homeassistant.core import CALLBACK_TYPE, HomeAssistant
from homeassistant.helpers import device_registry as dr, entity_registry as er
from homeassistant.helpers.trigger import TriggerActionType, TriggerInfo
from homeassistant.helpers.typing import ConfigType

from .compat import vol
from .const import DOMAIN, EVENT_REQUEST_BLOCKED

VOICE_ATTEMPT = "cloud_voice_attempt_blocked"
PROTECTION_LOST = "protection_lost"
TRIGGER_TYPES = (VOICE_ATTEMPT, PROTECTION_LOST)

TRIGGER_SCHEMA = DEVICE_TRIGGER_BASE_SCHEMA.extend({vol.Required(CONF_TYPE): vol.In(TRIGGER_TYPES)})


def _subentry_id(hass: HomeAssistant, device_id: str) -> str | None:
    """Return the guarded device's subentry id, if the device is one."""
    device = dr.async_get(hass).async_get(device_id)
    if device is None:
        return None
    for domain, value in device.identifiers:
        if domain != DOMAIN:
            continue
        for entry in hass.config_entries.async_entries(DOMAIN):
            if value in entry.subentries:
                return value
    return None


async def async_get_triggers(hass: HomeAssistant, device_id: str) -> list[dict[str, Any]]:
    """List the triggers of a guarded device."""
    if _subentry_id(hass, device_id) is None:
        return []
    return [
        {CONF_PLATFORM: "device", CONF_DOMAIN: DOMAIN, CONF_DEVICE_ID: device_id, CONF_TYPE: t}
        for t in TRIGGER_TYPES
    ]


async def async_attach_trigger(
    hass: HomeAssistant,
    config: ConfigType,
    action: TriggerActionType,
    trigger_info: TriggerInfo,
) -> CALLBACK_TYPE:
    """Attach a trigger: an event trigger on blocked voice lookups, or a state trigger."""
    device_id = config[CONF_DEVICE_ID]
    subentry_id = _subentry_id(hass, device_id)
    if subentry_id is None:
        raise InvalidDeviceAutomationConfig(f"{device_id} is not a guarded device")
    if config[CONF_TYPE] == VOICE_ATTEMPT:
        unsubs = []
        for category in ("voice", "generative"):
            event_config = event_trigger.TRIGGER_SCHEMA(
                {
                    CONF_PLATFORM: "event",
                    "event_type": EVENT_REQUEST_BLOCKED,
                    "event_data": {
                        "subentry_id": subentry_id,
                        "category": category,
                    },
                }
            )
            unsubs.append(
                await event_trigger.async_attach_trigger(
                    hass, event_config, action, trigger_info, platform_type="device"
                )
            )

        def unsubscribe() -> None:
            for unsub in unsubs:
                unsub()

        return unsubscribe
    entity_id = er.async_get(hass).async_get_entity_id(
        "binary_sensor", DOMAIN, f"{subentry_id}_protection_confirmed"
    )
    if entity_id is None:
        raise InvalidDeviceAutomationConfig(f"{device_id} has no protection sensor")
    state_config = state_trigger.TRIGGER_STATE_SCHEMA(
        {
            CONF_PLATFORM: "state",
            CONF_ENTITY_ID: entity_id,
            "from": "on",
            "to": "off",
        }
    )
    return await state_trigger.async_attach_trigger(
        hass, state_config, action, trigger_info, platform_type="device"
    )
