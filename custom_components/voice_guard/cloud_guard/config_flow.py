"""The DNS filter entries' flows, and the guarded-device subentries.

AdGuard Home and Pi-hole by hand, reauthentication and reconfiguring; guarded devices by
hand or found by DHCP.
"""

from __future__ import annotations

from collections.abc import Mapping
import re
from types import MappingProxyType
from typing import Any
from urllib.parse import urlsplit

from homeassistant.config_entries import (
    ConfigEntryState,
    ConfigFlow,
    ConfigFlowResult,
    ConfigSubentry,
    ConfigSubentryFlow,
    SubentryFlowResult,
)
from homeassistant.const import (
    CONF_HOST,
    CONF_NAME,
    CONF_PASSWORD,
    CONF_PORT,
    CONF_SSL,
    CONF_URL,
    CONF_USERNAME,
    CONF_VERIFY_SSL,
)
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers.selector import (
    AreaSelector,
    BooleanSelector,
    DeviceSelector,
    SelectOptionDict,
    SelectSelector,
    SelectSelectorConfig,
    TextSelector,
    TextSelectorConfig,
    TextSelectorType,
)
from homeassistant.helpers.service_info.dhcp import DhcpServiceInfo

from ..compat import vol
from ..const import (
    CONF_AREA,
    CONF_DEVICE_TYPE,
    CONF_EXTRA_TELEMETRY_HOSTS,
    CONF_EXTRA_VOICE_HOSTS,
    CONF_FILTER,
    CONF_INITIAL_BLOCKS,
    CONF_IP,
    CONF_KIND,
    CONF_LINKED_DEVICE,
    CONF_MAC,
    FILTER_ADGUARD,
    FILTER_PIHOLE,
    KIND_FILTER,
    LOGGER,
    SUBENTRY_DEVICE,
)
from ..data import async_update_and_reload
from ..text import printable
from .coordinator import GuardConfigEntry, create_filter, filter_entries
from .dns.catalog import DeviceType, load_catalog
from .dns.filters.adguard_home import CHECK_HOST_CLIENT_SINCE, checks_clients
from .dns.filters.base import FilterError, NetworkClient, normalize_ip
from .dns.hosts import normalize_pattern
from .dns.policy import BLOCK_CATEGORIES, Block
from .entity import MODELS

CONF_CLIENT = "client"
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


# Words of a host name that say nothing about the device: makers, and the hex or digits
# that make the name unique ("amazon-3f2a1c").
_MAKER_WORDS = frozenset({"amazon", "google", "ring", "irobot"})
_NOISE = re.compile(r"^(?=.*\d)[0-9a-f]{4,}$|^\d+$")


def friendly_name(name: str | None, device_type: str) -> str:
    """Turn a network name into one a person would give ("echo-dot-kitchen" → "Echo Dot Kitchen").

    A name that already reads like one (spaces or capitals) is kept; one that says nothing
    but the maker ("amazon-3f2a1c") becomes the model ("Echo").
    """
    text = (name or "").strip()
    if text and (" " in text or text != text.lower()):
        return text
    words = [w for w in re.split(r"[-_.]+", text) if w and not _NOISE.match(w)]
    if not words or set(words) <= _MAKER_WORDS:
        return MODELS.get(device_type, text or "Device")
    return " ".join(w.capitalize() for w in words)


def breakage_notes() -> str:
    """Return the catalog's known breakage of each switch, one line per family (English)."""
    catalog = load_catalog()
    lines = []
    for label, device_type in (("Echo", DeviceType.ECHO), ("Ring", DeviceType.RING)):
        for block in (Block.TELEMETRY, Block.ALL_CLOUD):
            notes = catalog.breakage(device_type, set(BLOCK_CATEGORIES[block]))
            if block is Block.ALL_CLOUD:
                notes = notes[-1:]  # the broadest: what "local only" does
            lines += [f"{label}, {block.value}: {note}" for note in notes]
    return "\n".join(lines)


