"""Protection confirmed and its proof levels in Home Assistant (classes: test_proof_classes)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.const import (
    STATE_OFF,
    STATE_ON,
)
from homeassistant.core import Event, HomeAssistant
from homeassistant.helpers import issue_registry as ir
import pytest
from syrupy.assertion import SnapshotAssertion

from custom_components.voice_guard.const import (
    DOMAIN,
    GUARD_SCAN_INTERVAL,
)

from .. import snapshots
from ..fakes.adguard_home import FakeAdGuardHome
from ..fakes.pihole import FakePiHole
from ..guarded import (
    KITCHEN_IP,
    KITCHEN_MAC,
    device_of,
    filter_entry,
    kitchen,
    poll,
    setup_entry,
)


def _proof(hass: HomeAssistant) -> Any:
    return hass.states.get("binary_sensor.kitchen_echo_protection_confirmed")


@pytest.mark.parametrize("kind", ["adguard_home", "pihole"])
async def test_protection_is_confirmed_only_while_the_device_asks_the_filter(
    hass: HomeAssistant,
    adguard: FakeAdGuardHome,
    pihole: FakePiHole,
    freezer: FrozenDateTimeFactory,
    kind: str,
) -> None:
    """Rules in force are not enough: a device that never asks the filter is not protected."""
    fake: Any = adguard if kind == "adguard_home" else pihole
    entry = await setup_entry(hass, filter_entry(kind, fake.url, kitchen(blocks=["block_voice"])))
    confirmed = hass.states.get("binary_sensor.kitchen_echo_protection_confirmed")
    assert confirmed.state == STATE_OFF
    assert confirmed.attributes["proof"] == "no_lookups_seen"
    assert confirmed.attributes["unconfirmed_hosts"] == []  # the rules are in force

    fake.query(KITCHEN_IP, "www.example.com")  # the Echo asks the filter now
    await poll(hass, freezer, GUARD_SCAN_INTERVAL + timedelta(seconds=1))
    confirmed = hass.states.get("binary_sensor.kitchen_echo_protection_confirmed")
    assert confirmed.state == STATE_OFF  # asking, but no attempt blocked yet
    assert confirmed.attributes["proof"] == "rules_in_force_no_attempt_yet"
    assert confirmed.attributes["last_lookup"] is not None
    fake.query(KITCHEN_IP, "avs-alexa-na.amazon.com")
    await poll(hass, freezer, GUARD_SCAN_INTERVAL + timedelta(seconds=1))
    confirmed = hass.states.get("binary_sensor.kitchen_echo_protection_confirmed")
    assert (confirmed.state, confirmed.attributes["proof"]) == (STATE_ON, "blocked_seen")

    # A day later without a single lookup (DNS over HTTPS, say): off, and a repair.
    issue_id = f"no_lookups_{next(iter(entry.subentries))}"
    await poll(hass, freezer, timedelta(hours=24, minutes=1))
    confirmed = hass.states.get("binary_sensor.kitchen_echo_protection_confirmed")
    assert (confirmed.state, confirmed.attributes["proof"]) == (STATE_OFF, "no_lookups_seen")
    issue = ir.async_get(hass).async_get_issue(DOMAIN, issue_id)
    assert issue is not None
    assert issue.translation_key == "no_lookups"
    assert issue.translation_placeholders["device"] == "Kitchen Echo"
    assert KITCHEN_IP in issue.translation_placeholders["address"]

    fake.query(KITCHEN_IP, "www.example.com")
    await poll(hass, freezer, GUARD_SCAN_INTERVAL + timedelta(seconds=1))
    assert hass.states.get("binary_sensor.kitchen_echo_protection_confirmed").state == STATE_ON
    assert ir.async_get(hass).async_get_issue(DOMAIN, issue_id) is None


async def test_a_filter_that_hides_the_proof_says_so(
    hass: HomeAssistant, adguard: FakeAdGuardHome
) -> None:
    """A client AdGuard Home does not log: no silent zero, no "protected"; a repair says why."""
    adguard.persistent_clients = [
        {"name": "Echo", "ids": [KITCHEN_IP], "ignore_querylog": True, "filtering_enabled": True}
    ]
    adguard.query(KITCHEN_IP, "avs-alexa-na.amazon.com")  # blocked, and not logged
    entry = await setup_entry(
        hass, filter_entry("adguard_home", adguard.url, kitchen(blocks=["block_voice"]))
    )
    assert adguard.query(KITCHEN_IP, "avs-alexa-na.amazon.com") == "FilteredBlackList"
    confirmed = hass.states.get("binary_sensor.kitchen_echo_protection_confirmed")
    assert confirmed.state == STATE_OFF
    assert confirmed.attributes["proof"] == "hidden_by_filter"
    assert confirmed.attributes["hidden_by_filter"] == ["client_not_logged"]
    count = hass.states.get("sensor.kitchen_echo_blocked_requests_24_h")
    assert count.state == "unknown"
    assert count.attributes["hidden_by_filter"] == ["client_not_logged"]
    issue = ir.async_get(hass).async_get_issue(DOMAIN, f"no_lookups_{next(iter(entry.subentries))}")
    assert issue is not None
    assert issue.translation_key == "proof_hidden"
    assert issue.translation_placeholders["reasons"] == "client_not_logged"


async def test_an_answered_guarded_lookup_disproves_protection(
    hass: HomeAssistant, pihole: FakePiHole, freezer: FrozenDateTimeFactory
) -> None:
    """Every rule in force, the device asks the filter, and still a guarded host is answered.

    A user's own allow entry in Pi-hole wins over Voice Guard's deny regex; the lists look
    fine, the query log shows the truth: Protection confirmed goes off at once, with the
    lookup, a repair naming the device, an event, and "no longer protected" fires.
    """
    entry = await setup_entry(
        hass, filter_entry("pihole", pihole.url, kitchen(blocks=["block_voice"]))
    )
    subentry_id = next(iter(entry.subentries))
    freezer.tick(1)  # a lookup after the rules took effect
    pihole.query(KITCHEN_IP, "avs-alexa-na.amazon.com")
    await poll(hass, freezer, GUARD_SCAN_INTERVAL + timedelta(seconds=1))
    assert (_proof(hass).state, _proof(hass).attributes["proof"]) == (STATE_ON, "blocked_seen")

    answered: list[Event] = []
    hass.bus.async_listen("voice_guard_lookup_answered", answered.append)
    pihole.domains.append(
        {
            "id": 900,
            "domain": "avs-alexa-na.amazon.com",
            "type": "allow",
            "kind": "exact",
            "comment": "mine",
            "groups": [0],
            "enabled": True,
        }
    )
    assert pihole.query(KITCHEN_IP, "avs-alexa-na.amazon.com") == "FORWARDED"
    await poll(hass, freezer, GUARD_SCAN_INTERVAL + timedelta(seconds=1))
    proof = _proof(hass)
    assert (proof.state, proof.attributes["proof"]) == (STATE_OFF, "answered")
    assert proof.attributes["unconfirmed_hosts"] == []  # the rules themselves are in force
    assert proof.attributes["answered"]["host"] == "avs-alexa-na.amazon.com"
    assert proof.attributes["answered"]["status"] == "FORWARDED"
    assert proof.attributes["answered"]["address"] == KITCHEN_IP
    issue = ir.async_get(hass).async_get_issue(DOMAIN, f"answered_{subentry_id}")
    assert issue is not None
    assert issue.translation_key == "answered"
    assert issue.translation_placeholders["device"] == "Kitchen Echo"
    assert issue.translation_placeholders["host"] == "avs-alexa-na.amazon.com"
    assert [e.data["host"] for e in answered] == ["avs-alexa-na.amazon.com"]
    assert answered[0].data["device_id"] == device_of(hass, "switch.kitchen_echo_local_only").id

    # The user removes the allow entry; the next guarded lookup is blocked: protected again.
    pihole.domains = [d for d in pihole.domains if d["id"] != 900]
    assert pihole.query(KITCHEN_IP, "avs-alexa-na.amazon.com") == "REGEX"
    await poll(hass, freezer, GUARD_SCAN_INTERVAL + timedelta(seconds=1))
    assert (_proof(hass).state, _proof(hass).attributes["proof"]) == (STATE_ON, "blocked_seen")
    assert ir.async_get(hass).async_get_issue(DOMAIN, f"answered_{subentry_id}") is None
    assert len(answered) == 1


async def test_a_pihole_mac_device_whose_address_is_learned_later_ends_up_blocked(
    hass: HomeAssistant, pihole: FakePiHole, freezer: FrozenDateTimeFactory
) -> None:
    """FTL keeps a late-learned address in Default; Voice Guard writes it into the group."""
    entry = filter_entry("pihole", pihole.url, kitchen(ip=None, blocks=["block_voice"]))
    await setup_entry(hass, entry)
    assert pihole.query(KITCHEN_IP, "www.example.com") == "FORWARDED"  # decided: Default
    pihole.learn(KITCHEN_MAC, KITCHEN_IP)
    assert pihole.query(KITCHEN_IP, "avs-alexa-na.amazon.com") == "FORWARDED"
    await poll(hass, freezer, GUARD_SCAN_INTERVAL + timedelta(seconds=1))
    assert any(c["client"] == KITCHEN_IP for c in pihole.clients)
    assert _proof(hass).attributes["addresses"] == [KITCHEN_IP]
    freezer.tick(1)
    assert pihole.query(KITCHEN_IP, "avs-alexa-na.amazon.com") == "REGEX"
    await poll(hass, freezer, GUARD_SCAN_INTERVAL + timedelta(seconds=1))
    assert (_proof(hass).state, _proof(hass).attributes["proof"]) == (STATE_ON, "blocked_seen")


async def test_a_subnet_client_neither_names_the_device_nor_proves_it(
    hass: HomeAssistant, adguard: FakeAdGuardHome, freezer: FrozenDateTimeFactory
) -> None:
    """Another device's lookups in the same persistent client do not confirm the Echo."""
    adguard.persistent_clients = [{"name": "LAN", "ids": ["192.168.1.0/24"]}]
    await setup_entry(
        hass, filter_entry("adguard_home", adguard.url, kitchen(blocks=["block_voice"]))
    )
    adguard.query("192.168.1.50", "www.example.com")
    await poll(hass, freezer, GUARD_SCAN_INTERVAL + timedelta(seconds=1))
    proof = _proof(hass)
    assert (proof.state, proof.attributes["proof"]) == (STATE_OFF, "no_lookups_seen")
    assert proof.attributes["shared_clients"] == ["LAN"]
    assert not any("'LAN'" in rule for rule in adguard.user_rules)


