"""Differences between the supported Home Assistant versions, in one place."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from homeassistant.helpers import device_registry as dr

try:  # Home Assistant 2026.x validates with probatio, voluptuous' maintained fork.
    import probatio as vol
except ImportError:  # Home Assistant 2025.x
    import voluptuous as vol  # type: ignore[no-redef]

__all__ = ["vol"]

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
