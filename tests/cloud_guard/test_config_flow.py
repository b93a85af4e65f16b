"""Config flows of the cloud guard: filters, guarded devices (subentries), DHCP discovery."""

from __future__ import annotations

import json
import logging
from typing import Any

from homeassistant.config_entries import (
    SOURCE_DHCP,
    SOURCE_RECONFIGURE,
    SOURCE_USER,
    ConfigEntryState,
)
from homeassistant.const import CONF_NAME, CONF_PASSWORD, CONF_URL, CONF_USERNAME, CONF_VERIFY_SSL
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.helpers import area_registry as ar, device_registry as dr, entity_registry as er
from homeassistant.helpers.service_info.dhcp import DhcpServiceInfo
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.components.diagnostics import (
    get_diagnostics_for_config_entry,
)
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from custom_components.voice_guard.cloud_guard.forms import filter_server
from custom_components.voice_guard.const import (
    CONF_DEVICE_TYPE,
    CONF_EXTRA_TELEMETRY_HOSTS,
    CONF_EXTRA_VOICE_HOSTS,
    CONF_FILTER,
    CONF_INITIAL_BLOCKS,
    CONF_IP,
    CONF_KIND,
    CONF_LINKED_DEVICE,
    CONF_MAC,
    DOMAIN,
    SUBENTRY_DEVICE,
)

from ..fakes.adguard_home import FakeAdGuardHome
from ..fakes.pihole import FakePiHole
from ..guarded import (
    KITCHEN_IP,
    KITCHEN_MAC,
    device_of,
    filter_entry,
    kitchen,
    setup_entry,
)


async def _menu(hass: HomeAssistant, choice: str) -> dict[str, Any]:
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    return await hass.config_entries.flow.async_configure(
        result["flow_id"], {"next_step_id": choice}
    )


async def test_adguard_home_is_tested_before_it_is_saved(
    hass: HomeAssistant, adguard: FakeAdGuardHome
) -> None:
    """Bad address, password or server give translated errors; the right ones an entry."""
    result = await _menu(hass, "adguard_home")
    assert result["step_id"] == "adguard_home"
    flow_id = result["flow_id"]
    good = {
        CONF_URL: adguard.url + "/",
        CONF_USERNAME: "admin",
        CONF_PASSWORD: "secret",
        CONF_VERIFY_SSL: True,
    }

    result = await hass.config_entries.flow.async_configure(
        flow_id, {**good, CONF_URL: "adguard.local"}
    )
    assert result["errors"] == {"base": "invalid_url"}
    result = await hass.config_entries.flow.async_configure(
        flow_id, {**good, CONF_PASSWORD: "nope"}
    )
    assert result["errors"] == {"base": "invalid_auth"}
    result = await hass.config_entries.flow.async_configure(
        flow_id, {**good, CONF_URL: "http://127.0.0.1:9"}
    )
    assert result["errors"] == {"base": "cannot_connect"}
    adguard.fail_status = 404
    result = await hass.config_entries.flow.async_configure(flow_id, good)
    assert result["errors"] == {"base": "unexpected_response"}
    adguard.fail_status = None

    result = await hass.config_entries.flow.async_configure(flow_id, good)
    await hass.async_block_till_done()
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["title"].startswith("AdGuard Home (127.0.0.1:")
    assert result["data"] == {
        CONF_KIND: "filter",
        CONF_FILTER: "adguard_home",
        CONF_URL: adguard.url,
        CONF_USERNAME: "admin",
        CONF_PASSWORD: "secret",
        CONF_VERIFY_SSL: True,
    }
    assert result["result"].state is ConfigEntryState.LOADED

    again = await _menu(hass, "adguard_home")
    again = await hass.config_entries.flow.async_configure(again["flow_id"], good)
    assert again["reason"] == "already_configured"
    # The same AdGuard Home by another name of this machine is the same filter: two entries
    # of one filter would move each other's rules out on every poll.
    for other_name in ("localhost", "[::1]", "127.0.0.1.", "LOCALHOST"):
        again = await _menu(hass, "adguard_home")
        again = await hass.config_entries.flow.async_configure(
            again["flow_id"], {**good, CONF_URL: adguard.url.replace("127.0.0.1", other_name)}
        )
        assert again["reason"] == "already_configured", other_name


