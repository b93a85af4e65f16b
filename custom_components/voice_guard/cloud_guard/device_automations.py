"""Device triggers and conditions of a guarded device, for automations without templates.

Triggers: a cloud voice attempt was blocked (the voice_guard_request_blocked event of a
voice or Alexa+ host); protection was lost (Protection confirmed turned off); a host never
looked up before (the voice_guard_new_host event).
Conditions: the device is (not) protected, its cloud voice is blocked, the cloud is allowed.
The root device_trigger.py and device_condition.py hand off to this module.
"""

from __future__ import annotations

from typing import Any

from homeassistant.components.device_automation import DEVICE_TRIGGER_BASE_SCHEMA
from homeassistant.components.device_automation.exceptions import InvalidDeviceAutomationConfig
from homeassistant.components.homeassistant.triggers import (
    event as event_trigger,
    state as state_trigger,
)
from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import (
    CONF_CONDITION,
    CONF_DEVICE_ID,
    CONF_DOMAIN,
    CONF_ENTITY_ID,
    CONF_PLATFORM,
    CONF_TYPE,
)
from homeassistant.core import CALLBACK_TYPE, HomeAssistant, callback
from homeassistant.helpers import (
    config_validation as cv,
    entity_registry as er,
)
from homeassistant.helpers.condition import ConditionCheckerType
from homeassistant.helpers.trigger import TriggerActionType, TriggerInfo
from homeassistant.helpers.typing import ConfigType, TemplateVarsType

from ..compat import vol
from ..const import DOMAIN, EVENT_NEW_HOST, EVENT_REQUEST_BLOCKED
from .coordinator import GuardCoordinator
from .data import find_guarded
from .dns.policy import Block

VOICE_ATTEMPT = "cloud_voice_attempt_blocked"
PROTECTION_LOST = "protection_lost"
NEW_HOST = "new_host"
TRIGGER_TYPES = (VOICE_ATTEMPT, PROTECTION_LOST, NEW_HOST)

IS_PROTECTED = "is_protected"
IS_NOT_PROTECTED = "is_not_protected"
CLOUD_VOICE_BLOCKED = "cloud_voice_blocked"
CLOUD_ALLOWED = "cloud_allowed"
CONDITION_TYPES = (IS_PROTECTED, IS_NOT_PROTECTED, CLOUD_VOICE_BLOCKED, CLOUD_ALLOWED)
VOICE_BLOCKS = frozenset({Block.VOICE, Block.GENERATIVE, Block.ALL_CLOUD})

TRIGGER_SCHEMA = DEVICE_TRIGGER_BASE_SCHEMA.extend({vol.Required(CONF_TYPE): vol.In(TRIGGER_TYPES)})
CONDITION_SCHEMA = cv.DEVICE_CONDITION_BASE_SCHEMA.extend(
    {vol.Required(CONF_TYPE): vol.In(CONDITION_TYPES)}
)


def _guarded(hass: HomeAssistant, device_id: str) -> tuple[GuardCoordinator | None, str] | None:
    """Return the guarded device's filter coordinator (None when not loaded) and subentry id."""
    if (found := find_guarded(hass, device_id)) is None:
        return None
    entry, subentry_id = found
    return (entry.runtime_data if entry.state is ConfigEntryState.LOADED else None), subentry_id


def _base(device_id: str) -> dict[str, Any]:
    return {CONF_DOMAIN: DOMAIN, CONF_DEVICE_ID: device_id}


async def async_get_triggers(hass: HomeAssistant, device_id: str) -> list[dict[str, Any]]:
    """List the triggers of a guarded device."""
    if _guarded(hass, device_id) is None:
        return []
    return [{CONF_PLATFORM: "device", **_base(device_id), CONF_TYPE: t} for t in TRIGGER_TYPES]


async def async_attach_trigger(
    hass: HomeAssistant,
    config: ConfigType,
    action: TriggerActionType,
    trigger_info: TriggerInfo,
) -> CALLBACK_TYPE:
    """Attach a trigger: an event trigger on blocked voice lookups, or a state trigger."""
    device_id = config[CONF_DEVICE_ID]
    found = _guarded(hass, device_id)
    if found is None:
        raise InvalidDeviceAutomationConfig(f"{device_id} is not a guarded device")
    subentry_id = found[1]
    if config[CONF_TYPE] in (VOICE_ATTEMPT, NEW_HOST):
        unsubs = []
        events = [(EVENT_NEW_HOST, {"subentry_id": subentry_id})]
        if config[CONF_TYPE] == VOICE_ATTEMPT:
            events = [
                (EVENT_REQUEST_BLOCKED, {"subentry_id": subentry_id, "category": category})
                for category in ("voice", "generative")
            ]
        for event_type, event_data in events:
            event_config = event_trigger.TRIGGER_SCHEMA(
                {CONF_PLATFORM: "event", "event_type": event_type, "event_data": event_data}
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
        {CONF_PLATFORM: "state", CONF_ENTITY_ID: entity_id, "from": "on", "to": "off"}
    )
    return await state_trigger.async_attach_trigger(
        hass, state_config, action, trigger_info, platform_type="device"
    )


async def async_get_conditions(hass: HomeAssistant, device_id: str) -> list[dict[str, Any]]:
    """List the conditions of a guarded device."""
    if _guarded(hass, device_id) is None:
        return []
    return [{CONF_CONDITION: "device", **_base(device_id), CONF_TYPE: t} for t in CONDITION_TYPES]


@callback
def async_condition_from_config(hass: HomeAssistant, config: ConfigType) -> ConditionCheckerType:
    """Check a guarded device's state: protected, cloud voice blocked, cloud allowed."""
    device_id = str(config[CONF_DEVICE_ID])
    kind = str(config[CONF_TYPE])

    def check(hass: HomeAssistant, _variables: TemplateVarsType = None) -> bool:
        found = _guarded(hass, device_id)
        coordinator = found[0] if found is not None else None
        if found is None or coordinator is None or coordinator.data is None:
            return kind == IS_NOT_PROTECTED  # not known now: nothing proves protection
        subentry_id = found[1]
        state = coordinator.data.devices.get(subentry_id)
        allowed = coordinator.desired.allowed_until(subentry_id) is not None
        protected = state is not None and state.protection_confirmed
        if kind == IS_PROTECTED:
            return protected
        if kind == IS_NOT_PROTECTED:
            return not protected
        if kind == CLOUD_ALLOWED:
            return allowed
        in_force = not allowed and bool(VOICE_BLOCKS & coordinator.desired.enabled(subentry_id))
        return in_force and state is not None and all(state.confirmed.values())

    return check
