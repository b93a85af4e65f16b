"""The cloud guard's forms: their schemas and the validation of what is typed into them.

config_flow.py holds only the steps (as the platinum integrations' flows read); what a
field accepts is decided here, for the filter entries and for the guarded devices.
"""

from __future__ import annotations

from collections.abc import Mapping
import ipaddress
import re
from typing import Any
from urllib.parse import urlsplit

from homeassistant.config_entries import ConfigSubentry
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
from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers.selector import (
    AreaSelector,
    BooleanSelector,
    DeviceSelector,
    NumberSelector,
    NumberSelectorConfig,
    NumberSelectorMode,
    SelectOptionDict,
    SelectSelector,
    SelectSelectorConfig,
    TextSelector,
    TextSelectorConfig,
    TextSelectorType,
)

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
    CONF_NO_ATTEMPT_DAYS,
    DEFAULT_NO_ATTEMPT_DAYS,
    FILTER_ADGUARD,
    FILTER_PIHOLE,
    KIND_FILTER,
    MAX_EXTRA_HOSTS,
)
from ..text import printable
from .data import GuardConfigEntry
from .dns.catalog import DeviceType, load_catalog
from .dns.filters.base import normalize_ip
from .dns.hosts import normalize_pattern
from .dns.policy import BLOCK_CATEGORIES, Block
from .entity import MODELS

FILTER_TITLES = {FILTER_ADGUARD: "AdGuard Home", FILTER_PIHOLE: "Pi-hole"}
MAX_NAME = 100
MAX_URL = 2000
_MAC = re.compile(r"^[0-9a-f]{2}(:[0-9a-f]{2}){5}$")
# Names of this machine: one filter reached as "localhost" and as "127.0.0.1" is one filter.
_LOOPBACK_NAMES = frozenset({"localhost", "localhost.localdomain", "ip6-localhost"})

# --- filter entries ----------------------------------------------------------------------


def filter_schema(kind: str) -> vol.Schema:
    """Return the form of a filter's address and credentials."""
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
    return vol.Schema(fields)


def filter_data(
    kind: str, user_input: dict[str, Any], previous: dict[str, Any] | None
) -> dict[str, Any]:
    """Return a filter entry's data from the form (a password left empty is kept)."""
    data = {
        CONF_KIND: KIND_FILTER,
        CONF_FILTER: kind,
        CONF_URL: str(user_input[CONF_URL]).strip().rstrip("/"),
        CONF_PASSWORD: user_input.get(CONF_PASSWORD) or "",
        CONF_VERIFY_SSL: user_input.get(CONF_VERIFY_SSL, True),
    }
    if kind == FILTER_ADGUARD:
        data[CONF_USERNAME] = str(user_input.get(CONF_USERNAME, "")).strip()
    if previous is not None and not data[CONF_PASSWORD]:
        data[CONF_PASSWORD] = previous.get(CONF_PASSWORD, "")
    return data


def url_error(url: str) -> str | None:
    """Check a filter's address: http(s), a host, no credentials in it, one printable line."""
    if len(url) > MAX_URL or not printable(url):
        return "invalid_url"
    try:
        parts = urlsplit(url)
        port = parts.port  # raises for "http://[::1:3005" and ports past 65535
    except ValueError:
        return "invalid_url"
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return "invalid_url"
    if parts.username is not None or parts.password is not None:
        return "url_has_credentials"  # they go in the fields, never in a title or a log
    del port
    return None


def filter_server(url: str) -> str:
    """Return one name for the server behind a checked URL, whichever way it is written.

    "http://localhost:3005", "http://127.0.0.1:3005/" and "http://[::1]:3005" are one
    AdGuard Home: two entries of it would move each other's rules out on every poll.
    """
    parts = urlsplit(url)
    host = (parts.hostname or "").lower().rstrip(".")
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        loopback = host in _LOOPBACK_NAMES
    else:
        mapped = getattr(address, "ipv4_mapped", None)
        address = mapped or address
        loopback = address.is_loopback
        host = str(address)
    if loopback:
        host = "localhost"
    port = parts.port or (443 if parts.scheme == "https" else 80)
    path = parts.path.rstrip("/")
    return f"{host}:{port}{path}"