@pytest.mark.parametrize(
    ("url", "error"),
    [
        ("http://admin:TopSecret-99@127.0.0.1:3000", "url_has_credentials"),
        ("http://admin@127.0.0.1:3000", "url_has_credentials"),
        ("http://[::1:3005", "invalid_url"),
        ("http://127.0.0.1:99999", "invalid_url"),
        ("http://127.0.0.1:3000\n/x", "invalid_url"),
        ("http://" + "a" * 3000, "invalid_url"),
        ("ftp://127.0.0.1", "invalid_url"),
        ("http://", "invalid_url"),
    ],
)
async def test_a_filter_address_is_checked_before_it_is_tried(
    hass: HomeAssistant, caplog: pytest.LogCaptureFixture, url: str, error: str
) -> None:
    """Credentials in the address, broken addresses, ports past 65535: errors, no 500."""
    caplog.set_level(logging.DEBUG)
    result = await _menu(hass, "pihole")
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_URL: url, CONF_PASSWORD: "pw"}
    )
    assert result["errors"] == {"base": error}
    assert "TopSecret" not in caplog.text


async def test_pihole_setup_and_reconfigure(hass: HomeAssistant, pihole: FakePiHole) -> None:
    """Pi-hole needs only the address and a password; reconfigure keeps it when left empty."""
    result = await _menu(hass, "pihole")
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_URL: pihole.url, CONF_PASSWORD: "secret", CONF_VERIFY_SSL: False}
    )
    await hass.async_block_till_done()
    entry = result["result"]
    assert entry.state is ConfigEntryState.LOADED
    assert CONF_USERNAME not in entry.data

    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_RECONFIGURE, "entry_id": entry.entry_id}
    )
    assert result["step_id"] == "reconfigure_filter"
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_URL: pihole.url, CONF_PASSWORD: "", CONF_VERIFY_SSL: True}
    )
    await hass.async_block_till_done()
    assert result["reason"] == "reconfigure_successful"
    assert entry.data[CONF_PASSWORD] == "secret"
    assert entry.data[CONF_VERIFY_SSL] is True

    # Moved to the address of another filter entry (written another way): refused.
    async with FakePiHole().serve() as second:
        other = MockConfigEntry(
            domain=DOMAIN,
            unique_id="pihole:http://192.0.2.9",
            data={"kind": "filter", CONF_URL: second.url.replace("127.0.0.1", "localhost")},
        )
        other.add_to_hass(hass)
        result = await hass.config_entries.flow.async_init(
            DOMAIN, context={"source": SOURCE_RECONFIGURE, "entry_id": entry.entry_id}
        )
        result = await hass.config_entries.flow.async_configure(
            result["flow_id"], {CONF_URL: second.url + "/", CONF_PASSWORD: "secret"}
        )
    assert result["errors"] == {"base": "filter_already_configured"}
    assert (entry.unique_id, entry.data[CONF_URL]) == (
        f"pihole:{filter_server(pihole.url)}",
        pihole.url,
    )


