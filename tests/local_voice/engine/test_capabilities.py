"""A phrase set of what the home can do: templates no exposed entity can carry out go.

One template per case, as Home Assistant's intents write them (lists as {placeholders},
requires_context for "here"), so each rule is seen by itself.
"""

from __future__ import annotations

from typing import Any

import pytest

from custom_components.voice_guard.local_voice.engine.phrases import (
    SATELLITE_AREA,
    build_phrase_set,
)

INTENTS: dict[str, Any] = {
    "language": "en",
    "intents": {
        "HassTurnOn": {"data": [{"sentences": ["turn on {area} lights"]}]},
        "HassLightSet": {
            "data": [
                {"sentences": ["set {area} to {color}"], "requires_context": {"domain": "light"}},
                {"sentences": ["dim {area} to {brightness_level}"]},
                {"sentences": ["make {area} warm"]},
            ]
        },
        "HassFanSetSpeed": {"data": [{"sentences": ["fan {area} faster"]}]},
        "HassSetPosition": {"data": [{"sentences": ["open {area} blinds half way"]}]},
        "HassMediaPause": {"data": [{"sentences": ["pause {area} music"]}]},
        "HassClimateSetTemperature": {"data": [{"sentences": ["heat {area} up"]}]},
        "HassVacuumStart": {"data": [{"sentences": ["clean {area} now"]}]},
        "HassTurnOff": {
            "data": [
                {"sentences": ["lights off here"], "requires_context": {"area": {"slot": True}}},
                {"sentences": ["turn off {area} lights"]},
            ]
        },
    },
    "lists": {
        "color": {"values": ["red", "blue"]},
        "brightness_level": {"values": ["max", "min"]},
    },
}
AREAS = {"kitchen": ["area.kitchen"]}


def _texts(capabilities: set[str] | None) -> tuple[set[str], dict[str, int]]:
    phrases = build_phrase_set(
        "en",
        INTENTS,
        {},
        AREAS,
        capabilities=frozenset(capabilities) if capabilities is not None else None,
    )
    return set(phrases.texts), dict(phrases.left_out)


ALWAYS = {"turn on {area} lights", "turn off {area} lights"}


def test_on_off_lights_only_keep_on_off_and_leave_out_colour_and_brightness() -> None:
    texts, left_out = _texts({"light"})
    assert texts == ALWAYS
    assert left_out == {
        "light:color": 1,
        "light:brightness": 2,
        "cover:position": 1,
        SATELLITE_AREA: 1,
        # Intents of domains the home has no entity of at all go by their domain.
        "fan": 1,
        "media_player": 1,
        "climate": 1,
        "vacuum": 1,
    }


@pytest.mark.parametrize(
    ("capability", "kept"),
    [
        ("light:color", "set {area} to {color}"),
        ("light:brightness", "dim {area} to {brightness_level}"),
        ("fan:speed", "fan {area} faster"),
        ("cover:position", "open {area} blinds half way"),
        ("valve:position", "open {area} blinds half way"),
        ("media_player:pause", "pause {area} music"),
        ("climate:target_temperature", "heat {area} up"),
        ("vacuum:start", "clean {area} now"),
        (SATELLITE_AREA, "lights off here"),
    ],
)
def test_a_template_comes_back_with_the_capability_it_needs(capability: str, kept: str) -> None:
    domain = capability.split(":", maxsplit=1)[0]
    texts, left_out = _texts({"light", domain} - {SATELLITE_AREA})
    assert kept not in texts  # the domain alone is not enough
    texts, left_out = _texts({"light", domain, capability})
    assert kept in texts
    assert capability not in left_out


def test_a_light_set_template_without_a_list_needs_brightness() -> None:
    texts, _ = _texts({"light", "light:brightness"})
    assert "make {area} warm" in texts
    texts, _ = _texts({"light", "light:color"})
    assert "make {area} warm" not in texts


def test_without_capabilities_every_template_stays() -> None:
    texts, left_out = _texts(None)
    assert len(texts) == 11
    assert left_out == {}


def test_the_summary_says_what_was_left_out_and_why() -> None:
    phrases = build_phrase_set("en", INTENTS, {}, AREAS, capabilities=frozenset({"light"}))
    summary = phrases.summary()
    assert summary["texts"] == 2
    assert summary["texts_left_out"]["light:color"] == 1
    assert list(summary["texts_left_out"]) == sorted(summary["texts_left_out"])