def filter_title(kind: str, url: str) -> str:
    """Return a filter entry's title: the product and its address, never a credential."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    shown = f"[{host}]" if ":" in host else host
    return f"{FILTER_TITLES[kind]} ({shown}{f':{parts.port}' if parts.port else ''})"


def core_adguard(hass: HomeAssistant) -> dict[str, Any] | None:
    """Return the AdGuard Home that Home Assistant's own AdGuard integration connects to.

    Supervisor announces the AdGuard Home add-on to that integration only (discovery goes
    to the domain named by the add-on), so Voice Guard offers what it found.
    """
    for entry in hass.config_entries.async_entries("adguard"):
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


# --- guarded devices ---------------------------------------------------------------------

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
# Words of a host name that say nothing about the device: makers, and the hex or digits
# that make the name unique ("amazon-3f2a1c").
_MAKER_WORDS = frozenset({"amazon", "google", "ring", "irobot"})
_NOISE = re.compile(r"^(?=.*\d)[0-9a-f]{4,}$|^\d+$")


def guess_type(name: str | None, vendor: str | None) -> str:
    """Guess a device type from a hostname or MAC vendor; 'other' if nothing fits."""
    text = f"{name or ''} {vendor or ''}".lower()
    return next((t.value for word, t in FAMILY_WORDS if word in text), DeviceType.OTHER.value)


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


def breakage_notes(
    device_type: str | None, switches: Mapping[str, str], language: str = "en"
) -> str:
    """Return the catalog's known breakage of each switch, one line each.

    For the device's own type when it is known (an Echo Dot is told nothing about Ring),
    else for the families that have notes. switches: each switch's name in the home's
    language, by its key; the notes in that language where the catalog has them.
    """
    catalog = load_catalog()
    families = (
        [(MODELS.get(device_type, device_type), DeviceType(device_type))]
        if device_type in {t.value for t in DeviceType}
        else [("Echo", DeviceType.ECHO), ("Ring", DeviceType.RING)]
    )
    lines = []
    for label, kind in families:
        for block in (Block.TELEMETRY, Block.ALL_CLOUD):
            notes = catalog.breakage(kind, set(BLOCK_CATEGORIES[block]), language)
            if block is Block.ALL_CLOUD:
                notes = notes[-1:]  # the broadest: what "local only" does
            name = switches.get(block.value, block.value)
            lines += [f"{label}, {name}: {note}" for note in notes]
    return "\n".join(lines)


def type_selector() -> SelectSelector:
    """Return the picker of a device's type."""
    return SelectSelector(
        SelectSelectorConfig(
            options=[t.value for t in DeviceType], translation_key=CONF_DEVICE_TYPE
        )
    )


def blocks_selector() -> SelectSelector:
    """Return the picker of a new device's first blocks (none ticked: some break devices)."""
    return SelectSelector(
        SelectSelectorConfig(
            options=[b.value for b in Block], multiple=True, translation_key="block"
        )
    )


def device_schema(*, new: bool) -> vol.Schema:
    """Return the form of a guarded device (a new one also picks its first blocks)."""
    fields: dict[Any, Any] = {
        vol.Required(CONF_NAME): TextSelector(),
        vol.Required(CONF_DEVICE_TYPE): type_selector(),
        vol.Optional(CONF_IP): TextSelector(),
        vol.Optional(CONF_MAC): TextSelector(),
        vol.Optional(CONF_LINKED_DEVICE): DeviceSelector(),
        vol.Optional(CONF_AREA): AreaSelector(),
        vol.Optional(CONF_EXTRA_VOICE_HOSTS): TextSelector(TextSelectorConfig(multiple=True)),
        vol.Optional(CONF_EXTRA_TELEMETRY_HOSTS): TextSelector(TextSelectorConfig(multiple=True)),
        vol.Optional(CONF_NO_ATTEMPT_DAYS, default=DEFAULT_NO_ATTEMPT_DAYS): NumberSelector(
            NumberSelectorConfig(min=1, max=60, step=1, mode=NumberSelectorMode.BOX)
        ),
    }
    if new:
        fields[vol.Optional(CONF_INITIAL_BLOCKS)] = blocks_selector()
    return vol.Schema(fields)