async def test_guard_a_device_picked_from_the_filters_clients(
    hass: HomeAssistant, pihole: FakePiHole
) -> None:
    """The subentry flow lists known-family clients and prefills the device form."""
    pihole.network = [
        {
            "id": 1,
            "hwaddr": "F0:27:2D:11:22:33",
            "macVendor": "Amazon Technologies Inc.",
            "ips": [{"ip": KITCHEN_IP, "name": "echo-dot-kitchen"}],
        },
        {
            "id": 2,
            "hwaddr": "00:11:22:33:44:55",
            "macVendor": "Dell",
            "ips": [{"ip": "192.168.1.5", "name": "laptop"}],
        },
    ]
    entry = await setup_entry(hass, filter_entry("pihole", pihole.url))
    result = await hass.config_entries.subentries.async_init(
        (entry.entry_id, SUBENTRY_DEVICE), context={"source": SOURCE_USER}
    )
    assert result["step_id"] == "user"
    options = result["data_schema"].schema["client"].config["options"]
    assert [o["value"] for o in options] == [f"{KITCHEN_IP}|{KITCHEN_MAC}", "manual"]
    # The device found is what the form offers; entering one by hand is the other choice.
    (client,) = (k for k in result["data_schema"].schema if k == "client")
    assert client.default() == f"{KITCHEN_IP}|{KITCHEN_MAC}"

    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"], {"client": f"{KITCHEN_IP}|{KITCHEN_MAC}"}
    )
    assert result["step_id"] == "device"
    suggested = {
        k.schema: k.description["suggested_value"]
        for k in result["data_schema"].schema
        if k.description and "suggested_value" in k.description
    }
    assert suggested[CONF_DEVICE_TYPE] == "echo_dot"
    assert suggested[CONF_IP] == KITCHEN_IP
    assert suggested[CONF_NAME] == "Echo Dot Kitchen"  # from "echo-dot-kitchen"
    assert CONF_INITIAL_BLOCKS not in suggested  # nothing ticked for the owner

    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"],
        {
            CONF_NAME: "Kitchen Echo",
            CONF_DEVICE_TYPE: "echo_dot",
            CONF_IP: KITCHEN_IP,
            CONF_MAC: "F0-27-2D-11-22-33",
            CONF_EXTRA_VOICE_HOSTS: [" Extra.Example.com "],
            CONF_INITIAL_BLOCKS: ["block_voice"],
        },
    )
    await hass.async_block_till_done()
    assert result["type"] is FlowResultType.CREATE_ENTRY
    subentry = next(iter(entry.subentries.values()))
    assert subentry.data[CONF_MAC] == KITCHEN_MAC
    assert subentry.data[CONF_EXTRA_VOICE_HOSTS] == ["extra.example.com"]
    assert subentry.data["no_attempt_days"] == 3  # the form's default
    assert hass.states.get("switch.kitchen_echo_block_cloud_voice").state == "on"
    assert pihole.query(KITCHEN_IP, "extra.example.com") == "REGEX"


@pytest.mark.parametrize(
    ("user_input", "errors"),
    [
        ({CONF_IP: "not-an-ip"}, {CONF_IP: "invalid_ip"}),
        ({CONF_IP: "", CONF_MAC: "zz:zz"}, {CONF_MAC: "invalid_mac", CONF_IP: "ip_required"}),
        ({CONF_IP: "", CONF_MAC: "aa:bb:cc:dd:ee:ff"}, {CONF_IP: "ip_required"}),
        ({CONF_IP: "", CONF_MAC: ""}, {"base": "address_required"}),
        ({CONF_EXTRA_VOICE_HOSTS: ["not a host"]}, {CONF_EXTRA_VOICE_HOSTS: "invalid_host"}),
        ({CONF_NAME: "  "}, {CONF_NAME: "name_required"}),
        # Injection attempts: a line break in the name, a rule in a host field.
        ({CONF_NAME: "Office\n||example.com^"}, {CONF_NAME: "invalid_name"}),
        ({CONF_NAME: "Office\u2028@@||amazon.com^"}, {CONF_NAME: "invalid_name"}),
        (
            {CONF_EXTRA_VOICE_HOSTS: ["example.com^\n||evil.example^"]},
            {CONF_EXTRA_VOICE_HOSTS: "invalid_host"},
        ),
        (
            {CONF_EXTRA_TELEMETRY_HOSTS: ["example.com^$important"]},
            {CONF_EXTRA_TELEMETRY_HOSTS: "invalid_host"},
        ),
        ({CONF_IP: "192.168.1.40$client=1.2.3.4"}, {CONF_IP: "invalid_ip"}),
        ({CONF_IP: KITCHEN_IP}, {"base": "already_guarded"}),
        # Addresses of no device or of many, and one device written another way.
        ({CONF_IP: "0.0.0.0"}, {CONF_IP: "invalid_ip"}),  # noqa: S104
        ({CONF_IP: "255.255.255.255"}, {CONF_IP: "invalid_ip"}),
        ({CONF_IP: "::"}, {CONF_IP: "invalid_ip"}),
        ({CONF_IP: "224.0.0.251"}, {CONF_IP: "invalid_ip"}),
        ({CONF_IP: f"::ffff:{KITCHEN_IP}"}, {"base": "already_guarded"}),
        ({CONF_MAC: "zz:zz:zz:zz:zz:zz"}, {CONF_MAC: "invalid_mac"}),
        ({CONF_MAC: "aa:bb:cc:dd:ee:ff^$important"}, {CONF_MAC: "invalid_mac"}),
        (
            {CONF_EXTRA_VOICE_HOSTS: ["a" * 60 + "." + "b" * 60 + ".com" * 150]},
            {CONF_EXTRA_VOICE_HOSTS: "invalid_host"},
        ),
        ({CONF_NAME: "N" * 101}, {CONF_NAME: "invalid_name"}),
        ({CONF_LINKED_DEVICE: "no-such-device"}, {CONF_LINKED_DEVICE: "unknown_device"}),
        # 2,000 hosts held the event loop for 2 s when the device was added.
        (
            {CONF_EXTRA_TELEMETRY_HOSTS: [f"t{n}.example.net" for n in range(2000)]},
            {CONF_EXTRA_TELEMETRY_HOSTS: "too_many_hosts"},
        ),
        ({CONF_EXTRA_VOICE_HOSTS: ["github.io"]}, {CONF_EXTRA_VOICE_HOSTS: "invalid_host"}),
    ],
)
async def test_device_form_refuses_bad_input(
    hass: HomeAssistant,
    adguard: FakeAdGuardHome,
    user_input: dict[str, Any],
    errors: dict[str, str],
) -> None:
    """Each wrong field gets its translated error and nothing is saved."""
    entry = await setup_entry(hass, filter_entry("adguard_home", adguard.url, kitchen()))
    result = await hass.config_entries.subentries.async_init(
        (entry.entry_id, SUBENTRY_DEVICE), context={"source": SOURCE_USER}
    )
    assert result["step_id"] == "device"  # no known-family clients: straight to the form
    form = {
        CONF_NAME: "Office Echo",
        CONF_DEVICE_TYPE: "echo",
        CONF_IP: "192.168.1.40",
    } | user_input
    result = await hass.config_entries.subentries.async_configure(result["flow_id"], form)
    assert result["errors"] == errors
    assert len(entry.subentries) == 1


