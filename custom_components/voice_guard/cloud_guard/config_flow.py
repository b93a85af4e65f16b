"""The DNS filter entries' flows, and the guarded-device subentries.

AdGuard Home and Pi-hole by hand, reauthentication and reconfiguring; guarded devices by
hand or found by DHCP.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

from homeassistant.config_entries import (
    ConfigEntryState,
    ConfigFlow,
    ConfigFlowResult,
    ConfigSubentry,
    ConfigSubentryFlow,
    SubentryFlowResult,
)
from homeassistant.const import (
    CONF_NAME,
    CONF_PASSWORD,
    CONF_URL,
    CONF_USERNAME,
)
from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers.selector import (
    SelectOptionDict,
    SelectSelector,
    SelectSelectorConfig,
    TextSelector,
    TextSelectorConfig,
    TextSelectorType,
)
from homeassistant.helpers.service_info.dhcp import DhcpServiceInfo
from homeassistant.helpers.translation import async_get_translations

from ..compat import vol
from ..const import (
    CONF_DEVICE_TYPE,
    CONF_EXTRA_TELEMETRY_HOSTS,
    CONF_EXTRA_VOICE_HOSTS,
    CONF_FILTER,
    CONF_INITIAL_BLOCKS,
    CONF_IP,
    CONF_MAC,
    DOMAIN,
    FILTER_ADGUARD,
    FILTER_PIHOLE,
    LOGGER,
    SUBENTRY_DEVICE,
)
from ..data import async_update_and_reload
from .data import GuardConfigEntry, create_filter, filter_entries
from .dns.catalog import DeviceType
from .dns.filters.adguard_home import CHECK_HOST_CLIENT_SINCE, checks_clients
from .dns.filters.base import FilterError, NetworkClient
from .forms import (
    FILTER_TITLES,
    breakage_notes,
    core_adguard,
    device_schema,
    discovered_schema,
    filter_data,
    filter_schema,
    filter_server,
    filter_title,
    friendly_name,
    guess_type,
    name_error,
    url_error,
    validate_device,
)

CONF_CLIENT = "client"
MANUAL = "manual"
# Example addresses with a host name: hassfest wants such URLs in description placeholders.
URL_EXAMPLES = {"addon_url": "http://a0d7b954-adguard:3000", "pihole_url": "http://pi.hole"}


class FilterFlowSteps(ConfigFlow):
    """The config flow's steps that connect a DNS filter, one entry per filter."""

    def __init__(self) -> None:
        """Start with nothing discovered or pending."""
        super().__init__()
        self._dhcp: tuple[str, str, str] = ("", "", "")
        self._filter_version = ""
        self._pending_filter: tuple[str, dict[str, Any]] | None = None

    async def async_step_reconfigure_filter(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Change a filter's address and credentials (its unique id follows the address)."""
        entry = self._get_reconfigure_entry()
        return await self._async_filter_step(
            "reconfigure_filter", entry.data[CONF_FILTER], user_input, entry
        )

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
        entry: GuardConfigEntry | None = None,
    ) -> ConfigFlowResult:
        """Ask for the filter's address and credentials; test them before saving."""
        errors: dict[str, str] = {}
        if user_input is not None:
            data = self._filter_data(kind, user_input, entry)
            new = entry is None and url_error(data[CONF_URL]) is None
            if new and self._same_filter(data[CONF_URL], None):
                return self.async_abort(reason="already_configured")
            if (error := await self._async_test_filter(data, entry)) is not None:
                errors["base"] = error
            else:
                await self.async_set_unique_id(f"{kind}:{filter_server(data[CONF_URL])}")
                title = filter_title(kind, data[CONF_URL])
                if entry is not None:
                    async_update_and_reload(
                        self.hass, entry, unique_id=self.unique_id, title=title, data=data
                    )
                    return self.async_abort(reason="reconfigure_successful")
                if kind == FILTER_ADGUARD and not checks_clients(self._filter_version):
                    self._pending_filter = (title, data)
                    return await self.async_step_adguard_old()
                return self.async_create_entry(title=title, data=data)
        suggested = dict(user_input or {})
        if entry is not None and user_input is None:
            suggested = {k: v for k, v in entry.data.items() if k != CONF_PASSWORD}
        elif kind == FILTER_ADGUARD and user_input is None and (known := core_adguard(self.hass)):
            suggested = {k: v for k, v in known.items() if k != CONF_PASSWORD}
        schema = self.add_suggested_values_to_schema(filter_schema(kind), suggested)
        return self.async_show_form(
            step_id=step_id,
            data_schema=schema,
            errors=errors,
            description_placeholders={"filter": FILTER_TITLES[kind], **URL_EXAMPLES},
        )

    def _filter_data(
        self, kind: str, user_input: dict[str, Any], entry: GuardConfigEntry | None
    ) -> dict[str, Any]:
        """Return a filter entry's data from the form (a password left empty is kept)."""
        data = filter_data(kind, user_input, None if entry is None else dict(entry.data))
        known = core_adguard(self.hass) if kind == FILTER_ADGUARD and entry is None else None
        if known and not data[CONF_PASSWORD] and data[CONF_URL] == known[CONF_URL]:
            # The AdGuard Home that Home Assistant's own integration uses: its password.
            data[CONF_PASSWORD] = known[CONF_PASSWORD]
        return data

    def _same_filter(self, url: str, entry: GuardConfigEntry | None) -> bool:
        """Whether another entry has this filter, at this or another address of it."""
        server = filter_server(url)
        return any(
            other.entry_id != (entry.entry_id if entry else None)
            and url_error(other_url := other.data.get(CONF_URL, "")) is None
            and filter_server(other_url) == server
            for other in filter_entries(self.hass)
        )

    async def _async_test_filter(
        self, data: dict[str, Any], entry: GuardConfigEntry | None
    ) -> str | None:
        """Return an error key if the filter cannot be used with these settings."""
        if (error := url_error(data[CONF_URL])) is not None:
            return error
        if self._same_filter(data[CONF_URL], entry):
            # Two entries of one filter would move each other's rules out every poll.
            return "filter_already_configured"
        client = create_filter(self.hass, data)
        try:
            await client.check_login()
            self._filter_version = (await client.info()).version
        except FilterError as err:
            LOGGER.debug(
                "Filter at %s refused: %s", filter_title(data[CONF_FILTER], data[CONF_URL]), err
            )
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
            if (error := await self._async_test_filter(data, entry)) is None:
                async_update_and_reload(self.hass, entry, data=data)
                return self.async_abort(reason="reauth_successful")
            errors["base"] = error
        fields: dict[Any, Any] = {}
        if entry.data[CONF_FILTER] == FILTER_ADGUARD:
            fields[vol.Optional(CONF_USERNAME, default=entry.data.get(CONF_USERNAME, ""))] = (
                TextSelector()
            )
        fields[vol.Optional(CONF_PASSWORD)] = TextSelector(
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
        if user_input is not None and (error := name_error(user_input[CONF_NAME])):
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
        schema = discovered_schema(hostname, filters)
        breakage = await _breakage(self.hass, guess_type(hostname, None))
        return self.async_show_form(
            step_id="dhcp_confirm",
            data_schema=schema,
            errors=errors,
            description_placeholders={"name": hostname, "ip": ip, "mac": mac, "breakage": breakage},
        )


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
            data, errors = validate_device(self.hass, entry, user_input, subentry)
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
        suggested: dict[str, Any] = {}
        if subentry is not None:
            suggested = {**subentry.data, CONF_NAME: subentry.title}
        elif (picked := self._picked) is not None:
            device_type = guess_type(picked.name, picked.vendor)
            suggested = {
                CONF_NAME: friendly_name(picked.name, device_type),
                CONF_DEVICE_TYPE: device_type,
                CONF_IP: picked.ip or "",
                CONF_MAC: picked.mac or "",
            }
        schema = self.add_suggested_values_to_schema(
            device_schema(new=subentry is None),
            {k: v for k, v in {**suggested, **(user_input or {})}.items() if v is not None},
        )
        shown = {**suggested, **(user_input or {})}.get(CONF_DEVICE_TYPE)
        breakage = await _breakage(self.hass, str(shown) if shown else None)
        return self.async_show_form(
            step_id=step_id,
            data_schema=schema,
            errors=errors,
            description_placeholders={"breakage": breakage},
        )


async def _breakage(hass: HomeAssistant, device_type: str | None) -> str:
    """Return the catalog's breakage notes for a device type, its switches in words."""
    words = await async_get_translations(hass, hass.config.language, "entity", {DOMAIN})
    prefix = f"component.{DOMAIN}.entity.switch."
    switches = {
        key.removeprefix(prefix).removesuffix(".name"): name
        for key, name in words.items()
        if key.startswith(prefix) and key.endswith(".name")
    }
    return await hass.async_add_executor_job(
        breakage_notes, device_type, switches, hass.config.language
    )