async def test_an_answered_lookup_from_an_address_learned_for_the_mac_names_that_cause(
    hass: HomeAssistant, pihole: FakePiHole, freezer: FrozenDateTimeFactory
) -> None:
    """The repair for a MAC device says the address was learned for its MAC, and why."""
    entry = filter_entry("pihole", pihole.url, kitchen(ip=None, blocks=["block_voice"]))
    await setup_entry(hass, entry)
    pihole.learn(KITCHEN_MAC, KITCHEN_IP)
    await poll(hass, freezer, GUARD_SCAN_INTERVAL + timedelta(seconds=1))  # address written
    freezer.tick(1)
    pihole.domains.append(
        {
            "id": 901,
            "domain": "avs-alexa-na.amazon.com",
            "type": "allow",
            "kind": "exact",
            "comment": "mine",
            "groups": [0],
            "enabled": True,
        }
    )
    assert pihole.query(KITCHEN_IP, "avs-alexa-na.amazon.com") == "FORWARDED"
    await poll(hass, freezer, GUARD_SCAN_INTERVAL + timedelta(seconds=1))
    assert _proof(hass).attributes["proof"] == "answered"
    issue = ir.async_get(hass).async_get_issue(DOMAIN, f"answered_{next(iter(entry.subentries))}")
    assert issue is not None
    assert issue.translation_key == "answered_learned_address"
    assert issue.translation_placeholders["address"] == KITCHEN_IP


async def test_binary_sensor_entities(
    hass: HomeAssistant, adguard: FakeAdGuardHome, snapshot: SnapshotAssertion
) -> None:
    """Every binary_sensor of a guarded Echo, as the device page shows it."""
    assert await snapshots.platform(hass, adguard, "binary_sensor") == snapshot