async def test_reconfigure_a_guarded_device_and_link_it_to_an_existing_device(
    hass: HomeAssistant, adguard: FakeAdGuardHome
) -> None:
    """A new IP moves the rules; a linked device lends its MAC address."""
    entry = await setup_entry(
        hass, filter_entry("adguard_home", adguard.url, kitchen(mac=None, blocks=["block_voice"]))
    )
    other = MockConfigEntry(domain="alexa_devices")
    other.add_to_hass(hass)
    echo = dr.async_get(hass).async_get_or_create(
        config_entry_id=other.entry_id,
        connections={(dr.CONNECTION_NETWORK_MAC, KITCHEN_MAC)},
        identifiers={("alexa_devices", "G0911")},
        name="Echo Dot",
    )
    subentry = next(iter(entry.subentries.values()))
    result = await hass.config_entries.subentries.async_init(
        (entry.entry_id, SUBENTRY_DEVICE),
        context={"source": SOURCE_RECONFIGURE, "subentry_id": subentry.subentry_id},
    )
    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"],
        {
            CONF_NAME: "Kitchen Echo",
            CONF_DEVICE_TYPE: "echo_dot",
            CONF_IP: "192.168.1.77",
            CONF_LINKED_DEVICE: echo.id,
        },
    )
    await hass.async_block_till_done()
    assert result["reason"] == "reconfigure_successful"
    assert entry.subentries[subentry.subentry_id].data[CONF_MAC] == KITCHEN_MAC
    assert adguard.query("192.168.1.77", "avs-alexa-na.amazon.com") == "FilteredBlackList"
    assert adguard.query(KITCHEN_IP, "avs-alexa-na.amazon.com") == "NotFilteredNotFound"
    # The guarded device is shown as connected via the Echo's existing device.
    guarded = device_of(hass, "switch.kitchen_echo_block_cloud_voice")
    assert guarded.via_device_id == echo.id
    assert (dr.CONNECTION_NETWORK_MAC, KITCHEN_MAC) in guarded.connections


def _dhcp(ip: str = KITCHEN_IP, hostname: str = "amazon-0123456789") -> DhcpServiceInfo:
    return DhcpServiceInfo(ip=ip, hostname=hostname, macaddress=KITCHEN_MAC.replace(":", ""))


async def test_breakage_notes_come_in_the_homes_language(
    hass: HomeAssistant, adguard: FakeAdGuardHome
) -> None:
    """A German home reads the catalog's notes and the switches' names in German."""
    hass.config.language = "de"
    await setup_entry(hass, filter_entry("adguard_home", adguard.url))
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_DHCP}, data=_dhcp()
    )
    breakage = result["description_placeholders"]["breakage"]
    assert "device-metrics-us.amazon.com: Ein Bericht über einen Echo" in breakage
    assert "Echo, Telemetrie sperren: " in breakage
    assert "One report" not in breakage


