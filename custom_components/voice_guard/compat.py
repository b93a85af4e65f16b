"""Differences between the supported Home Assistant versions, in one place."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from homeassistant.core import CALLBACK_TYPE, HomeAssistant
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers.device_registry import DeviceInfo

try:  # Home Assistant 2026.x validates with probatio, voluptuous' maintained fork.
    import probatio as vol
except ImportError:  # Home Assistant 2025.x
    import voluptuous as vol  # type: ignore[no-redef]

__all__ = ["vol"]

try:  # Home Assistant 2026.x defines it in http's server module (http re-exports it).
    from homeassistant.components.http.server import StaticPathConfig
except ImportError:  # Home Assistant 2025.x defines it in http itself.
    from homeassistant.components.http import (  # type: ignore[attr-defined,no-redef,unused-ignore]
        StaticPathConfig,
    )

__all__ += ["StaticPathConfig"]

try:  # Home Assistant 2026.x lets a speech-to-text entity do its own end-pointing.
    from homeassistant.components.stt.models import SpeechAudioProcessing
except ImportError:  # Home Assistant 2025.x: the pipeline always segments the audio.
    SpeechAudioProcessing = None  # type: ignore[assignment, misc]

__all__ += ["SpeechAudioProcessing"]

try:  # Home Assistant 2026.x types repair flow results separately.
    from homeassistant.components.repairs import RepairsFlowResult
except ImportError:  # Home Assistant 2025.x: a repair flow returns a plain FlowResult.
    from homeassistant.data_entry_flow import (  # type: ignore[assignment]
        FlowResult as RepairsFlowResult,
    )

__all__ += ["RepairsFlowResult"]


try:  # Home Assistant 2026.x: triggers on a target, offered in the "By target" picker.
    from homeassistant.helpers.automation import DomainSpec
    from homeassistant.helpers.trigger.entity_trigger import EntityTargetStateTriggerBase
except ImportError:  # Home Assistant 2025.x: device triggers only.
    DomainSpec = None  # type: ignore[assignment, misc]
    EntityTargetStateTriggerBase = None  # type: ignore[assignment, misc]

__all__ += ["DomainSpec", "EntityTargetStateTriggerBase"]

try:  # Home Assistant 2026.x: conditions on a target, offered under "By target" too.
    from homeassistant.helpers.condition import EntityStateConditionBase
except ImportError:  # Home Assistant 2025.x: device conditions only.
    EntityStateConditionBase = None  # type: ignore[assignment, misc]

__all__ += ["EntityStateConditionBase"]


def all_devices(registry: dr.DeviceRegistry) -> list[dr.DeviceEntry]:
    """Every device in the registry.

    Home Assistant 2026 made `registry.devices` a collection of entries (a mapping use logs
    a deprecation and breaks in 2027.9); in 2025.x it is a mapping of id to entry.
    """
    devices: Any = registry.devices
    if isinstance(devices, Mapping):  # Home Assistant 2025.x
        return list(devices.values())
    return list(devices)


__all__ += ["all_devices"]


def device_by_identifier(
    registry: dr.DeviceRegistry, identifier: tuple[str, str], config_entry_id: str
) -> dr.DeviceEntry | None:
    """Return the device of a config entry with this identifier.

    Home Assistant 2026 made identifiers unique per config entry only and deprecated the
    global lookup (async_get_device, breaks in 2027.8); 2025.x has only that one.
    """
    if (by_identifier := getattr(registry, "async_get_device_by_identifier", None)) is not None:
        found: dr.DeviceEntry | None = by_identifier(identifier, config_entry_id)
        return found
    return registry.async_get_device(identifiers={identifier})  # Home Assistant 2025.x


__all__ += ["device_by_identifier"]


# --- What Assist and text-to-speech have no public helper for (neither version) -----------
# Assist's public helpers create a pipeline only in the home's language
# (async_create_default_pipeline) and cannot read or set the preferred pipeline or tell
# about changes; text-to-speech cannot say which languages one entity speaks. These go
# through Assist's pipeline store and the tts component here, and nowhere else.


def _pipeline_store(hass: HomeAssistant) -> Any:
    from homeassistant.components.assist_pipeline.pipeline import (  # noqa: PLC0415
        KEY_ASSIST_PIPELINE,
    )

    return hass.data[KEY_ASSIST_PIPELINE].pipeline_store


async def async_create_pipeline(hass: HomeAssistant, settings: dict[str, Any]) -> str:
    """Create a pipeline with these settings (any language); return its id."""
    pipeline = await _pipeline_store(hass).async_create_item(settings)
    return str(pipeline.id)


def async_get_preferred_pipeline(hass: HomeAssistant) -> str:
    """Return the id of the preferred pipeline."""
    return str(_pipeline_store(hass).async_get_preferred_item())


def async_set_preferred_pipeline(hass: HomeAssistant, pipeline_id: str) -> None:
    """Make a pipeline the preferred one."""
    _pipeline_store(hass).async_set_preferred_item(pipeline_id)


def async_listen_pipelines(hass: HomeAssistant, listener: Any) -> CALLBACK_TYPE:
    """Call listener (a coroutine function taking the changes) when pipelines change."""
    unsub: CALLBACK_TYPE = _pipeline_store(hass).async_add_change_set_listener(listener)
    return unsub


def tts_languages(hass: HomeAssistant, entity_id: str) -> list[str]:
    """Return the languages a text-to-speech entity speaks."""
    from homeassistant.components.tts.const import DATA_COMPONENT  # noqa: PLC0415

    component = hass.data.get(DATA_COMPONENT)
    entity = component.get_entity(entity_id) if component is not None else None
    return list(entity.supported_languages or []) if entity is not None else []


__all__ += [
    "async_create_pipeline",
    "async_get_preferred_pipeline",
    "async_listen_pipelines",
    "async_set_preferred_pipeline",
    "tts_languages",
]


def connect_via(device_info: DeviceInfo, parent_id: str, identifiers: set[tuple[str, str]]) -> None:
    """Show a device as connected via another one.

    Home Assistant 2026 names the parent by its registry id (via_device_id); 2025.x by
    one of its identifiers (via_device). Each key is unknown to the other version's types.
    """
    if "via_device_id" in DeviceInfo.__annotations__:
        device_info["via_device_id"] = parent_id  # type: ignore[typeddict-unknown-key,unused-ignore]
    elif identifiers:
        device_info["via_device"] = next(iter(identifiers))  # type: ignore[typeddict-unknown-key,unused-ignore]


__all__ += ["connect_via"]