def _name_error(name: str) -> str | None:
    """Check a guarded device's name: not empty, one line, no control characters."""
    if not name.strip():
        return "name_required"
    return None if printable(name) else "invalid_name"


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
            # Optional: an AdGuard Home without users (the add-on behind Home Assistant's
            # ingress, say) needs no credentials, as for Home Assistant's own integration.
            fields[vol.Optional(CONF_USERNAME)] = TextSelector()
        # Optional: a Pi-hole or AdGuard Home without a password needs none.
        fields[vol.Optional(CONF_PASSWORD)] = TextSelector(
            TextSelectorConfig(type=TextSelectorType.PASSWORD)
        )
        fields[vol.Required(CONF_VERIFY_SSL, default=True)] = BooleanSelector()
        suggested = dict(user_input or {})
        if entry is not None and user_input is None:
            suggested = {k: v for k, v in entry.data.items() if k != CONF_PASSWORD}
        elif kind == FILTER_ADGUARD and user_input is None and (known := self._core_adguard()):
            suggested = {k: v for k, v in known.items() if k != CONF_PASSWORD}
        schema = self.add_suggested_values_to_schema(vol.Schema(fields), suggested)
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
        known = self._core_adguard() if kind == FILTER_ADGUARD and entry is None else None
        if known and not data[CONF_PASSWORD] and data[CONF_URL] == known[CONF_URL]:
            # The AdGuard Home that Home Assistant's own integration uses: its password.
            data[CONF_PASSWORD] = known[CONF_PASSWORD]
        return data

    def _core_adguard(self) -> dict[str, Any] | None:
        """Return the AdGuard Home that Home Assistant's own AdGuard integration connects to.

        Supervisor announces the AdGuard Home add-on to that integration only (discovery
        goes to the domain named by the add-on), so Voice Guard offers what it found.
        """
        for entry in self.hass.config_entries.async_entries("adguard"):
            data = entry.data
            if not data.get(CONF_HOST):
                continue
            scheme = "https" if data.get(CONF_SSL) else "http"
            port = f":{data[CONF_PORT]}" if data.get(CONF_PORT) else ""
            return {
                CONF_URL: f"{scheme}://{data[CONF_HOST]}{port}",
                CONF_USERNAME: data.get(CONF_USERNAME) or "",
                CONF_PASSWORD: data.get(CONF_PASSWORD) or "",
                CONF_VERIFY_SSL: bool(data.get(CONF_VERIFY_SSL, True)),
            }
        return None

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
                vol.Required(
                    CONF_NAME, default=friendly_name(hostname, guess_type(hostname, None))
                ): TextSelector(),
                vol.Required(
                    CONF_DEVICE_TYPE, default=guess_type(hostname, None)
                ): _type_selector(),
                vol.Required("filter_entry", default=next(iter(filters))): SelectSelector(
                    SelectSelectorConfig(
                        options=[SelectOptionDict(value=k, label=v) for k, v in filters.items()]
                    )
                ),
                # Nothing is ticked for the owner: some blocks break some devices.
                vol.Optional(CONF_INITIAL_BLOCKS, default=[]): _blocks_selector(),
            }
        )
        breakage = await self.hass.async_add_executor_job(breakage_notes)
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
            vol.Optional(CONF_AREA): AreaSelector(),
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
            device_type = guess_type(picked.name, picked.vendor)
            suggested = {
                CONF_NAME: friendly_name(picked.name, device_type),
                CONF_DEVICE_TYPE: device_type,
                CONF_IP: picked.ip or "",
                CONF_MAC: picked.mac or "",
            }
        # No switch is ticked for the owner: some blocks break some devices (see the notes).
        schema = self.add_suggested_values_to_schema(
            vol.Schema(fields),
            {k: v for k, v in {**suggested, **(user_input or {})}.items() if v is not None},
        )
        breakage = await self.hass.async_add_executor_job(breakage_notes)
        return self.async_show_form(
            step_id=step_id,
            data_schema=schema,
            errors=errors,
            description_placeholders={"breakage": breakage},
        )

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
            CONF_AREA: user_input.get(CONF_AREA),
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