async def test_dhcp_discovery_offers_to_guard(
    hass: HomeAssistant, adguard: FakeAdGuardHome
) -> None:
    """A new Amazon device is offered; confirming guards it on the chosen filter."""
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_DHCP}, data=_dhcp()
    )
    assert result["reason"] == "no_filter"

    entry = await setup_entry(hass, filter_entry("adguard_home", adguard.url))
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_DHCP}, data=_dhcp()
    )
    assert result["step_id"] == "dhcp_confirm"
    placeholders = result["description_placeholders"]
    assert placeholders["name"] == "amazon-0123456789"
    assert (placeholders["ip"], placeholders["mac"]) == (KITCHEN_IP, KITCHEN_MAC)
    # The catalog's breakage notes are shown before anything is blocked ...
    assert "device-metrics-us.amazon.com: One report of an Echo" in placeholders["breakage"]
    # ... for this device's family only, each switch by its name, never its key.
    assert "Echo, Block telemetry: " in placeholders["breakage"]
    assert "Ring" not in placeholders["breakage"]
    assert "block_telemetry" not in placeholders["breakage"]
    defaults = {k.schema: k.default() for k in result["data_schema"].schema if callable(k.default)}
    assert defaults[CONF_DEVICE_TYPE] == "echo"
    assert defaults[CONF_NAME] == "Echo"  # a name a person would give, not "amazon-0123…"
    assert defaults[CONF_INITIAL_BLOCKS] == []  # ... and nothing is ticked for the owner
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"],
        {CONF_NAME: "  ", CONF_DEVICE_TYPE: "echo", "filter_entry": entry.entry_id},
    )
    assert result["errors"] == {CONF_NAME: "name_required"}
    assert not entry.subentries
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"],
        {
            CONF_NAME: "Hall Echo",
            CONF_DEVICE_TYPE: "echo",
            "filter_entry": entry.entry_id,
            CONF_INITIAL_BLOCKS: ["block_voice"],
        },
    )
    await hass.async_block_till_done()
    assert result["reason"] == "device_guarded"
    assert hass.states.get("switch.hall_echo_block_cloud_voice").state == "on"

    # The same device later gets a new address: updated, not asked again.
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_DHCP}, data=_dhcp(ip="192.168.1.88")
    )
    await hass.async_block_till_done()
    assert result["reason"] == "already_guarded"
    assert next(iter(entry.subentries.values())).data[CONF_IP] == "192.168.1.88"
    assert adguard.query("192.168.1.88", "avs-alexa-na.amazon.com") == "FilteredBlackList"


async def test_filter_diagnostics_redact_addresses_and_secrets(
    hass: HomeAssistant, hass_client: ClientSessionGenerator, adguard: FakeAdGuardHome
) -> None:
    """Diagnostics show policy, proof and catalog, without credentials or addresses."""
    entry = await setup_entry(
        hass, filter_entry("adguard_home", adguard.url, kitchen(blocks=["block_voice"]))
    )
    diagnostics = await get_diagnostics_for_config_entry(hass, hass_client, entry)
    dumped = json.dumps(diagnostics)
    for secret in ("secret", KITCHEN_IP, KITCHEN_MAC, adguard.url):
        assert secret not in dumped
    kitchen_echo = diagnostics["devices"]["Kitchen Echo"]
    assert kitchen_echo["switches_on"] == ["block_voice"]
    assert all(kitchen_echo["confirmed"].values())
    assert diagnostics["filter"]["kind"] == "adguard_home"
    assert "echo_dot" in diagnostics["catalog"]


async def test_a_scoped_ipv6_address_is_stored_without_its_scope(
    hass: HomeAssistant, adguard: FakeAdGuardHome
) -> None:
    """fe80::1%eth0 is stored (and written into rules) as fe80::1: the filter sees that."""
    entry = await setup_entry(hass, filter_entry("adguard_home", adguard.url))
    result = await hass.config_entries.subentries.async_init(
        (entry.entry_id, SUBENTRY_DEVICE), context={"source": SOURCE_USER}
    )
    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"],
        {
            CONF_NAME: "Hall Echo",
            CONF_DEVICE_TYPE: "echo",
            CONF_IP: "FE80::1%eth0",
            CONF_INITIAL_BLOCKS: ["block_voice"],
        },
    )
    await hass.async_block_till_done()
    assert result["type"] is FlowResultType.CREATE_ENTRY
    subentry = next(iter(entry.subentries.values()))
    assert subentry.data[CONF_IP] == "fe80::1"
    assert adguard.query("fe80::1", "avs-alexa-na.amazon.com") == "FilteredBlackList"
    assert not any("%" in rule for rule in adguard.user_rules)


