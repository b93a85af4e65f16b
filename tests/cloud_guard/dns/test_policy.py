"""The catalog and the switch -> host pattern policy."""

from __future__ import annotations

from pathlib import Path

import pytest

from custom_components.voice_guard.cloud_guard.dns.catalog import Category, DeviceType, load_catalog
from custom_components.voice_guard.cloud_guard.dns.hosts import (
    matches,
    minimize,
    normalize_pattern,
    pattern_regex,
)
from custom_components.voice_guard.cloud_guard.dns.policy import (
    Block,
    GuardedDevice,
    blocks_for,
    category_of,
)

from .conftest import CATALOG, echo, policy


def test_every_catalog_host_has_source_confidence_and_breakage() -> None:
    hosts = [h for hosts in CATALOG.hosts.values() for h in hosts]
    assert len(hosts) > 30
    for host in hosts:
        assert host.source
        assert host.breakage
        assert host.confidence in {"high", "medium", "low"}
    assert CATALOG.as_dict()["echo_dot"][0]["host"] == "avs-alexa-*.amazon.com"


def test_every_breakage_note_shown_has_its_german_words() -> None:
    """Each note a person can see (not "None known", not "As <host>.") is in notes/de.json.

    And nothing there is stale: every German note belongs to a note the catalog has.
    """
    catalog = load_catalog()
    shown = {
        note
        for device_type, hosts in catalog.hosts.items()
        for host in hosts
        if (note := catalog.host_note(device_type, host.host.removeprefix("*.")))
    }
    assert shown
    german = catalog.notes["de"]
    assert shown <= set(german), sorted(shown - set(german))
    written = {host.breakage for hosts in catalog.hosts.values() for host in hosts}
    assert set(german) <= written
    note = next(iter(shown))
    assert catalog.in_language(note, "de-CH") == german[note]
    assert catalog.in_language(note, "fr") == note  # English where no words exist


def test_malformed_catalog_is_refused(tmp_path: Path) -> None:
    (tmp_path / "bad.json").write_text(
        '{"vendor": "x", "device_types": ["echo"], "hosts": [{"host": "not a host", '
        '"category": "voice", "confidence": "high", "source": "s", "breakage": "b"}]}'
    )
    with pytest.raises(ValueError, match="not a host"):
        load_catalog(tmp_path)


def test_switches_per_device_type() -> None:
    assert blocks_for(DeviceType.ECHO_SHOW) == [
        Block.VOICE,
        Block.GENERATIVE,
        Block.TELEMETRY,
        Block.ALL_CLOUD,
    ]
    assert blocks_for(DeviceType.RING) == [Block.TELEMETRY, Block.ALL_CLOUD]
    assert Block.GENERATIVE not in blocks_for(DeviceType.GOOGLE_NEST)


def test_voice_switch_blocks_exactly_the_voice_hosts() -> None:
    voice = policy(echo(), Block.VOICE)
    assert voice.hosts == ("avs-alexa-*.amazon.com", "gateway.devices.a2z.com")
    assert matches("avs-alexa-14-eu.amazon.com", voice.hosts[0])
    assert matches("alexa.na.gateway.devices.a2z.com", voice.hosts[1])
    assert not matches("api.amazon.com", voice.hosts[0])


def test_alexa_plus_switch_also_blocks_voice_because_echo_uses_the_same_gateway() -> None:
    generative = policy(echo(), Block.GENERATIVE)
    assert set(policy(echo(), Block.VOICE).hosts) < set(generative.hosts)
    assert "alexa.amazon.com" in generative.hosts


def test_local_only_is_minimal_but_attributes_queries_to_the_specific_category() -> None:
    local = policy(echo(), Block.ALL_CLOUD, Block.VOICE)
    assert "amazon.com" in local.hosts
    assert "avs-alexa-*.amazon.com" not in local.hosts  # covered by amazon.com
    assert category_of("avs-alexa-na.amazon.com", local) == Category.VOICE
    assert category_of("api.amazon.com", local) == Category.ALL_CLOUD


def test_switches_a_type_lacks_block_nothing() -> None:
    ring = GuardedDevice("r", "Door", DeviceType.RING, ips=("192.168.1.9",))
    assert policy(ring, Block.VOICE, Block.GENERATIVE).hosts == ()
    assert policy(ring, Block.ALL_CLOUD).hosts == ("ring.com",)


def test_user_hosts_join_their_category() -> None:
    nest = GuardedDevice(
        "n",
        "Kitchen speaker",
        DeviceType.GOOGLE_NEST,
        ips=("192.168.1.7",),
        extra_voice_hosts=("speech.googleapis.com",),
        extra_telemetry_hosts=("metrics.example.com",),
    )
    assert policy(nest, Block.VOICE).hosts == ("speech.googleapis.com",)
    assert policy(nest, Block.TELEMETRY).hosts == ("metrics.example.com",)
    assert policy(nest).hosts == ()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (" Example.COM. ", "example.com"),
        ("*.irobotapi.com", "irobotapi.com"),
        ("*-api.tplinkra.com", "*-api.tplinkra.com"),
    ],
)
def test_pattern_normalisation(text: str, expected: str) -> None:
    assert normalize_pattern(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "",
        "localhost",
        "exa mple.com",
        "-a.com",
        "a.*",
        "1.2.3.4",
        "a..b",
        "*.*.example.com",  # was written as ||*.example.com^, then not recognised as ours
        "*.*.com",  # every .com
        "a*.com",
        "x.*.example.com",
    ],
)
def test_bad_patterns_are_refused(text: str) -> None:
    with pytest.raises(ValueError, match="host name"):
        normalize_pattern(text)


def test_every_accepted_pattern_is_written_as_a_rule_recognised_as_ours() -> None:
    """Over the catalog and a spread of typed patterns: the rule round-trips to ours."""
    from custom_components.voice_guard.cloud_guard.dns.catalog import load_catalog  # noqa: PLC0415
    from custom_components.voice_guard.cloud_guard.dns.filters.adguard_home import (  # noqa: PLC0415
        is_our_rule,
        rule_for,
    )

    typed = ["*.Example.com", "a-*.b.example.com", "*-api.x.io", "x.y.z.example.org."]
    catalog = load_catalog()
    hosts = [h.host for items in catalog.hosts.values() for h in items]
    for host in hosts:  # the catalog may name a vendor's own shared domain
        assert normalize_pattern(host, vendor=True) == host
    hosts += [normalize_pattern(t) for t in typed]
    for host in hosts:
        assert is_our_rule(rule_for(host, ["192.168.1.20"], ["Echo"])), host


def test_regex_and_minimize() -> None:
    assert pattern_regex("a.b.com") == r"(^|\.)a\.b\.com$"
    assert minimize({"b.com", "a.b.com", "c.com"}) == ["b.com", "c.com"]