def discovered_schema(hostname: str, filters: dict[str, str]) -> vol.Schema:
    """Return the form that guards a device DHCP found, on one of the filters."""
    device_type = guess_type(hostname, None)
    return vol.Schema(
        {
            vol.Required(CONF_NAME, default=friendly_name(hostname, device_type)): TextSelector(),
            vol.Required(CONF_DEVICE_TYPE, default=device_type): type_selector(),
            vol.Required("filter_entry", default=next(iter(filters))): SelectSelector(
                SelectSelectorConfig(
                    options=[SelectOptionDict(value=k, label=v) for k, v in filters.items()]
                )
            ),
            vol.Optional(CONF_INITIAL_BLOCKS, default=[]): blocks_selector(),
        }
    )


def name_error(name: str) -> str | None:
    """Check a guarded device's name: not empty, one printable line of at most 100."""
    if not name.strip():
        return "name_required"
    return None if printable(name) and len(name) <= MAX_NAME else "invalid_name"


def device_ip(value: str) -> str:
    """Return the canonical address of one device, or raise ValueError.

    An IPv4 address written as IPv6 ("::ffff:192.168.1.50") is the IPv4 address, so it
    cannot guard a device twice; no address of many devices or of none is accepted.
    """
    address = ipaddress.ip_address(normalize_ip(value))
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    if (
        address.is_unspecified
        or address.is_multicast
        or address.is_reserved
        or address == ipaddress.IPv4Address("255.255.255.255")
    ):
        raise ValueError(f"{value!r} is not the address of one device")
    return str(address)


def validate_device(
    hass: HomeAssistant,
    entry: GuardConfigEntry,
    user_input: dict[str, Any],
    subentry: ConfigSubentry | None,
) -> tuple[dict[str, Any], dict[str, str]]:
    """Check a guarded device's fields; return its data and the errors per field."""
    errors: dict[str, str] = {}
    if error := name_error(str(user_input.get(CONF_NAME, ""))):
        errors[CONF_NAME] = error
    ip, mac = _addresses(hass, entry, user_input, errors)
    hosts: dict[str, list[str]] = {}
    for key in (CONF_EXTRA_VOICE_HOSTS, CONF_EXTRA_TELEMETRY_HOSTS):
        typed = [h for h in user_input.get(key) or [] if h.strip()]
        if len(typed) > MAX_EXTRA_HOSTS:
            errors[key] = "too_many_hosts"
            continue
        try:
            hosts[key] = list(dict.fromkeys(normalize_pattern(h) for h in typed))
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
        CONF_NO_ATTEMPT_DAYS: int(user_input.get(CONF_NO_ATTEMPT_DAYS) or DEFAULT_NO_ATTEMPT_DAYS),
    }
    return data, errors


def _addresses(
    hass: HomeAssistant, entry: GuardConfigEntry, user_input: dict[str, Any], errors: dict[str, str]
) -> tuple[str, str]:
    """Validate IP and MAC (the MAC taken from the linked device when not typed)."""
    ip = str(user_input.get(CONF_IP) or "").strip()
    mac = str(user_input.get(CONF_MAC) or "").strip()
    if ip:
        try:
            ip = device_ip(ip)  # canonical, without an IPv6 scope ("%eth0")
        except ValueError:
            errors[CONF_IP] = "invalid_ip"
    linked = user_input.get(CONF_LINKED_DEVICE)
    device = dr.async_get(hass).async_get(linked) if linked else None
    if linked and device is None:
        errors[CONF_LINKED_DEVICE] = "unknown_device"
    if not mac and isinstance(device, dr.DeviceEntry):
        mac = next((v for k, v in device.connections if k == dr.CONNECTION_NETWORK_MAC), "")
    if mac:
        mac = dr.format_mac(mac)
        if not _MAC.match(mac):
            errors[CONF_MAC] = "invalid_mac"
    if not ip and not mac:
        errors.setdefault("base", "address_required")
    elif not ip and entry.data[CONF_FILTER] == FILTER_ADGUARD:
        errors.setdefault(CONF_IP, "ip_required")
    return ip, mac