async def test_adguard_lockout_is_told_apart_from_a_wrong_password(
    hass: HomeAssistant, adguard: FakeAdGuardHome
) -> None:
    """Five failures lock the address out for 15 minutes; the flows say so, then it works.

    AdGuard Home answers a locked-out address with a plain 401 even for the right password;
    the form asks its login endpoint, which answers 429 then.
    """
    result = await _menu(hass, "adguard_home")
    flow_id = result["flow_id"]
    form = {CONF_URL: adguard.url, CONF_USERNAME: "admin", CONF_VERIFY_SSL: True}
    for _ in range(5):
        result = await hass.config_entries.flow.async_configure(
            flow_id, {**form, CONF_PASSWORD: "wrong"}
        )
        assert result["errors"] == {"base": "invalid_auth"}
    result = await hass.config_entries.flow.async_configure(
        flow_id, {**form, CONF_PASSWORD: "secret"}
    )
    assert result["errors"] == {"base": "locked_out"}
    adguard.unlock()  # fifteen minutes later
    result = await hass.config_entries.flow.async_configure(
        flow_id, {**form, CONF_PASSWORD: "secret"}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY


async def test_an_adguard_home_too_old_to_confirm_is_named_in_the_flow(
    hass: HomeAssistant, adguard: FakeAdGuardHome
) -> None:
    """Before v0.107.58 check_host ignores the client: the flow says so before saving."""
    adguard.version = "v0.107.57"
    result = await _menu(hass, "adguard_home")
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"],
        {
            CONF_URL: adguard.url,
            CONF_USERNAME: "admin",
            CONF_PASSWORD: "secret",
            CONF_VERIFY_SSL: True,
        },
    )
    assert result["step_id"] == "adguard_old"
    assert result["description_placeholders"] == {"version": "v0.107.57", "needed": "v0.107.58"}
    result = await hass.config_entries.flow.async_configure(result["flow_id"], {})
    await hass.async_block_till_done()
    assert result["type"] is FlowResultType.CREATE_ENTRY
    entry = result["result"]
    from custom_components.voice_guard.diagnostics import (  # noqa: PLC0415
        async_get_config_entry_diagnostics,
    )

    diagnostics = await async_get_config_entry_diagnostics(hass, entry)
    assert diagnostics["filter"]["confirms_per_device"] is False


async def test_adguard_home_without_users_needs_no_credentials(
    hass: HomeAssistant, adguard: FakeAdGuardHome
) -> None:
    """As Home Assistant's own AdGuard integration: an AdGuard Home without users just works."""
    adguard.username = adguard.password = ""
    result = await _menu(hass, "adguard_home")
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_URL: adguard.url, CONF_VERIFY_SSL: True}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert (result["data"][CONF_USERNAME], result["data"][CONF_PASSWORD]) == ("", "")
    await hass.async_block_till_done()
    assert hass.config_entries.async_get_entry(result["result"].entry_id).state.name == "LOADED"
    assert not any(  # no login attempt, no empty Basic credentials
        path.endswith("/login") for _, path in adguard.requests
    )


async def test_adguard_home_known_to_home_assistant_is_offered(
    hass: HomeAssistant, adguard: FakeAdGuardHome
) -> None:
    """The AdGuard Home of Home Assistant's own integration (the add-on, say) is prefilled."""
    port = int(adguard.url.rsplit(":", 1)[1])
    MockConfigEntry(
        domain="adguard",
        data={
            "host": "127.0.0.1",
            "port": port,
            "ssl": False,
            "username": "admin",
            "password": "secret",
            "verify_ssl": True,
        },
    ).add_to_hass(hass)
    result = await _menu(hass, "adguard_home")
    suggested = {
        k.schema: k.description["suggested_value"]
        for k in result["data_schema"].schema
        if k.description and "suggested_value" in k.description
    }
    assert suggested[CONF_URL] == adguard.url
    assert suggested[CONF_USERNAME] == "admin"
    assert CONF_PASSWORD not in suggested  # never shown; taken when the address is kept
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_URL: adguard.url, CONF_USERNAME: "admin", CONF_VERIFY_SSL: True}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["data"][CONF_PASSWORD] == "secret"


