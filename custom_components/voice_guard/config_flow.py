"""Config flow for Voice Guard."""

from __future__ import annotations

from typing import Any

from homeassistant.config_entries import (
    ConfigFlow,
    ConfigFlowResult,
    OptionsFlow,
)
from homeassistant.core import callback
from homeassistant.helpers.selector import (
    NumberSelector,
    NumberSelectorConfig,
    NumberSelectorMode,
)

from .compat import vol
from .const import (
    CONF_MAX_DECODERS,
    CONF_MAX_SECONDS,
    CONF_SILENCE_MS,
    DOMAIN,
    MAX_MAX_DECODERS,
    MAX_MAX_SECONDS,
    MAX_SILENCE_MS,
    MIN_MAX_SECONDS,
    MIN_SILENCE_MS,
    NAME,
)
from .data import SpeechSettings, VoiceGuardConfigEntry


def _speech_schema(current: SpeechSettings) -> vol.Schema:
    """Build the speech settings form, pre-filled with the current values."""

    def _number(minimum: int, maximum: int, step: int, unit: str | None) -> NumberSelector:
        config = NumberSelectorConfig(
            min=minimum, max=maximum, step=step, mode=NumberSelectorMode.BOX
        )
        if unit is not None:
            config["unit_of_measurement"] = unit
        return NumberSelector(config)

    return vol.Schema(
        {
            vol.Required(CONF_MAX_DECODERS, default=current.max_decoders): vol.All(
                _number(1, MAX_MAX_DECODERS, 1, None), vol.Coerce(int)
            ),
            vol.Required(CONF_SILENCE_MS, default=current.silence_ms): vol.All(
                _number(MIN_SILENCE_MS, MAX_SILENCE_MS, 50, "ms"), vol.Coerce(int)
            ),
            vol.Required(CONF_MAX_SECONDS, default=current.max_seconds): vol.All(
                _number(MIN_MAX_SECONDS, MAX_MAX_SECONDS, 1, "s"), vol.Coerce(int)
            ),
        }
    )


class VoiceGuardConfigFlow(ConfigFlow, domain=DOMAIN):
    """Create the single Voice Guard entry."""

    VERSION = 1
    MINOR_VERSION = 1

    async def async_step_user(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Confirm adding Voice Guard."""
        await self.async_set_unique_id(DOMAIN)
        self._abort_if_unique_id_configured(error="single_instance_allowed")
        if user_input is not None:
            return self.async_create_entry(title=NAME, data={})
        return self.async_show_form(step_id="user")

    @staticmethod
    @callback
    def async_get_options_flow(
        config_entry: VoiceGuardConfigEntry,  # noqa: ARG004
    ) -> VoiceGuardOptionsFlow:
        """Return the options flow."""
        return VoiceGuardOptionsFlow()


class VoiceGuardOptionsFlow(OptionsFlow):
    """Change the speech-to-text settings."""

    async def async_step_init(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Show and store the speech settings."""
        if user_input is not None:
            return self.async_create_entry(data={**self.config_entry.options, **user_input})
        current = SpeechSettings.from_options(dict(self.config_entry.options))
        return self.async_show_form(step_id="init", data_schema=_speech_schema(current))
