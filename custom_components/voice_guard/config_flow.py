"""The config flow: one entry for the speech engine, one per DNS filter.

The steps of each kind live with their half (local_voice/config_flow.py,
cloud_guard/config_flow.py); this class puts them together under the domain and picks
the kind: the menu, reconfigure, options and subentries.
"""

from __future__ import annotations

from typing import Any

from homeassistant.config_entries import (
    ConfigEntry,
    ConfigFlowResult,
    ConfigSubentryFlow,
)
from homeassistant.core import callback

from .cloud_guard.config_flow import FilterFlowSteps, GuardedDeviceFlow
from .cloud_guard.data import is_filter_entry
from .const import (
    DOMAIN,
    ENGINE_EMBEDDED,
    ENGINE_WYOMING,
    FILTER_ADGUARD,
    FILTER_PIHOLE,
    SUBENTRY_DEVICE,
)
from .local_voice.config_flow import SpeechFlowSteps, VoiceGuardOptionsFlow
from .local_voice.data import SpeechConfigEntry, is_speech_entry


class VoiceGuardConfigFlow(SpeechFlowSteps, FilterFlowSteps, domain=DOMAIN):
    """Create the speech entry or a DNS filter entry; each says its kind in its data."""

    VERSION = 1
    MINOR_VERSION = 3  # 1.2: the speech entry records its kind; 1.3: the model in data

    async def async_step_user(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Choose what to set up: local speech-to-text, or a DNS filter for the cloud guard."""
        return self.async_show_menu(
            step_id="user",
            menu_options=[ENGINE_EMBEDDED, ENGINE_WYOMING, FILTER_ADGUARD, FILTER_PIHOLE],
        )

    @staticmethod
    @callback
    def async_get_supported_subentry_types(
        config_entry: ConfigEntry[Any],
    ) -> dict[str, type[ConfigSubentryFlow]]:
        """Filter entries hold guarded devices."""
        if is_filter_entry(config_entry):
            return {SUBENTRY_DEVICE: GuardedDeviceFlow}
        return {}

    async def async_step_reconfigure(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Switch the speech engine, or change a filter's address and credentials."""
        entry = self._get_reconfigure_entry()
        if is_filter_entry(entry):
            return await self.async_step_reconfigure_filter(user_input)
        return self.async_show_menu(
            step_id="reconfigure", menu_options=[ENGINE_EMBEDDED, ENGINE_WYOMING]
        )

    @classmethod
    @callback
    def async_supports_options_flow(cls, config_entry: ConfigEntry[Any]) -> bool:
        """Only the speech engine has options; guarded devices have their own flows."""
        return is_speech_entry(config_entry)

    @staticmethod
    @callback
    def async_get_options_flow(
        config_entry: SpeechConfigEntry,  # noqa: ARG004
    ) -> VoiceGuardOptionsFlow:
        """Return the options flow."""
        return VoiceGuardOptionsFlow()