async def test_a_guarded_device_goes_into_the_area_chosen_for_it(
    hass: HomeAssistant, adguard: FakeAdGuardHome
) -> None:
    """The guard form's area puts the device there, so actions by area find it."""
    area = ar.async_get(hass).async_create("Kitchen")
    entry = await setup_entry(hass, filter_entry("adguard_home", adguard.url))
    result = await hass.config_entries.subentries.async_init(
        (entry.entry_id, SUBENTRY_DEVICE), context={"source": SOURCE_USER}
    )
    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"],
        {
            CONF_NAME: "Kitchen Echo",
            CONF_DEVICE_TYPE: "echo_dot",
            CONF_IP: KITCHEN_IP,
            "area_id": area.id,
        },
    )
    await hass.async_block_till_done()
    assert result["type"] is FlowResultType.CREATE_ENTRY
    subentry_id = next(iter(entry.subentries))
    # (Home Assistant 2026 may name the entity after the area too: found by unique id.)
    switch_id = er.async_get(hass).async_get_entity_id(
        "switch", DOMAIN, f"{subentry_id}_block_voice"
    )
    switch = er.async_get(hass).async_get(switch_id) if switch_id else None
    assert switch is not None
    device = dr.async_get(hass).async_get(switch.device_id)
    assert device is not None
    assert device.area_id == area.id
    response = await hass.services.async_call(
        DOMAIN,
        "apply_policy",
        {"area_id": area.id, "block": ["block_voice"]},
        blocking=True,
        return_response=True,
    )
    assert response["devices"] == ["Kitchen Echo"]
    assert adguard.query(KITCHEN_IP, "avs-alexa-na.amazon.com") == "FilteredBlackList"


# --- Home Assistant 2026.12: one reload per change, no deprecated use ----------------------


@pytest.fixture
def setups(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The entry ids Voice Guard's setup ran for, in order."""
    import custom_components.voice_guard as integration  # noqa: PLC0415

    calls: list[str] = []
    real = integration.async_setup_entry

    async def counting(hass: HomeAssistant, entry: Any) -> bool:
        calls.append(entry.entry_id)
        return await real(hass, entry)

    monkeypatch.setattr(integration, "async_setup_entry", counting)
    return calls


async def test_reauth_and_reconfigure_reload_the_entry_once(
    hass: HomeAssistant, adguard: FakeAdGuardHome, setups: list[str]
) -> None:
    """Each finished flow reloads once (the conftest fails on Home Assistant's warning)."""
    from homeassistant.config_entries import SOURCE_RECONFIGURE  # noqa: PLC0415
    from homeassistant.const import CONF_PASSWORD, CONF_URL, CONF_USERNAME  # noqa: PLC0415

    adguard.password = "changed"  # noqa: S105
    entry = await setup_entry(hass, filter_entry("adguard_home", adguard.url, kitchen()))
    assert entry.state is ConfigEntryState.SETUP_ERROR
    flow = hass.config_entries.flow.async_progress()[0]
    result = await hass.config_entries.flow.async_configure(
        flow["flow_id"], {CONF_USERNAME: "admin", CONF_PASSWORD: "changed"}
    )
    await hass.async_block_till_done()
    assert result["reason"] == "reauth_successful"
    assert entry.state is ConfigEntryState.LOADED
    assert setups == [entry.entry_id] * 2

    for password in ("", "changed"):  # unchanged data, then changed data: one reload each
        before = len(setups)
        result = await hass.config_entries.flow.async_init(
            DOMAIN, context={"source": SOURCE_RECONFIGURE, "entry_id": entry.entry_id}
        )
        result = await hass.config_entries.flow.async_configure(
            result["flow_id"],
            {CONF_URL: adguard.url, CONF_USERNAME: "admin", CONF_PASSWORD: password},
        )
        await hass.async_block_till_done()
        assert result["reason"] == "reconfigure_successful"
        assert len(setups) == before + 1
        assert entry.state is ConfigEntryState.LOADED
