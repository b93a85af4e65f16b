"""Controls that lower protection are the owner's: kept from Assist and other agents.

Home Assistant exposes every switch to Assist by default, so anyone at a microphone, and
any conversation agent (a cloud one too), could turn a guard off. Voice Guard's switches
that lower a device's protection (the guard switches, a satellite's "local voice only")
are marked "not exposed" for every assistant when they are first added. A choice the
owner made (Settings → Voice assistants → Expose) is never changed: exposing one on
purpose stays exposed.
"""

from __future__ import annotations

from homeassistant.components.homeassistant.exposed_entities import (
    async_expose_entity,
    async_get_entity_settings,
)
from homeassistant.core import HomeAssistant

from .const import LOGGER

# Assist (every conversation agent goes through it) and Home Assistant Cloud's voice
# assistants, which read the same expose settings.
ASSISTANTS = ("conversation", "cloud.alexa", "cloud.google_assistant")


def keep_from_assistants(hass: HomeAssistant, entity_id: str) -> None:
    """Mark an entity not exposed, for each assistant the owner has not decided for."""
    try:
        settings = async_get_entity_settings(hass, entity_id)
    except KeyError:  # Home Assistant's core integration is not set up (some tests)
        LOGGER.debug("No expose settings to keep %s from assistants", entity_id)
        return
    for assistant in ASSISTANTS:
        if "should_expose" not in settings.get(assistant, {}):
            async_expose_entity(hass, assistant, entity_id, should_expose=False)
