"""What the home's exposed entities can do, in the words of engine.phrases' capabilities.

Phrase mode keeps a sentence template only if some exposed entity can carry it out: a
colour for a light with colour, a speed for a fan with speeds, "here" for a satellite
placed in an area (engine.phrases.INTENT_CAPABILITIES). The features are read from the
entities' states, as Home Assistant's own intent handlers check them.
"""

from __future__ import annotations

from collections.abc import Iterable
import sys

from homeassistant.const import ATTR_SUPPORTED_FEATURES
from homeassistant.core import HomeAssistant, State
from homeassistant.helpers import device_registry as dr, entity_registry as er

from .engine.phrases import SATELLITE_AREA

# domain -> (its feature flag enum's name, flag name -> capability). The enum is taken
# from the domain's package, which is loaded whenever an entity of it exists (nothing is
# imported here), by name: a flag newer than the oldest supported Home Assistant
# (SEARCH_MEDIA, CLEAN_AREA) is simply never found there.
FEATURES: dict[str, tuple[str, dict[str, str]]] = {
    "assist_satellite": ("AssistSatelliteEntityFeature", {"ANNOUNCE": "announce"}),
    "climate": (
        "ClimateEntityFeature",
        {"TARGET_TEMPERATURE": "target_temperature", "FAN_MODE": "fan_mode"},
    ),
    "cover": ("CoverEntityFeature", {"SET_POSITION": "position"}),
    "fan": ("FanEntityFeature", {"SET_SPEED": "speed", "DIRECTION": "direction"}),
    "lawn_mower": ("LawnMowerEntityFeature", {"START_MOWING": "start", "DOCK": "dock"}),
    "media_player": (
        "MediaPlayerEntityFeature",
        {
            "PAUSE": "pause",
            "PLAY": "play",
            "NEXT_TRACK": "next",
            "PREVIOUS_TRACK": "previous",
            "VOLUME_SET": "volume_set",
            "VOLUME_STEP": "volume_step",
            "VOLUME_MUTE": "mute",
            "SEARCH_MEDIA": "search",
        },
    ),
    "vacuum": (
        "VacuumEntityFeature",
        {"START": "start", "RETURN_HOME": "return_home", "CLEAN_AREA": "clean_area"},
    ),
    "valve": ("ValveEntityFeature", {"SET_POSITION": "position"}),
}
# A light's colour modes (the values of light.ColorMode), as Home Assistant's light
# helpers group them (brightness_supported, color_supported, color_temp_supported).
ATTR_SUPPORTED_COLOR_MODES = "supported_color_modes"
WITHOUT_BRIGHTNESS = frozenset({"onoff", "unknown"})
WITH_COLOR = frozenset({"hs", "xy", "rgb", "rgbw", "rgbww"})
WITH_COLOR_TEMP = frozenset({"color_temp"})


def entity_capabilities(state: State) -> set[str]:
    """Return what one entity can do: its domain and its domain's features."""
    domain = state.domain
    found = {domain}
    if domain == "light":
        modes = {str(mode) for mode in state.attributes.get(ATTR_SUPPORTED_COLOR_MODES) or ()}
        if modes - WITHOUT_BRIGHTNESS:
            found.add("light:brightness")
        if modes & WITH_COLOR:
            found.add("light:color")
        if modes & WITH_COLOR_TEMP:
            found.add("light:color_temp")
        return found
    enum_name, names = FEATURES.get(domain, ("", {}))
    package = sys.modules.get(f"homeassistant.components.{domain}")
    flags = getattr(package, enum_name, None) if enum_name else None
    features = state.attributes.get(ATTR_SUPPORTED_FEATURES)
    if flags is None or not isinstance(features, int):
        return found
    for name, capability in names.items():
        member = flags.__members__.get(name)
        if member is not None and features & member:
            found.add(f"{domain}:{capability}")
    return found


def home_capabilities(hass: HomeAssistant, exposed: Iterable[State]) -> frozenset[str]:
    """Return what the exposed entities can do, and whether a satellite has an area.

    Satellites need not be exposed: "turn on the lights here" takes the area of the
    satellite that heard it, so a satellite with an area (its own, or its device's) is
    what "here" sentences need.
    """
    found: set[str] = set()
    for state in exposed:
        found |= entity_capabilities(state)
    entities = er.async_get(hass)
    devices = dr.async_get(hass)
    for entry in entities.entities.values():
        if entry.domain != "assist_satellite":
            continue
        device = devices.async_get(entry.device_id) if entry.device_id else None
        if entry.area_id or (device is not None and device.area_id):
            found.add(SATELLITE_AREA)
            break
    return frozenset(found)
