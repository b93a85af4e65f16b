"""Hostile arguments to every action and websocket command: a clear answer, nothing changed.

The table holds what a probe of 502 hostile inputs against a running Home Assistant sent
(2026-12-07): arguments too long or too many, paths and NULs as language tags, public
suffixes and malformed names as hosts, keys no action takes (the panel's language is
tested with the panel, tests/cloud_guard/test_panel.py). Each is sent the way the
frontend sends it (a websocket call) by an administrator, so only the argument decides:
the schema refuses it ("invalid_format", Home Assistant's own translated message) or
the action does with its translated error ("service_validation_error"); the kitchen
Echo's rules stay as they were.
"""

from __future__ import annotations

from typing import Any

from homeassistant.core import HomeAssistant
import pytest
from pytest_homeassistant_custom_component.typing import WebSocketGenerator

from custom_components.voice_guard.const import DOMAIN

from .fakes.adguard_home import FakeAdGuardHome
from .guarded import KITCHEN_IP, device_of, filter_entry, kitchen, setup_entry

VOICE = "switch.kitchen_echo_block_cloud_voice"
HOST = "avs-alexa-na.amazon.com"
DEVICE = "<the kitchen Echo>"  # replaced by its device id
SCHEMA = "invalid_format"
ACTION = "service_validation_error"

CASES: list[tuple[str, str, dict[str, Any], str]] = [
    # (id, action, arguments, error code)
    ("device id of 10,000 characters", "allow_cloud_temporarily",
     {"device_id": "d" * 10_000, "duration": "01:00:00"}, SCHEMA),
    ("empty device id", "end_cloud_allowance", {"device_id": ""}, SCHEMA),
    ("a duration past any calendar", "allow_cloud_temporarily",
     {"device_id": DEVICE, "duration": "99999999999:00:00"}, SCHEMA),
    ("a duration of 1e12 days", "allow_cloud_temporarily",
     {"device_id": DEVICE, "duration": {"days": 1e12}}, SCHEMA),
    ("a week and a day", "allow_cloud_temporarily",
     {"device_id": DEVICE, "duration": "192:00:00"}, ACTION),
    ("1,000 devices in one call", "apply_policy",
     {"device_id": [DEVICE] * 1_000, "block": ["block_voice"]}, SCHEMA),
    ("1,000 areas in one call", "apply_policy",
     {"area_id": [f"a{n}" for n in range(1_000)], "block": ["block_voice"]}, SCHEMA),
    ("every block ten times", "apply_policy",
     {"device_id": [DEVICE], "block": ["block_voice"] * 10}, SCHEMA),
    ("a block no switch has", "apply_policy",
     {"device_id": [DEVICE], "block": ["block_everything"]}, SCHEMA),
    ("a key no action takes", "apply_policy",
     {"device_id": [DEVICE], "block": ["block_voice"], "rules": "||x^"}, SCHEMA),
    ("a public suffix as a host", "block_host",
     {"device_id": DEVICE, "host": "github.io", "block_as": "telemetry"}, ACTION),
    ("a zone others register under", "block_host",
     {"device_id": DEVICE, "host": "s3.amazonaws.com", "block_as": "telemetry"}, ACTION),
    ("a reverse zone", "block_host",
     {"device_id": DEVICE, "host": "in-addr.arpa", "block_as": "telemetry"}, ACTION),
    ("the home's own zone", "block_host",
     {"device_id": DEVICE, "host": "printer.home.arpa", "block_as": "telemetry"}, ACTION),
    ("two wildcards", "block_host",
     {"device_id": DEVICE, "host": "**.example.com", "block_as": "telemetry"}, ACTION),
    ("invalid punycode", "block_host",
     {"device_id": DEVICE, "host": "xn--zz.example.com", "block_as": "telemetry"}, ACTION),
    ("a double dot", "block_host",
     {"device_id": DEVICE, "host": "example.org..", "block_as": "telemetry"}, ACTION),
    ("a rule smuggled in a host", "block_host",
     {"device_id": DEVICE, "host": "example.com^$important", "block_as": "telemetry"}, ACTION),
    ("a host of 100,000 characters", "block_host",
     {"device_id": DEVICE, "host": "a" * 100_000, "block_as": "telemetry"}, SCHEMA),
    ("a kind no switch has", "block_host",
     {"device_id": DEVICE, "host": "example.com", "block_as": "everything"}, SCHEMA),
    ("a path as a language", "transcribe",
     {"file": "/media/x.wav", "language": "../../../config/x"}, SCHEMA),
    ("a NUL in a language", "transcribe", {"file": "/media/x.wav", "language": "en\0"}, SCHEMA),
    ("a language of 10,000 characters", "transcribe",
     {"file": "/media/x.wav", "language": "k" * 10_000}, SCHEMA),
    ("a path of 100,000 characters", "transcribe", {"file": "/" + "a" * 100_000}, SCHEMA),
    ("a media id of 100,000 characters", "transcribe",
     {"media_content_id": "media-source://media_source/" + "a" * 100_000}, SCHEMA),
    ("a file and a media id at once", "transcribe",
     {"file": "/media/x.wav", "media_content_id": "media-source://x"}, SCHEMA),
    ("arguments to the report", "privacy_report", {"format": "../../x"}, SCHEMA),
]  # fmt: skip


@pytest.mark.parametrize(
    ("action", "data", "code"),
    [case[1:] for case in CASES],
    ids=[case[0] for case in CASES],
)
async def test_hostile_arguments_get_a_clear_answer_and_change_nothing(
    hass: HomeAssistant,
    adguard: FakeAdGuardHome,
    hass_ws_client: WebSocketGenerator,
    action: str,
    data: dict[str, Any],
    code: str,
) -> None:
    await setup_entry(
        hass, filter_entry("adguard_home", adguard.url, kitchen(blocks=["block_voice"]))
    )
    device_id = device_of(hass, VOICE).id
    data = {
        key: [device_id if v == DEVICE else v for v in value]
        if isinstance(value, list)
        else device_id
        if value == DEVICE
        else value
        for key, value in data.items()
    }
    rules = list(adguard.user_rules)
    client = await hass_ws_client(hass)  # an administrator's connection
    await client.send_json_auto_id(
        {
            "type": "call_service",
            "domain": DOMAIN,
            "service": action,
            "service_data": data,
            "return_response": action in {"transcribe", "privacy_report"},
        }
    )
    answer = await client.receive_json()
    assert not answer["success"]
    assert answer["error"]["code"] == code
    if code == ACTION:
        assert answer["error"]["translation_key"]  # worded by our translations
    assert "Traceback" not in answer["error"]["message"]
    await hass.async_block_till_done()
    assert hass.states.get(VOICE).state == "on"
    assert adguard.user_rules == rules
    assert adguard.query(KITCHEN_IP, HOST) == "FilteredBlackList"
